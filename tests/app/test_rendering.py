"""Free text is shown literally: Markdown and HTML in summaries, notes and sources never render,
and only http(s) links ever become links. Checked with a CommonMark parser (markdown-it-py,
the parser family Streamlit's own Markdown follows) and through the real incident page."""

from __future__ import annotations

import csv

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from incidentlens.ui import plain, safe_link
from paths import ROOT

HOSTILE = [
    "<script>alert(1)</script>",
    "![x](http://evil.example/pixel.png)",
    "[click me](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ `code` # heading",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "$x^2$ and :red[colour] and <https://auto.link>",
    "line one\nline two",
]
md = MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_never_becomes_markup(text):
    html = md.render(plain(text))
    for tag in ("<script", "<img", "<a ", "<strong", "<em", "<code", "<h1", "<table"):
        assert tag not in html, (text, html)
    visible = html.replace("<p>", "").replace("</p>", "").replace("<br />", "").replace("\n", "")
    assert "alert(1)" in visible or "alert" not in text


@pytest.mark.parametrize(
    "url, is_link",
    [
        ("https://example.org/a?b=c", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("ftp://example.org/x", False),
        ("https://", False),
        ("https://exa mple.org", False),
    ],
)
def test_only_http_links_are_rendered(url, is_link):
    html = md.render(safe_link(url))
    assert ("<a href=" in html) is is_link
    if is_link:
        assert 'href="http' in html


def _incident_page(data_dir, monkeypatch, **cells) -> tuple[AppTest, dict]:
    path = data_dir / "incidents.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(cells)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv("INCIDENTLENS_DATA", str(data_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["id"] = rows[0]["incident_id"]
    at.switch_page("pages/incident.py")
    return at.run(), rows[0]


def test_data_with_html_images_or_script_links_is_refused_not_rendered(data_dir, monkeypatch):
    """The validator refuses these constructs in text (issue 15.3), so the page lists the
    problem instead of rendering the data."""
    at, _ = _incident_page(
        data_dir,
        monkeypatch,
        summary="<script>alert(1)</script> ![x](http://evil.example/p.png) [y](javascript:alert(1))",
    )
    assert not at.exception
    assert at.error and "do not validate" in at.error[0].value
    assert "summary: holds" in at.text[0].value
    for element in at.markdown:
        html = md.render(element.value)
        assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


def test_incident_page_shows_the_markdown_the_validator_allows_literally(data_dir, monkeypatch):
    at, _ = _incident_page(
        data_dir,
        monkeypatch,
        summary="alert(1) **not bold** _nor this_ # nor a heading",
        type_basis="**not bold** `nor code`",
    )
    assert not at.exception
    rendered = " ".join(md.render(e.value) for e in at.markdown)
    assert "alert(1)" in rendered and "**not bold**" in rendered
    assert "<strong>not bold</strong>" not in rendered and "<em>nor this</em>" not in rendered
    assert "<code>nor code</code>" not in rendered and "<h1>nor a heading" not in rendered
