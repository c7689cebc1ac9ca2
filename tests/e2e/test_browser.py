"""What only a browser shows: charts really drawn, downloads arriving whole, deep links, links."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

import layout_check
import pytest
from playwright.sync_api import Page, expect

from incidentlens import local_dashboard
from incidentlens.data.database import load
from incidentlens.query import queries
from incidentlens.query.filters import Filters

ROOT = Path(__file__).resolve().parents[2]

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def db():
    return load(ROOT / "data")


def idle(page: Page) -> None:
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=TIMEOUT)


def test_deep_link_is_the_first_request_after_a_restart(page: Page, db):
    # A fresh server whose very first request is a deep link must serve that page with its
    # filters (pages-directory mode), and the navigation must carry the filters to every page.
    port = local_dashboard.free_port()
    proc = local_dashboard.start(port, ROOT / "data")
    try:
        local_dashboard.wait_healthy(proc, port, timeout=60)
        page.goto(f"http://127.0.0.1:{port}/attribution?years=2019-2023&ptype=msp")
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)
        idle(page)
        expect(page.get_by_role("heading", name="Attribution", exact=False).first).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("MSP (", exact=False).first).to_be_visible()
        f = Filters(years=(2019, 2023), ptype=("msp",))
        links = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[0].link.value.length")
        assert links == len(queries.label_flows(db, f))
        hrefs = sidebar.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        paths = {urlsplit(h).path for h in hrefs}
        assert {"/attribution", "/explorer", "/incident", "/policy", "/brief", "/sql", "/methodology"} <= paths
        assert all("years=2019-2023" in h and "ptype=msp" in h for h in hrefs)
        sidebar.get_by_role("link", name="Explorer").click()
        page.wait_for_url("**/explorer?**", timeout=TIMEOUT)
        assert "ptype=msp" in page.url and "years=2019-2023" in page.url
        idle(page)
        sidebar.get_by_role("link", name="Overview").click()
        expect(page.get_by_role("heading", name="IncidentLens").first).to_be_visible(timeout=TIMEOUT)
        assert urlsplit(page.url).path == "/" and "ptype=msp" in page.url
    finally:
        local_dashboard.stop(proc)


def test_overview_chart_is_drawn_with_a_bar_per_type(page: Page, base_url, db):
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{base_url}/")
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT)
    idle(page)
    h = queries.headline(db, Filters())
    key = page.locator(".st-key-chart_overview_key .js-plotly-plot")
    key.locator(".main-svg").first.wait_for(timeout=TIMEOUT)
    title = page.locator("strong", has_text=f"Of {h.labelled.k} incidents publicly labelled")
    assert title.bounding_box()["y"] + title.bounding_box()["height"] <= key.bounding_box()["y"]  # over its chart
    bars = key.evaluate("el => el._fullData[0].y.length")
    assert bars == len(db.package.type_family)
    assert failed == []


def test_explorer_download_has_every_filtered_row(page: Page, base_url, db):
    page.goto(f"{base_url}/explorer?country=US")
    page.get_by_role("button", name="Download CSV").wait_for(timeout=TIMEOUT)
    idle(page)
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="Download CSV").click()
    with open(info.value.path(), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = queries.incidents(db, Filters(country=("US",)))
    assert len(rows) == len(expected) > 0
    assert {r["incident_id"] for r in rows} == set(expected["incident_id"])
    assert rows[0]["dataset_version"] == db.version


SHORT_COLUMNS = {
    "/explorer": ["Year", "Victim orgs (low)", "Victim orgs (high)"],
    "/policy": ["Date", "Where", "Kind", "Status"],
}


@pytest.mark.parametrize("width", [1024, 1280, 1400])
@pytest.mark.parametrize("path", sorted(SHORT_COLUMNS))
def test_short_columns_are_whole_on_a_laptop_screen(page: Page, base_url, path, width):
    """The grid draws only the columns in view, and the table's edge cut whatever it reached: a
    right-aligned count cut there looked like a blank beside another row's "unknown", and a
    status read "Pub". The short columns must be in view with a column after them, so that the
    edge cuts a title instead."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{base_url}{path}")
    grid = page.get_by_test_id("stDataFrame").first
    grid.locator("th").first.wait_for(state="attached", timeout=TIMEOUT)
    idle(page)
    in_view = grid.locator("th").evaluate_all("els => els.map(e => e.textContent)")
    short = SHORT_COLUMNS[path]
    assert set(short) <= set(in_view), in_view
    assert max(in_view.index(n) for n in short) < len(in_view) - 1, in_view


@pytest.mark.parametrize("width", [1024, 1280])
def test_record_label_timeline_shows_who_said_it_whole(page: Page, base_url, width):
    """The label timeline's last column, who said the label, was cut at the table's edge on a
    laptop screen ("the publisher it"). It is drawn whole now: no cell is wider than its box."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{base_url}/incident?id=2021-07-kaseya-vsa")
    page.get_by_role("heading", name="Label timeline").wait_for(timeout=TIMEOUT)
    idle(page)
    table = page.get_by_test_id("stTable").first
    assert "the publisher itself" in table.inner_text()
    cut = table.locator("td, th").evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length")
    box, main = table.bounding_box(), page.get_by_test_id("stMain").bounding_box()
    assert cut == 0 and box["x"] + box["width"] <= main["x"] + main["width"]
    # Each date on one line: it had broken at a hyphen ("2021-07-" / "03").
    date_lines = table.locator("tbody tr td:first-child p").evaluate_all(
        "els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; })"
    )
    assert len(date_lines) == 4 and set(date_lines) == {1}


CHART_TEXT = """els => els.map(chart => {
  const TURN = TURN_JS;
  const c = chart.getBoundingClientRect();
  const boxes = [];
  for (const t of chart.querySelectorAll('svg text')) {
    const text = t.textContent.trim(), style = getComputedStyle(t), r = t.getBoundingClientRect();
    if (!text || style.display === 'none' || style.visibility === 'hidden' || r.width === 0) continue;
    if (t.closest('.hoverlayer, .modebar')) continue;
    boxes.push({text, cls: t.getAttribute('class') || '', x0: r.left - c.left, y0: r.top - c.top,
                x1: r.right - c.left, y1: r.bottom - c.top, ...TURN(t)});
  }
  const plot = chart.querySelector('.nsewdrag');  // the plot area (a Sankey has none)
  return {width: c.width, height: c.height, boxes, plot: plot ? plot.getBoundingClientRect().width : null};
})""".replace("TURN_JS", layout_check.TURN)


@pytest.mark.parametrize("width", [640, 1024, 1280])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/attribution?section=Who+says+MSP",
        "/attribution?section=Over+time",
        "/attribution?section=Where+and+whom",
        "/policy",
    ],
)
def test_page_charts_show_every_label_inside_and_apart(page: Page, base_url, path, width):
    """What the reader sees on the page, not the exported image, on a laptop and at 640 px (a
    1280 px laptop zoomed to 200%): the policy timeline's action numbers, how a reader finds an
    action in the table, ran together ("1112"); and a plot squeezed between long labels and a
    legend showed 0–100% in 70 px."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base_url}{path}&sector=dental&sector=healthcare&country=US" if "?" in path else f"{base_url}{path}")
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT)
    idle(page)
    charts = page.locator(".js-plotly-plot").evaluate_all(CHART_TEXT)
    assert charts
    problems = [
        p
        for chart in charts
        for p in layout_check.text_problems(
            chart["width"], chart["height"], [layout_check.TextBox(**b) for b in chart["boxes"]]
        )
    ]
    assert problems == []
    # Labels and a legend beside the plot must leave it room: the robustness chart's plot was 12%
    # of the chart's width at 1024 px (about 70 px for 0–100%), the sector chart's 41%.
    shares = [round(c["plot"] / c["width"], 2) for c in charts if c["plot"] is not None]
    narrow = [share for share in shares if share < 0.45]
    assert narrow == []


PAST_THE_EDGE = """() => {
  const main = document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect();
  return [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMarkdownContainer] :is(p, li, strong)')]
    .filter(e => !e.closest('[role=tablist]'))  // a tab bar scrolls, with arrows
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > main.right + 1; })
    .map(e => e.innerText.slice(0, 60));
}"""


@pytest.mark.parametrize("path", ["/", "/attribution", "/attribution?section=Who+says+MSP", "/policy"])
def test_chart_titles_and_text_stay_on_a_phone_screen(page: Page, base_url, path):
    """At 390 px the robustness chart's title ran off the screen ("… 0–6%" and no more): plotly
    drew it on lines wrapped for a laptop. Titles are text now, wrapped by the browser."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}{path}")
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT)
    idle(page)
    meta = page.locator(".js-plotly-plot").evaluate_all("els => els.map(e => e.layout.meta.title)")
    shown = page.locator("[data-testid=stMain] strong").all_inner_texts()
    assert meta and all(title in shown for title in meta)
    assert page.evaluate(PAST_THE_EDGE) == []


TAB_BARS = """() => [...document.querySelectorAll('[role=tablist]')]
  .filter(l => l.scrollWidth > l.clientWidth + 1).map(l => l.innerText.replace(/\\s+/g, ' '))"""


@pytest.mark.parametrize("path", ["/attribution", "/methodology"])
def test_every_tab_shows_on_a_laptop_screen(page: Page, base_url, path):
    """At 1024 px with the sidebar open, Attribution's tab bar needed 600 px of 564: "Compare two
    groups" was cut behind a scroll arrow, a section a reader would not know was there."""
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{base_url}{path}")
    page.get_by_role("tab").first.wait_for(timeout=TIMEOUT)
    idle(page)
    assert page.evaluate(TAB_BARS) == []


def test_a_link_to_a_renamed_section_opens_it_and_shows_its_new_name(page: Page, base_url):
    page.goto(f"{base_url}/attribution?section=Who+uses+the+MSP+label&country=US")
    expect(page.get_by_role("tab", name="Who says MSP")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT)
    assert "section=Who+says+MSP" in page.url and "country=US" in page.url


LIGHTNESS = """el => { const [r, g, b] = getComputedStyle(el).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; }"""


def test_a_reader_in_dark_mode_sees_the_charts_on_a_light_page(browser, base_url):
    """The charts draw a white plot (as the images and the brief do); with the reader's system in
    dark mode the page turned dark around them and each plot sat as a white block."""
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/")
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert page.get_by_test_id("stApp").evaluate(LIGHTNESS) > 0.9
    finally:
        context.close()


CUT_LABELS = """() => [...document.querySelectorAll('[data-testid=stMain] button')].flatMap(b =>
  [b, ...b.querySelectorAll('*')].filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
   .map(() => b.innerText))"""
# Each page with buttons, and the last button it draws (the page is complete once it is there).
LAST_BUTTON = {
    "/": "SVG image",
    "/attribution": "SVG image",
    "/explorer": "Download data bundle",
    "/policy": "SVG image",
    "/brief": "Download Word brief",
    "/sql": "Download CSV",
}


@pytest.mark.parametrize("width", [1024, 1280])
def test_no_button_label_is_cut(page: Page, base_url, width):
    """Buttons in equal columns were cut on a 1024 px screen: "Download Parq…", and the chart
    image buttons showed "PN…" and "SV…"."""
    page.set_viewport_size({"width": width, "height": 900})
    cut = {}
    for path, last in LAST_BUTTON.items():
        page.goto(f"{base_url}{path}")
        page.get_by_role("button", name=last).last.wait_for(timeout=TIMEOUT)
        idle(page)
        if found := page.evaluate(CUT_LABELS):
            cut[path] = found
    assert cut == {}


def test_record_page_links_are_http_only(page: Page, base_url):
    page.goto(f"{base_url}/incident?id=2019-08-texas-municipalities-tsm")
    page.get_by_role("heading", name="Sources (").wait_for(timeout=TIMEOUT)
    idle(page)
    hrefs = page.locator("[data-testid='stMain'] a[href]").evaluate_all("els => els.map(e => e.href)")
    external = [h for h in hrefs if urlsplit(h).hostname not in ("127.0.0.1", "localhost")]
    assert len(external) >= 5
    assert all(urlsplit(h).scheme in ("http", "https") for h in hrefs)


def test_chart_image_downloads_carry_the_source_line(page: Page, base_url, db):
    page.goto(f"{base_url}/?sector=dental")
    button = page.get_by_role("button", name="SVG image").first
    button.wait_for(timeout=TIMEOUT)
    idle(page)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    with open(info.value.path(), encoding="utf-8") as fh:
        svg = fh.read()
    assert svg.lstrip().startswith("<svg")
    assert f"IncidentLens dataset v{db.version}" in svg and "sector=dental" in svg
    png_button = page.get_by_role("button", name="PNG image").first
    with page.expect_download(timeout=60_000) as info:
        png_button.click()
    with open(info.value.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_answer_and_its_range_are_on_the_first_screen(page: Page, base_url, db):
    """A new visitor sees the answer, with n, intervals and the robustness range, without scrolling;
    the robustness chart is drawn with one row per reading."""
    from incidentlens.present import narrative
    from incidentlens.query import answer

    ans, readings = answer.of(db, Filters())
    page.goto(f"{base_url}/")
    sentence = page.get_by_text(narrative.answer_sentence(ans), exact=False).first
    expect(sentence).to_be_visible(timeout=TIMEOUT)
    # The robustness chart's caption repeats the range further down; the first is the answer box.
    rng = page.get_by_text(narrative.robustness_sentence(readings), exact=False).first
    height = page.viewport_size["height"]
    for item in (sentence, rng):
        box = item.bounding_box()
        assert box is not None and box["y"] + box["height"] <= height, "below the first screen"
    expect(page.get_by_text("Across 8 readings", exact=False)).to_be_visible()
    chart = page.locator(".st-key-chart_overview_robustness .js-plotly-plot")
    chart.locator(".main-svg").first.wait_for(timeout=TIMEOUT)
    assert chart.evaluate("el => el._fullData[0].y.length") == len(readings)
