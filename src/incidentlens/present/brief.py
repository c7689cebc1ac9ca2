"""A two-to-four page brief for one filter, as PDF (fpdf2) for print and DOCX (python-docx)
for staff who edit. Both render the same `Brief` content, built from the query layer."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from incidentlens import links
from incidentlens.data.database import Database
from incidentlens.data.schema import humanise
from incidentlens.present import charts, images, narrative
from incidentlens.query import answer as answer_q
from incidentlens.query import queries
from incidentlens.query.filters import Filters

MAX_TABLE_ROWS = 25
FONT_DIR = Path("/usr/share/fonts/truetype/liberation")
LIMITATIONS = [
    "Only publicly reported incidents are included; prominent cases and English-language "
    "coverage are over-represented, and small providers that closed leave few traces.",
    "Provider types are coded from evidence of what the provider sold and did at the time, "
    "never from the label a source used; 'unknown' is kept in every count.",
    "An incident counts as 'labelled MSP' when at least one source called the provider a managed "
    "service provider; a repost counts once, for its original outlet, and a label is credited to "
    "whoever said it (an official quoted by the press counts as government).",
    "Shares carry 95% Wilson score intervals; groups of fewer than 10 are flagged as small samples. "
    "The figures describe the dataset; they do not estimate how common such attacks are.",
]


@dataclass
class Brief:
    title: str
    date: str
    version: str
    filter_words: str
    permalink: str
    headline: queries.Headline
    answer: str  # the break/fix question answered in words (page 1, first)
    readings: list[answer_q.Reading]  # the same shares under each defensible reading
    takeaways: list[str]
    table: pd.DataFrame  # id, date, victims, provider, assessed type, labels used, note
    more_rows: int
    notes: list[str]  # numbered source citations
    charts_png: list[bytes] = field(default_factory=list)
    robustness_png: bytes | None = None
    chart_note: str = ""

    @property
    def robustness(self) -> str:
        return narrative.robustness_sentence(self.readings)

    @property
    def local_note(self) -> str:
        """Said on the first page when the permalink only works on the computer that made the brief."""
        if not links.is_local(self.permalink):
            return ""
        return (f"Local copy: the links in this brief open only on the computer that made it. "
                f"{links.HOW_TO_SET}")

    @property
    def empty(self) -> bool:
        return self.headline.n == 0


def build(db: Database, f: Filters, permalink: str, with_charts: bool = True,
          today: dt.date | None = None) -> Brief:
    today = today or dt.date.today()
    h = queries.headline(db, f)
    ans, readings = answer_q.of(db, f)
    inc = queries.incidents(db, f)
    shown = inc.head(MAX_TABLE_ROWS)
    src = queries.sources_of(db, f)
    notes: list[str] = []
    rows = []
    for r in shown.itertuples():
        cited = src[(src["incident_id"] == r.incident_id) & (src["is_repost"] == "no")].head(1)
        refs = []
        for s in cited.itertuples():
            date = f", {pd.Timestamp(s.published_date):%Y-%m-%d}" if pd.notna(s.published_date) else ""
            notes.append(f"{s.publisher}{date}. {s.url}")
            refs.append(str(len(notes)))
        lo, hi = r.downstream_orgs_min, r.downstream_orgs_max
        victims = "unknown" if pd.isna(lo) and pd.isna(hi) else (
            f"{int(lo)}" if pd.notna(lo) and (pd.isna(hi) or lo == hi) else
            f"{int(lo) if pd.notna(lo) else '?'}–{int(hi)}")
        rows.append({
            "incident": r.incident_id, "date": f"{pd.Timestamp(r.attack_date):%Y-%m-%d}",
            "victims": victims, "provider": r.provider_name or "(not named)",
            "assessed as": humanise(r.provider_type),
            "labels used": ", ".join(humanise(t) for t in r.label_terms if t != "unnamed") or "none",
            "notes": ",".join(refs),
        })
    pngs: list[bytes] = []
    robustness_png = None
    chart_note = ""
    if with_charts and h.n:
        source = f"IncidentLens dataset v{db.version}, accessed {today.isoformat()}, {links.cite(permalink)}"
        figs = [charts.labelled_vs_assessed(h), charts.by_year(queries.by_year(db, f), h.filter_words)]
        try:
            pngs = [images.render(images.with_furniture(fig, source, width=1000), "png", scale=2) for fig in figs]
            solid = charts.robustness(readings, narrative.robustness_title(readings), h.filter_words)
            robustness_png = images.render(images.with_furniture(solid, source, width=1000), "png", scale=2)
        except images.ExportUnavailable as exc:
            chart_note = str(exc)
    return Brief(
        title="Incidents attributed to IT providers: what the provider really was",
        date=today.isoformat(), version=db.version, filter_words=h.filter_words, permalink=permalink,
        headline=h, answer=narrative.answer_sentence(ans), readings=readings,
        takeaways=narrative.takeaways(h), table=pd.DataFrame(rows), robustness_png=robustness_png,
        more_rows=max(0, len(inc) - len(shown)), notes=notes, charts_png=pngs, chart_note=chart_note,
    )


def figure_rows(b: Brief) -> list[tuple[str, str]]:
    """The headline figures as (label, value) pairs, each with n and its interval."""
    h = b.headline
    out = [("Incidents in view", str(h.n)),
           ("Labelled MSP by at least one source", f"{h.labelled.k} of {h.n}: {h.labelled.percent()}")]
    for t in h.labelled_by_type:
        if t.share.k or t.code in ("msp", "unknown"):
            flag = " (small sample)" if t.share.small_sample else ""
            out.append((f"…of those, provider assessed as {t.label}",
                        f"{t.share.k} of {t.share.n}: {t.share.percent()}{flag}"))
    return out


def robustness_rows(b: Brief) -> list[tuple[str, str, str]]:
    """One row per reading: its name and both shares with n and interval."""
    def cell(s) -> str:
        return f"{s.k} of {s.n}: {s.percent()}"

    return [(r.label, cell(r.shares["msp"]), cell(r.shares["break_fix"])) for r in b.readings]


# ---- PDF ---------------------------------------------------------------------------------------
def to_pdf(b: Brief) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=16)
    family = _fonts(pdf)
    pdf.set_title(b.title)
    pdf.set_creator("IncidentLens")
    pdf.alias_nb_pages()

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font(family, "", 8)
        pdf.set_text_color(110)
        pdf.cell(0, 5, _t(f"IncidentLens brief · dataset v{b.version} · page {pdf.page_no()}/{{nb}}",
                          family), align="C")
        pdf.set_text_color(0)

    pdf.footer = footer  # type: ignore[method-assign]  # fpdf2 calls this on every page
    pdf.add_page()
    pdf.set_font(family, "B", 17)
    _line(pdf, 8, _t(b.title, family))
    pdf.set_font(family, "", 10)
    pdf.set_text_color(80)
    _line(pdf, 5, _t(f"{b.date} · IncidentLens dataset v{b.version}", family))
    _line(pdf, 5, _t(f"Filter: {b.filter_words}", family))
    _line(pdf, 5, _t(f"View online: {b.permalink}", family))
    if b.local_note:
        pdf.set_font(family, "B", 10)
        pdf.set_text_color(170, 0, 0)
        _line(pdf, 5, _t(b.local_note, family))
    pdf.set_text_color(0)
    pdf.ln(3)
    _h2(pdf, family, "The answer")
    pdf.set_font(family, "B", 11)
    _line(pdf, 5.5, _t(b.answer, family))
    pdf.set_font(family, "", 10)
    pdf.ln(1)
    _line(pdf, 5, _t(b.robustness + " See 'How solid is this number?' below.", family))
    pdf.ln(3)
    _h2(pdf, family, "Headline figures")
    if b.empty:
        pdf.set_font(family, "", 10)
        _line(pdf, 5, _t("No incident matches this filter, so there are no figures, charts or "
                                "table in this brief. Widen the filter and generate it again.", family))
    else:
        pdf.set_font(family, "", 9.5)
        with pdf.table(col_widths=(55, 45), text_align=("LEFT", "LEFT"), line_height=5,
                       first_row_as_headings=False) as table:
            for label, value in figure_rows(b):
                row = table.row()
                row.cell(_t(label, family))
                row.cell(_t(value, family))
    pdf.ln(3)
    _h2(pdf, family, "What the numbers say")
    pdf.set_font(family, "", 10)
    for s in b.takeaways:
        _line(pdf, 5, _t(f"• {s}", family))
        pdf.ln(1)
    for png in b.charts_png:
        pdf.ln(2)
        pdf.image(io.BytesIO(png), w=pdf.epw * 0.92)
    if b.chart_note:
        _line(pdf, 5, _t(f"(Charts not included: {b.chart_note})", family))
    if not b.empty:
        pdf.add_page()
        _h2(pdf, family, "How solid is this number?")
        pdf.set_font(family, "", 10)
        _line(pdf, 5, _t(b.robustness, family))
        pdf.ln(2)
        pdf.set_font(family, "", 8.5)
        with pdf.table(col_widths=(40, 30, 30), line_height=4.2, text_align="LEFT") as table:
            head = table.row()
            for c in ("Reading", "Provider assessed as an MSP", "Provider a break/fix shop"):
                head.cell(c)
            for label, msp, bf in robustness_rows(b):
                row = table.row()
                for c in (label, msp, bf):
                    row.cell(_t(c, family))
        if b.robustness_png:
            pdf.ln(2)
            pdf.image(io.BytesIO(b.robustness_png), w=pdf.epw * 0.92)
        pdf.ln(3)
        _h2(pdf, family, "Incidents in view")
        pdf.set_font(family, "", 7.5)
        cols = ["incident", "date", "victims", "provider", "assessed as", "labels used", "notes"]
        with pdf.table(col_widths=(34, 13, 11, 26, 17, 28, 9), line_height=3.6,
                       text_align="LEFT") as table:
            head = table.row()
            for c in cols:
                head.cell(c.capitalize())
            for rec in b.table.to_dict("records"):
                row = table.row()
                for c in cols:
                    row.cell(_t(str(rec[c]), family))
        if b.more_rows:
            pdf.set_font(family, "I", 8.5)
            _line(pdf, 5, _t(f"…and {b.more_rows} more incidents: open the permalink to see them all.",
                                    family))
    pdf.ln(3)
    _h2(pdf, family, "Method and limitations")
    pdf.set_font(family, "", 9)
    for s in LIMITATIONS:
        _line(pdf, 4.5, _t(f"• {s}", family))
    if b.notes:
        pdf.ln(2)
        _h2(pdf, family, "Notes (sources)")
        pdf.set_font(family, "", 7.5)
        for i, note in enumerate(b.notes, 1):
            _line(pdf, 3.6, _t(f"{i}. {note}", family))
    pdf.ln(2)
    pdf.set_font(family, "", 8.5)
    _line(pdf, 4.5, _t(narrative.dataset_citation(b.version, b.date)["apa"] + f" {links.cite(b.permalink)}", family))
    return bytes(pdf.output())


def _fonts(pdf) -> str:
    """Liberation Sans (Unicode) when Debian's fonts-liberation is installed, else Helvetica."""
    regular = FONT_DIR / "LiberationSans-Regular.ttf"
    if not regular.exists():
        return "helvetica"
    pdf.add_font("Liberation", "", str(regular))
    pdf.add_font("Liberation", "B", str(FONT_DIR / "LiberationSans-Bold.ttf"))
    pdf.add_font("Liberation", "I", str(FONT_DIR / "LiberationSans-Italic.ttf"))
    return "Liberation"


def _t(text: str, family: str) -> str:
    """Text the chosen font can draw: core fonts are Latin-1 only."""
    if family == "helvetica":
        return text.replace("–", "-").replace("…", "...").replace("•", "-").replace("·", "-") \
            .encode("latin-1", "replace").decode("latin-1")
    return "".join(ch if ord(ch) < 0x2E80 else "?" for ch in text)


def _line(pdf, height: float, text: str) -> None:
    """A wrapped paragraph that leaves the cursor at the left margin of the next line."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")


def _h2(pdf, family: str, text: str) -> None:
    pdf.set_font(family, "B", 12.5)
    pdf.set_text_color(0, 70, 130)
    _line(pdf, 7, _t(text, family))
    pdf.set_text_color(0)


# ---- DOCX --------------------------------------------------------------------------------------
def to_docx(b: Brief) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2)
    doc.styles["Normal"].font.name = "Liberation Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(b.title, level=1)
    doc.add_paragraph(f"{b.date} · IncidentLens dataset v{b.version}")
    doc.add_paragraph(f"Filter: {b.filter_words}")
    doc.add_paragraph(f"View online: {b.permalink}")
    if b.local_note:
        local = doc.add_paragraph().add_run(b.local_note)
        local.bold = True
        local.font.color.rgb = RGBColor(170, 0, 0)
    doc.add_heading("The answer", level=2)
    doc.add_paragraph().add_run(b.answer).bold = True
    doc.add_paragraph(b.robustness + " See 'How solid is this number?' below.")
    doc.add_heading("Headline figures", level=2)
    if b.empty:
        doc.add_paragraph("No incident matches this filter, so there are no figures, charts or table in "
                          "this brief. Widen the filter and generate it again.")
    else:
        t = doc.add_table(rows=0, cols=2)
        t.style = "Light Grid Accent 1"
        for label, value in figure_rows(b):
            cells = t.add_row().cells
            cells[0].text, cells[1].text = label, value
    doc.add_heading("What the numbers say", level=2)
    for s in b.takeaways:
        doc.add_paragraph(s, style="List Bullet")
    for png in b.charts_png:
        doc.add_picture(io.BytesIO(png), width=Cm(17))
    if b.chart_note:
        doc.add_paragraph(f"(Charts not included: {b.chart_note})")
    if not b.empty:
        doc.add_page_break()
        doc.add_heading("How solid is this number?", level=2)
        doc.add_paragraph(b.robustness)
        t = doc.add_table(rows=1, cols=3)
        t.style = "Light Grid Accent 1"
        for cell, c in zip(t.rows[0].cells, ("Reading", "Provider assessed as an MSP", "Provider a break/fix shop")):
            cell.text = c
        for values in robustness_rows(b):
            for cell, v in zip(t.add_row().cells, values):
                cell.text = v
        if b.robustness_png:
            doc.add_picture(io.BytesIO(b.robustness_png), width=Cm(17))
        doc.add_heading("Incidents in view", level=2)
        cols = ["incident", "date", "victims", "provider", "assessed as", "labels used"]
        t = doc.add_table(rows=1, cols=len(cols))
        t.style = "Light Grid Accent 1"
        for cell, c in zip(t.rows[0].cells, cols):
            cell.text = c.capitalize()
        for rec in b.table.to_dict("records"):
            cells = t.add_row().cells
            for cell, c in zip(cells, cols):
                cell.text = str(rec[c])
            if rec["notes"]:  # numbered references to the notes below, as superscripts
                run = cells[0].paragraphs[0].add_run(" " + rec["notes"])
                run.font.superscript = True
            for cell in cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(8)
        if b.more_rows:
            doc.add_paragraph(f"…and {b.more_rows} more incidents: open the permalink to see them all.")
    doc.add_heading("Method and limitations", level=2)
    for s in LIMITATIONS:
        doc.add_paragraph(s, style="List Bullet")
    if b.notes:
        doc.add_heading("Notes (sources)", level=2)
        for note in b.notes:
            doc.add_paragraph(note, style="List Number")
    doc.add_paragraph(narrative.dataset_citation(b.version, b.date)["apa"] + f" {links.cite(b.permalink)}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render(b: Brief, fmt: str) -> bytes:
    if fmt == "pdf":
        return to_pdf(b)
    if fmt == "docx":
        return to_docx(b)
    raise ValueError(f"unknown brief format {fmt!r}; choose pdf or docx")
