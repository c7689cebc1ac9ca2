"""The pages as a testimony writer uses them: on the Overview a cite sentence for every provider
type (zero counts included) with the proper type names and the public address when one is set,
and the chart's finding in words under it; on the Brief page the command line with that address,
or a note that the brief will be a local copy."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from incidentlens import links
from incidentlens.data.database import load
from incidentlens.present import charts, narrative
from incidentlens.query import queries
from incidentlens.query.filters import Filters
from incidentlens.ui import overview
from paths import REAL, ROOT

PUBLIC = "https://lens.example.org"


@pytest.fixture
def open_with(monkeypatch, tmp_path):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    monkeypatch.setenv(links.CONFIG_ENV, str(tmp_path / "absent.toml"))

    def run(base_url: str | None, params: dict[str, str], page: str = "app.py") -> AppTest:
        if base_url:
            monkeypatch.setenv(links.BASE_URL_ENV, base_url)
        else:
            monkeypatch.delenv(links.BASE_URL_ENV, raising=False)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for key, value in params.items():
            at.query_params[key] = value
        at.session_state[overview.CITE] = True  # the reader has opened "Cite these numbers"
        if page != "app.py":
            at.switch_page(page)
        return at.run()

    return run


def test_a_cite_sentence_for_every_type_with_the_public_address(open_with):
    at = open_with(PUBLIC, {"sector": "dental"})
    assert not at.exception
    db = load(REAL)
    h = queries.headline(db, Filters(sector=("dental",)))
    codes = [c.value for c in at.code]
    for t in h.labelled_by_type:
        expected = narrative.cite_type(h, t.code, f"{PUBLIC}/?sector=dental")
        assert expected in codes, t.code
    assert any(t.share.k == 0 for t in h.labelled_by_type)  # so zero counts are shown, not skipped
    assert not any("localhost" in c or "local copy" in c for c in codes)


def test_the_cite_sentences_are_built_only_once_the_section_is_opened(open_with):
    at = open_with(PUBLIC, {})
    assert [c.value for c in at.code if c.value.startswith("Of ")]
    at.session_state[overview.CITE] = False
    at.run()
    assert not at.exception
    assert not [c.value for c in at.code if c.value.startswith("Of ")]
    assert any(e.label.startswith("Cite these numbers") for e in at.expander)


def test_without_an_address_the_sentences_say_local_copy(open_with):
    at = open_with(None, {})
    cites = [c.value for c in at.code if c.value.startswith("Of ")]
    assert cites and all(f"http://localhost:8501/ ({links.LOCAL_NOTE})." in c for c in cites)
    assert any(links.HOW_TO_SET in c.value for c in at.caption)


def test_the_key_chart_has_its_finding_in_words_under_it(open_with):
    at = open_with(PUBLIC, {})
    h = queries.headline(load(REAL), Filters())
    summary = charts.alt_text(charts.labelled_vs_assessed(h))
    assert any(summary in c.value.replace("\\", "") for c in at.caption)


def test_brief_page_gives_the_command_with_the_public_address(open_with):
    at = open_with(PUBLIC, {"sector": "dental"}, "pages/brief.py")
    assert not at.exception
    assert [c.value for c in at.code if c.value.startswith("incidentlens brief")] == [
        f"incidentlens brief --format pdf --out brief.pdf --base-url {PUBLIC} --sector dental"
    ]
    assert not any("local copy" in i.value for i in at.info)


def test_brief_page_says_a_local_brief_will_be_marked(open_with):
    at = open_with(None, {}, "pages/brief.py")
    assert any("marked as a local copy" in i.value and links.HOW_TO_SET in i.value for i in at.info)
    assert not any("--base-url" in c.value for c in at.code)


def test_the_link_to_a_view_keeps_its_state_and_drops_what_else_the_url_carried(open_with):
    """A reader who arrived by a link with tracking or stale keys cites the view, not them: the
    page's own state (here its section) and the filters stay; utm_source= and tab= go."""
    params = {"sector": "dental", "section": "Over time", "utm_source": "newsletter", "tab": "x"}
    at = open_with(PUBLIC, params, "pages/attribution.py")
    assert not at.exception
    links_shown = [c.value for c in at.code if c.value.startswith(PUBLIC)]
    assert links_shown == [f"{PUBLIC}/attribution?sector=dental&section=Over+time"]
    sources = [c.value for c in at.caption if c.value.startswith("Source:")]
    assert sources and not [s for s in sources if "utm" in s or "tab=" in s]
