"""The testimony and research kit: briefs, chart images and the data bundle, checked by opening
what they produce with independent readers (pypdf, python-docx, PIL, frictionless)."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from docx import Document
from frictionless import validate as frictionless_validate
from PIL import Image
from pypdf import PdfReader

from incidentlens.data.validate import validate
from incidentlens.present import brief, brief_pdf, bundle, charts, images
from incidentlens.query import queries
from incidentlens.query.filters import Filters

LINK = "http://example.test/?sector=dental"
EMPTY = Filters(q="no incident has this text")
needs_chromium = pytest.mark.skipif(not images.available(), reason="chromium is not installed")


@pytest.fixture(scope="module")
def built(db):
    return brief.build(db, Filters(), LINK, with_charts=images.available())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_pdf_brief_has_figures_version_and_permalink(db, built):
    data = brief.render(built, "pdf")
    assert data.startswith(b"%PDF")
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert 1 <= pages <= 4
    text = " ".join(pdf_text(data).split())
    h = queries.headline(db, Filters())
    assert f"{h.labelled.k} of {h.n}" in text
    assert h.labelled.percent().split(" (")[0] in text
    assert f"v{db.version}" in text
    assert LINK in text
    for incident_id in queries.incidents(db, Filters())["incident_id"]:
        assert incident_id in text.replace(" ", "")


# Labels and provider names as sources wrote them, in Korean, Japanese and Chinese (the data has all three).
CJK = "컴퓨터 수리업체 · 情報処理サービス会社 · 关联供应商"


@pytest.mark.skipif(not brief_pdf.CJK_FONT.exists(), reason="fonts-wqy-zenhei is not installed")
def test_pdf_brief_draws_korean_japanese_and_chinese_text(built):
    data = brief.render(dataclasses.replace(built, title=f"Brief: {CJK}"), "pdf")
    assert CJK in pdf_text(data)


def test_pdf_brief_without_a_cjk_font_marks_what_it_cannot_draw(built, monkeypatch):
    monkeypatch.setattr(brief_pdf, "CJK_FONT", brief_pdf.CJK_FONT.with_name("absent.ttc"))
    text = pdf_text(brief.render(dataclasses.replace(built, title=f"Brief: {CJK}"), "pdf"))
    assert "Brief: ??? ???? · ?????????? · ?????" in text and "컴" not in text


def test_docx_brief_has_figures_table_and_numbered_notes(db, built):
    doc = Document(io.BytesIO(brief.render(built, "docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    h = queries.headline(db, Filters())
    figures = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert figures["Incidents in view"] == str(h.n)
    assert figures["Labelled MSP by at least one source"].startswith(f"{h.labelled.k} of {h.n}")
    readings = next(t for t in doc.tables if t.rows[0].cells[0].text == "Reading")
    assert len(readings.rows) - 1 == len(built.readings) == 8  # the "How solid is this number?" page
    incidents = next(t for t in doc.tables if t.rows[0].cells[0].text == "Incident")
    assert len(incidents.rows) - 1 == h.n  # header + one row per incident (fixture < 25 rows)
    notes = [p for p in doc.paragraphs if p.style.name == "List Number"]
    assert len(notes) == len(built.notes) > 0
    superscripts = [r for row in incidents.rows[1:] for r in row.cells[0].paragraphs[0].runs if r.font.superscript]
    assert superscripts, "table rows point to their numbered notes"
    assert db.version in body and LINK in body
    # Sections follow on without a fixed page break (one left a page mostly empty under a chart);
    # the headings' style keeps each with its first lines.
    assert not doc.element.body.xpath('.//w:br[@w:type="page"]')
    solid = next(p for p in doc.paragraphs if p.text == "How solid is this number?")
    assert solid.style.paragraph_format.keep_with_next


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_brief_figures_show_zero_break_fix_shops(db, fmt):
    """The answer says "0 … a break/fix shop"; the figures table must carry that row too (it
    listed only the types with a count, plus MSP and unknown)."""
    f = Filters(ptype=("msp",))  # fixture: one incident, labelled MSP, its provider an MSP
    h = queries.headline(db, f)
    assert h.labelled.k == 1 and h.labelled_share("break_fix").k == 0
    data = brief.render(brief.build(db, f, LINK, with_charts=False), fmt)
    if fmt == "docx":
        rows = [(r.cells[0].text, r.cells[1].text) for r in Document(io.BytesIO(data)).tables[0].rows]
        text = "\n".join(f"{label} {value}" for label, value in rows)
    else:
        text = pdf_text(data)
    text = " ".join(text.split())
    assert "…of those, provider assessed as Break/fix 0 of 1: 0%" in text
    assert "…of those, provider assessed as MSP 1 of 1: 100%" in text
    assert "provider assessed as Software vendor" not in text  # other types at zero stay out


def test_brief_states_counts_and_dates_as_precisely_as_known(built):
    """'At least 110' is stored as a minimum alone (methodology, "Counts as ranges"): the brief's
    table said '110', as if exactly 110 organisations were affected."""
    doc = Document(io.BytesIO(brief.render(built, "docx")))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Incident")
    victims = {r.cells[0].paragraphs[0].runs[0].text: r.cells[2].text for r in table.rows[1:]}
    assert victims["2019-11-fx-nursing-msp"] == "at least 110"
    assert victims["2020-05-fx-hosting"] == "unknown"
    assert victims["2021-07-fx-rmm-vendor"] == "800–1,500"
    dates = {r.cells[0].paragraphs[0].runs[0].text: r.cells[1].text for r in table.rows[1:]}
    assert dates["2020-05-fx-hosting"] == "May 2020"  # stored as 2020-05-01, precision month
    assert (dates["2025-01-fx-unknown"], dates["2019-11-fx-nursing-msp"]) == ("2025", "2019-11-17")


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_brief_for_an_empty_filter_says_so(db, fmt):
    data = brief.render(brief.build(db, EMPTY, LINK, with_charts=False), fmt)
    text = pdf_text(data) if fmt == "pdf" else docx_text(data)
    assert "No incident matches this filter" in " ".join(text.split())


@needs_chromium
def test_chart_images_are_valid_and_carry_title_and_source_line(db):
    h = queries.headline(db, Filters())
    fig = images.with_furniture(
        charts.labelled_vs_assessed(h),
        f"IncidentLens dataset v{db.version} {LINK}",
        "Definitions: MSP = managed service provider.",
    )
    png = images.render(fig, "png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width >= 2 * 1000  # rendered at 2x the 1100-px layout width
    svg = images.render(fig, "svg").decode()
    assert svg.lstrip().startswith("<svg")
    assert f"Of {h.labelled.k} incidents publicly labelled MSP attacks" in svg
    assert f"IncidentLens dataset v{db.version}" in svg
    assert "Definitions: MSP" in svg


@pytest.mark.parametrize("f", [Filters(sector=("dental",)), Filters(), EMPTY], ids=["dental", "all", "empty"])
def test_bundle_validates_against_its_own_datapackage(db, f, tmp_path):
    data = bundle.build(db, f, LINK)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path)
    assert {
        "incidents.csv",
        "sources.csv",
        "incidents.parquet",
        "sources.parquet",
        "datapackage.json",
        "CITATION.cff",
        "README.md",
    } <= names
    report = frictionless_validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]
    assert validate(tmp_path) == []
    ids = set(queries.incidents(db, f)["incident_id"])
    with open(tmp_path / "incidents.csv", encoding="utf-8") as fh:
        rows = fh.read().splitlines()[1:]
    assert {r.split(",")[0] for r in rows} == ids
    readme = (tmp_path / "README.md").read_text()
    assert f.describe(db.package) in readme and db.version in readme and "CC BY 4.0" in readme
    if not ids:
        assert "matches no incident" in readme


@pytest.mark.parametrize(
    ("n", "note"),
    [
        (0, "No incident in view, so the brief has no incident table."),
        (1, "1 incident in view; the brief's table lists it, newest first."),
        (25, "25 incidents in view; the brief's table lists them all, newest first."),
        (26, "26 incidents in view; the brief's table lists the 25 newest and links to the rest."),
    ],
)
def test_the_brief_page_says_what_the_table_will_hold(n, note):
    assert brief.MAX_TABLE_ROWS == 25 and brief.table_note(n) == note


def test_every_incident_in_a_brief_has_a_source_note(real_db, monkeypatch):
    """A brief's table cites a source for every incident it lists. It cited only originals, so the
    two real incidents known only from reposts had none; their note now says it is a repost."""
    monkeypatch.setattr(brief, "MAX_TABLE_ROWS", 1000)  # one brief that lists every real incident
    b = brief.build(real_db, Filters(), LINK, with_charts=False)
    assert len(b.table) == queries.count(real_db, Filters()) and all(b.table["notes"])
    numbers = [int(n) for refs in b.table["notes"] for n in refs.split(",")]
    assert numbers == list(range(1, len(b.notes) + 1))
    assert sum("(a repost; " in n for n in b.notes) == 2
    assert any("(a repost; original outlet: CompTIA)" in n for n in b.notes)


def test_a_brief_paragraph_moves_to_the_next_page_whole_rather_than_split():
    from fpdf import FPDF

    def after(room_mm: float, words: int) -> tuple[int, float]:
        """The page and the height written on it, for a paragraph begun `room_mm` above the break."""
        pdf = FPDF(format="A4")
        pdf.set_auto_page_break(True, margin=16)
        pdf.add_page()
        pdf.set_font("helvetica", "", 10)
        pdf.set_y(pdf.h - 16 - room_mm)
        brief_pdf._line(pdf, 5, "word " * words)
        return pdf.page_no(), round(pdf.get_y() - pdf.t_margin)

    assert after(8, 60) == (2, 15)  # three 5 mm lines, room for one: all three on the next page
    assert after(30, 60) == (1, 297 - 10 - 16 - 30 + 15)  # room for all three: they stay
    assert after(8, 12000)[0] > 2  # longer than a page: it flows on, as it must
