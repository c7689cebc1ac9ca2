"""Issue 15.2 in a real browser: Streamlit's Markdown links web and e-mail addresses found in
text even when every character is escaped (remark-gfm works on the text after escapes are
resolved), so echoed link values and data must carry no address a browser would link, fetch or
show as an image. AppTest cannot see this; chromium can."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page

HOSTILE = [
    "https://evil.example/a",
    "www.evil.example",
    "me@evil.example",
    "[x](https://evil.example)",
    "![p](https://evil.example/p.png)",
    "<img src=https://evil.example/p.png>",
    "mailto:me@evil.example",
]
KEYS = ["years", "ptype", "sector", "country", "id", "ca", "cb", "by", "cshare", "action", "q"]


def outside_links(page: Page, host: str) -> list[str]:
    return page.evaluate(
        "host => [...document.querySelectorAll('a[href]')].map(a => a.href)"
        ".filter(h => { try { return new URL(h).host !== host && h.includes('evil'); }"
        " catch (e) { return true; } })",
        host,
    )


@pytest.mark.parametrize("path", ["", "attribution", "incident", "policy"])
@pytest.mark.parametrize("value", HOSTILE)
def test_echoed_addresses_are_not_links_and_nothing_is_fetched(page: Page, base_url, path, value):
    host = base_url.split("//", 1)[1]
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "evil" in r.url.split("?")[0] else None)
    params = {k: value for k in KEYS if k != "q"}
    page.goto(f"{base_url}/{path}?{urlencode(params)}")
    page.wait_for_selector("h1", timeout=60_000)
    page.get_by_text("Link problem").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert outside_links(page, host) == []
    assert page.locator("img[src*='evil']").count() == 0
    assert fetched == []


def test_echoed_markup_shows_as_written(page: Page, base_url):
    """Colour directives, emphasis, maths, code and HTML stay text; :material/…: icons too (they
    were drawn even when escaped)."""
    value = ":red[evil] **evil** _evil_ $evil$ :material/home: `evil` ~~evil~~ <b>evil</b>"
    page.goto(f"{base_url}/?{urlencode({'ptype': value, 'q': value})}")
    page.wait_for_selector("h1", timeout=60_000)
    showing = page.locator("[data-testid='stMarkdownContainer']", has_text="Showing:").first
    showing.wait_for(timeout=60_000)
    assert showing.inner_text().replace("\u200b", "").count(value) == 1
    for selector in (
        "[role='img']",
        ".katex",
        "strong:has-text('evil')",
        "em",
        "code",
        "del",
        "b",
        "span[style*='color']",
    ):
        assert showing.locator(selector).count() == 0, selector
