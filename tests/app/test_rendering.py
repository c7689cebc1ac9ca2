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


@pytest.mark.parametrize("url, is_link", [
    ("https://example.org/a?b=c", True),
    ("http://example.org", True),
    ("javascript:alert(1)", False),
    (" JaVaScRiPt:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("ftp://example.org/x", False),
    ("https://", False),
    ("https://exa mple.org", False),
])
def test_only_http_links_are_rendered(url, is_link):
    html = md.render(safe_link(url))
    assert ("<a href=" in html) is is_link
    if is_link:
        assert 'href="http' in html


def test_incident_page_shows_hostile_text_literally(data_dir, monkeypatch):
    path = data_dir / "incidents.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["summary"] = "<script>alert(1)</script> ![x](http://evil.example/p.png) [y](javascript:alert(1))"
    rows[0]["type_basis"] = "**not bold** <b>nor this</b>"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv("INCIDENTLENS_DATA", str(data_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["id"] = rows[0]["incident_id"]
    at.switch_page("pages/incident.py")
    at.run()
    assert not at.exception
    for element in at.markdown:
        html = md.render(element.value)
        assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    rendered = " ".join(md.render(e.value) for e in at.markdown)
    assert "alert(1)" in rendered and "&lt;b&gt;nor this&lt;/b&gt;" in rendered
