"""One AppTest per page: renders without exception (real and fixture data), filters change the
numbers exactly as the query layer says, URL state round-trips, hostile links fall back."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from incidentlens.query import queries
from incidentlens.query.filters import Filters
from paths import REAL, ROOT

APP = str(ROOT / "app.py")
PAGES = ["app.py", "pages/attribution.py", "pages/explorer.py", "pages/incident.py",
         "pages/policy.py", "pages/brief.py", "pages/sql.py", "pages/methodology.py"]


def open_page(page: str, params: dict | None = None) -> AppTest:
    """Open `page` directly, as a deep link would."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    return at.run()


@pytest.fixture(params=["real", "fixture"])
def data(request, monkeypatch, fixture_dir):
    path = REAL if request.param == "real" else fixture_dir
    monkeypatch.setenv("INCIDENTLENS_DATA", str(path))
    return path


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(page, data):
    at = open_page(page, {"id": "2019-08-texas-municipalities-tsm"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"


def test_overview_numbers_follow_the_sector_filter(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    from incidentlens.data.database import load

    db = load(REAL)
    at = open_page("app.py")
    everything = queries.headline(db, Filters())
    assert at.metric[0].value == str(everything.n)
    assert at.metric[1].value == str(everything.labelled.k)
    at.multiselect(key="w_sector").set_value(["dental"]).run()
    dental = queries.headline(db, Filters(sector=("dental",)))
    assert dental.n < everything.n
    assert at.metric[0].value == str(dental.n)
    assert at.metric[1].value == str(dental.labelled.k)
    assert at.metric[2].value == str(dental.labelled_share("msp").k)
    assert at.query_params["sector"] == ["dental"] or at.query_params["sector"] == "dental"


def test_url_to_widgets_to_url_round_trip(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    params = {"years": "2019-2021", "ptype": "software_vendor,msp", "country": "US", "q": "ransom"}
    at = open_page("pages/explorer.py", params)
    assert not at.exception
    assert at.multiselect(key="w_ptype").value == ["msp", "software_vendor"]
    assert at.multiselect(key="w_country").value == ["US"]
    assert tuple(at.slider(key="w_years").value) == (2019, 2021)
    assert at.text_input(key="w_q").value == "ransom"
    written = {k: at.query_params[k] for k in params}
    flat = {k: v[0] if isinstance(v, list) else v for k, v in written.items()}
    assert flat == {"years": "2019-2021", "ptype": "msp,software_vendor", "country": "US", "q": "ransom"}


def test_filters_survive_a_page_switch(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page("app.py", {"sector": "dental"})
    at.switch_page("pages/attribution.py").run()
    assert at.multiselect(key="w_sector").value == ["dental"]
    at.switch_page("pages/explorer.py").run()
    assert at.multiselect(key="w_sector").value == ["dental"]


@pytest.mark.parametrize("params", [
    {"years": "2030-1990"},
    {"years": "abc", "ptype": "'; DROP TABLE incidents; --"},
    {"sector": "x" * 10_000, "zzz": "1"},
    {"country": "<script>alert(1)</script>", "q": "%' OR 1=1 --"},
    {"id": "../../etc/passwd"},
])
@pytest.mark.parametrize("page", ["app.py", "pages/explorer.py", "pages/incident.py"])
def test_hostile_params_fall_back_with_a_note(page, params, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page(page, params)
    assert not at.exception
    if set(params) & {"years", "ptype", "sector", "country"}:
        assert at.warning, "a visible note explains what was ignored"


def test_incident_record_shows_sources_and_unknown_id(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page("pages/incident.py", {"id": "2019-08-texas-municipalities-tsm"})
    assert at.title[0].value.startswith("Texas") or "Texas" in at.title[0].value
    text = " ".join(m.value for m in at.markdown)
    assert "TSM" in text or "tsm" in text.lower()
    at = open_page("pages/incident.py", {"id": "2099-01-no-such-incident"})
    assert at.error and "No incident" in at.error[0].value


def test_high_confidence_toggle_redraws(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page("pages/attribution.py")
    before = at.get("plotly_chart")[0].proto.spec
    at.toggle(key="high_only").set_value(True).run()
    assert not at.exception
    after = at.get("plotly_chart")[0].proto.spec
    assert before != after


def test_comparison_comes_from_the_url_with_the_cli_numbers(monkeypatch, capsys):
    from incidentlens.cli import main
    from incidentlens.data.database import load
    from incidentlens.query import compare

    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page("pages/attribution.py", {"ca": "label=msp", "cb": "label=not_msp", "cshare": "software_vendor"})
    assert at.selectbox(key="cmp_share").value == "software_vendor"
    db = load(REAL)
    pkg = db.package
    expected = compare.compare(db, Filters(), compare.parse_slice("label=msp", pkg).filters,
                               compare.parse_slice("label=not_msp", pkg).filters, "software_vendor")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A"] == expected.result.a.percent()
    assert metrics["B"] == expected.result.b.percent()
    assert main(["stats", "--json", "--compare", "label=msp", "label=not_msp", "--share-of", "software_vendor"]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert (out["a"]["k"], out["a"]["n"]) == (expected.result.a.k, expected.result.a.n)
    assert at.query_params["ca"] in ("label=msp", ["label=msp"])


def test_every_real_incident_record_renders(monkeypatch):
    """Record pages hold every field; empty lists once crashed some of them."""
    import csv

    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    with open(REAL / "incidents.csv", encoding="utf-8", newline="") as fh:
        ids = [r["incident_id"] for r in csv.DictReader(fh)]
    failed = [i for i in ids if open_page("pages/incident.py", {"id": i}).exception]
    assert failed == []
