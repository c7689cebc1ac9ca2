"""Hostile links (issue 15): a year range outside the data, Markdown in rejected values and
repeated keys open a working page on every page, with a visible note shown as plain text."""

from __future__ import annotations

import pytest
from markup import page_markup
from streamlit.testing.v1 import AppTest

from incidentlens import ui
from incidentlens.data.database import load
from incidentlens.query import queries
from incidentlens.ui import attribution
from paths import ROOT

APP = str(ROOT / "app.py")
PAGES = [path for path, _, _ in ui.PAGES]  # every page, in the menu's order
SECTIONS = attribution.SECTIONS


def open_page(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    return at.run()


@pytest.fixture(autouse=True)
def data(monkeypatch, fixture_dir):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    return fixture_dir


@pytest.fixture(scope="module")
def bounds(fixture_dir):
    return queries.year_bounds(load(fixture_dir))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("years", ["2100", "2099-2100", "1990-1995", "2100-1990"])
def test_years_outside_the_data_open_the_nearest_view_on_every_page(page, years, bounds):
    """Issue 15.1: these links raised an exception box on all eight pages."""
    at = open_page(page, {"years": years, "id": "2019-08-fx-town-msp"})
    assert not at.exception, [e.value for e in at.exception]
    lo, hi = at.slider(key="w_years").value
    assert bounds[0] <= lo <= hi <= bounds[1]
    asked = sorted(int(y) for y in (years if "-" in years else f"{years}-{years}").split("-"))
    nearest = (min(max(asked[0], bounds[0]), bounds[1]), max(min(asked[1], bounds[1]), bounds[0]))
    assert (lo, hi) == nearest
    assert any("nearest" in w.value for w in at.warning), "a visible note says the range was moved"


HOSTILE_VALUES = [
    "[x](https://evil.example)",
    "![p](https://evil.example/p.png)",
    ":red[evil] **evil** $evil$ :material/evil:",
    "<img src=https://evil.example/p.png> <b>evil</b>",
    "https://evil.example www.evil.example me@evil.example",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
@pytest.mark.parametrize("key", ["years", "ptype", "country", "sector"])
def test_link_notes_echo_rejected_values_as_plain_text(key, value):
    """Issue 15.2: `/?years=[x](https://evil.example)` put a working link in the app's warning."""
    at = open_page("app.py", {key: value})
    assert not at.exception
    assert at.warning, "the rejected value is noted"
    assert page_markup(at) == []


HOSTILE_LINKS = [
    {"years": HOSTILE_VALUES[0], "ptype": HOSTILE_VALUES[1], "q": HOSTILE_VALUES[2], "id": HOSTILE_VALUES[3]},
    # The search text also reaches chart titles (plotly renders <a href> there).
    {"q": '<a href="https://evil.example">evil</a> <b>evil</b>', "section": SECTIONS[1]},
    # No search text, so the pages draw everything (a search that matches nothing stops early).
    {
        "sector": HOSTILE_VALUES[4],
        "ca": f"q={HOSTILE_VALUES[0]}",
        "cb": f"q={HOSTILE_VALUES[2]}",
        "cshare": HOSTILE_VALUES[3],
        "id": HOSTILE_VALUES[1],
        "section": SECTIONS[4],
        "by": HOSTILE_VALUES[0],
        "action": HOSTILE_VALUES[2],
    },
]


@pytest.mark.parametrize("params", HOSTILE_LINKS, ids=["filters", "search-in-charts", "page-keys"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_link_values_as_plain_text(page, params):
    """Issue 15.2: echoed input is plain text everywhere (Markdown, widget help, chart titles)."""
    at = open_page(page, params)
    assert not at.exception
    assert page_markup(at) == []


@pytest.mark.parametrize(
    ("page", "params", "key"),
    [
        ("app.py", {"ptype": ["msp", "break_fix"]}, "ptype"),
        ("app.py", {"years": ["2019", "2020"]}, "years"),
        ("pages/explorer.py", {"q": ["alpha", "beta"]}, "q"),
        ("pages/incident.py", {"id": ["2019-08-fx-town-msp", "2020-05-fx-hosting"]}, "id"),
    ],
)
def test_a_key_repeated_in_the_link_gets_a_visible_note(page, params, key):
    """Issue 15.11: with repeated keys the last value used to win silently."""
    at = open_page(page, params)
    assert not at.exception
    notes = [w.value for w in at.warning if "gives" in w.value]
    assert len(notes) == 1 and f"{key} 2 times" in notes[0].replace("\\", ""), notes
