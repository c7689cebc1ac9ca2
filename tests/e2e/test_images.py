"""Chart images and brief pages show every label whole, whatever plotly template is active.

Streamlit is imported first, as in the dashboard: it switches plotly's default template to one
without automatic margins, which once cut the y-axis labels off every downloaded image. Each
chart function's image is rendered as SVG, its text measured by chromium (no text element
outside the canvas, no two overlapping) and as PNG (a white border all round); each page of a
brief is drawn with pdftoppm and must keep its ink inside the page margins.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from pathlib import Path

import layout_check
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import streamlit  # noqa: F401  (the dashboard's condition: switches plotly's default template)
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from incidentlens.data.database import Database, load
from incidentlens.present import brief, charts, images, narrative
from incidentlens.query import answer, policy, queries
from incidentlens.query.filters import Filters
from paths import REAL

SOURCE = (
    "IncidentLens dataset v2027.01.0, accessed 2026-12-02, https://incidentlens.example.org/attribution?"
    "years=2019-2023&ptype=break_fix,cloud_hosting,it_outsourcer,msp,software_vendor"
    "&labelled_by=mainstream_media,security_vendor,trade_press"
)
DEFINITIONS = (
    "MSP: managed service provider, an ongoing contract to manage a customer's IT with privileged "
    "access (NIS2 art. 6(39)). Labelled MSP: at least one source used the term, a repost counting "
    "once. Assessed type: coded from evidence of what the provider sold and did."
)
SCENARIOS = {
    "all": Filters(),
    "long filter": Filters(
        years=(2019, 2023),
        ptype=("msp", "break_fix", "it_outsourcer", "software_vendor", "cloud_hosting"),
        labelled_by=("trade_press", "mainstream_media", "security_vendor"),
    ),
    "one sector": Filters(sector=("dental",)),
}
MINOR = 0.10  # the Attribution page groups label terms below this share (pages/attribution.py)
Builder = Callable[[Database, Filters], list[go.Figure]]


def _words(db: Database, f: Filters) -> str:
    return f.describe(db.package)


# One case per chart function, drawn as its page draws it.
BUILDERS: dict[str, Builder] = {
    "labelled_vs_assessed": lambda db, f: [charts.labelled_vs_assessed(queries.headline(db, f))],
    "sankey": lambda db, f: [charts.sankey(queries.label_flows(db, f, MINOR), queries.count(db, f), _words(db, f))],
    "who_labels": lambda db, f: [charts.who_labels(queries.who_labels(db, f), _words(db, f))],
    "by_year": lambda db, f: [charts.by_year(queries.by_year(db, f), _words(db, f))],
    "labelled_share_by_year": lambda db, f: [
        charts.labelled_share_by_year(queries.labelled_share_by_year(db, f), _words(db, f))
    ],
    "by_dimension": lambda db, f: [
        charts.by_dimension(df, what, _words(db, f))
        for key, what in (
            ("sector", "sector"),
            ("country", "country"),
            ("state", "US state"),
            ("route", "route"),
            ("attack", "attack type"),
        )
        if not (df := queries.by_dimension(db, f, key)).empty
    ],
    "policy_timeline": lambda db, f: [
        charts.policy_timeline(policy.quarterly(db, f), policy.actions(db), _words(db, f))
    ],
    "robustness": lambda db, f: [
        charts.robustness(readings := answer.of(db, f)[1], narrative.robustness_title(readings), _words(db, f))
    ],
}


@pytest.fixture(scope="module")
def db() -> Database:
    return load(REAL)


def _check_svg(page: Page, fig: go.Figure, width: int = 1100) -> list[str]:
    svg = images.render(images.with_furniture(fig, SOURCE, DEFINITIONS, width=width), "svg").decode()
    w, h, boxes = layout_check.text_boxes(page, svg)
    problems = layout_check.text_problems(w, h, boxes)
    texts = " ".join(b.text for b in boxes)
    if "incidentlens.example.org" not in texts or "NIS2" not in texts:
        problems.append("the source line or the definitions are missing")
    if charts.title_of(fig).split()[0] not in texts:
        problems.append("the title is missing")
    return problems


def test_streamlit_switched_the_default_template():
    # The condition the image tests reproduce: without it they would not test the bug.
    assert pio.templates.default == "streamlit"


def test_every_chart_function_has_a_case():
    found = {
        name
        for name, fn in inspect.getmembers(charts, inspect.isfunction)
        if fn.__module__ == charts.__name__
        and not name.startswith("_")
        and name != "figure"  # the house-style builder every chart calls
        and inspect.signature(fn).return_annotation in ("go.Figure", go.Figure)
    }
    assert found == set(BUILDERS), "add a case for each chart function to BUILDERS"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("chart", list(BUILDERS))
def test_chart_image_text_is_inside_and_apart(page: Page, db, chart, scenario):
    figs = BUILDERS[chart](db, SCENARIOS[scenario])
    assert figs
    problems = {charts.title_of(fig): p for fig in figs if (p := _check_svg(page, fig))}
    assert problems == {}


@pytest.mark.parametrize("chart", list(BUILDERS))
def test_chart_png_keeps_a_white_border(db, chart):
    for fig in BUILDERS[chart](db, Filters()):
        png = images.render(images.with_furniture(fig, SOURCE, DEFINITIONS), "png", scale=1)
        assert layout_check.edge_problems(layout_check.png(png), border=images.PAD - 4) == []


def test_robustness_chart_shows_both_dots_where_the_shares_are_equal(page: Page, db):
    """Healthcare 2019–2021: under two readings no labelled incident had an MSP or a break/fix
    shop (0% and 0%). Drawn over each other, one dot and its interval hid the other."""
    f = Filters(years=(2019, 2021), sector=("healthcare",))
    readings = answer.of(db, f)[1]
    assert any(r.shares["msp"].share == r.shares["break_fix"].share for r in readings)
    fig = charts.robustness(readings, narrative.robustness_title(readings), _words(db, f))
    svg = images.render(images.with_furniture(fig, SOURCE, DEFINITIONS), "svg").decode()
    markers = [b for b in layout_check.text_boxes(page, svg)[2] if b.cls == "marker"]
    assert len(markers) == 2 * len(readings)
    hidden = [
        (a, b)
        for i, a in enumerate(markers)
        for b in markers[i + 1 :]
        if min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)
    ]
    assert hidden == []


@pytest.mark.parametrize("template", ["streamlit", "none", "ggplot2", "plotly_dark"])
def test_image_layout_does_not_depend_on_the_active_template(page: Page, db, template, monkeypatch):
    def boxes() -> list:
        fig = charts.who_labels(queries.who_labels(db, Filters()), "all incidents")
        svg = images.render(images.with_furniture(fig, SOURCE, DEFINITIONS), "svg").decode()
        return layout_check.text_boxes(page, svg)

    monkeypatch.setattr(pio.templates, "default", "plotly")
    reference = boxes()
    monkeypatch.setattr(pio.templates, "default", template)
    assert boxes() == reference


def test_a_long_title_and_link_are_wrapped_inside_a_narrow_image(page: Page, db):
    fig = charts.by_year(queries.by_year(db, Filters()), "all incidents")
    long_text = {"title": "A finding stated at length " * 8, "subtitle": "with its filter " * 20}
    fig.update_layout(meta={**fig.layout.meta, **long_text})
    link = "https://incidentlens.example.org/explorer?q=" + "x" * 400
    svg = images.render(images.with_furniture(fig, link, width=600), "svg").decode()
    w, h, boxes = layout_check.text_boxes(page, svg)
    assert layout_check.text_problems(w, h, boxes) == []
    pieces = [b.text for b in boxes if len(b.text) > 10 and b.text in link]
    assert len(pieces) > 1 and "".join(pieces) == link  # broken over lines, nothing lost
    title = next(b for b in boxes if b.text.startswith("A finding"))
    assert title.y1 - title.y0 > 3 * images.TITLE_SIZE  # several lines, not one cut line


@pytest.mark.parametrize("f", [Filters(), SCENARIOS["long filter"]], ids=["all", "long filter"])
def test_brief_pages_and_charts_keep_every_label_whole(db, f):
    b = brief.build(db, f, "https://incidentlens.example.org/?" + f.to_query_string())
    assert b.charts_png and not b.chart_note
    for png in b.charts_png:
        assert layout_check.edge_problems(layout_check.png(png), border=2 * (images.PAD - 4)) == []
    pages = layout_check.pdf_pages(brief.render(b, "pdf"), dpi=72)
    assert len(pages) >= 2
    border = round(7 / 25.4 * 72)  # 7 mm: fpdf's margins are 10 mm, the footer 12 mm from the bottom
    problems = {i + 1: p for i, image in enumerate(pages) if (p := layout_check.edge_problems(image, border))}
    assert problems == {}


@pytest.mark.parametrize(
    "f",
    [Filters(), Filters(years=(2019, 2021), sector=("healthcare",)), Filters(country=("GB",))],
    ids=["all", "healthcare 2019-2021", "GB"],
)
def test_brief_pages_are_filled_before_the_next_begins(real_db, f):
    """Each page but the last carries content into its lower half, as the reader sees it drawn by
    pdftoppm. A fixed break before "How solid is this number?" left a page two-thirds empty under
    a chart that had moved over, and a citation's last line sat alone on a fifth page."""
    b = brief.build(real_db, f, "https://incidentlens.example.org/?" + f.to_query_string())
    assert b.charts_png and b.robustness_png
    pages = layout_check.pdf_pages(brief.render(b, "pdf"), dpi=50)
    footer = round(16 / 297 * pages[0].height)  # the page number, 12 mm from the bottom
    lowest = {}
    for i, image in enumerate(pages[:-1], 1):
        box = layout_check.ink_box(image.crop((0, 0, image.width, image.height - footer)))
        lowest[i] = box[3] / image.height if box else 0.0
    assert {i: round(y, 2) for i, y in lowest.items() if y < 0.55} == {}
    texts = ["".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(brief.render(b, "pdf"))).pages]
    citation = "".join(narrative.dataset_citation(b.version, b.date)["apa"].split())
    assert sum(citation in t for t in texts) == 1  # whole, on one page


def test_brief_chart_images_at_brief_width(page: Page, db):
    f = SCENARIOS["long filter"]
    figs = [charts.labelled_vs_assessed(queries.headline(db, f)), charts.by_year(queries.by_year(db, f), _words(db, f))]
    assert [p for fig in figs for p in _check_svg(page, fig, width=1000)] == []


def _idle(page: Page) -> None:
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)


def test_images_and_brief_downloaded_from_the_dashboard_keep_every_label_whole(page: Page, server_url, tmp_path):
    # The path a user takes: the dashboard process (Streamlit imported) renders the downloads.
    page.goto(f"{server_url}/?sector=dental")
    buttons = page.get_by_role("button", name="SVG image")
    buttons.first.wait_for(timeout=60_000)
    _idle(page)
    assert buttons.count() >= 2
    problems = []
    for i in range(buttons.count()):
        with page.expect_download(timeout=60_000) as info:
            buttons.nth(i).click()
        svg = Path(info.value.path()).read_text(encoding="utf-8")
        checker = page.context.new_page()
        w, h, boxes = layout_check.text_boxes(checker, svg)
        checker.close()
        problems += layout_check.text_problems(w, h, boxes)
        assert "sector=dental" in svg
    assert problems == []
    page.goto(f"{server_url}/brief?sector=dental")
    button = page.get_by_role("button", name="Download PDF brief")
    button.wait_for(timeout=60_000)
    _idle(page)
    with page.expect_download(timeout=120_000) as info:
        button.click()
    pdf = Path(info.value.path()).read_bytes()
    pages = layout_check.pdf_pages(pdf, dpi=72)
    border = round(7 / 25.4 * 72)
    assert pages and all(layout_check.edge_problems(p, border) == [] for p in pages)
    charts_in_pdf = [image.image for p in PdfReader(io.BytesIO(pdf)).pages for image in p.images]
    assert len(charts_in_pdf) >= 2
    assert all(layout_check.edge_problems(c, border=2 * (images.PAD - 4)) == [] for c in charts_in_pdf)
