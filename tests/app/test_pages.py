"""One AppTest per page: renders without exception (real and fixture data), filters change the
numbers exactly as the query layer says, URL state round-trips, hostile links fall back."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from incidentlens import ui
from incidentlens.data.database import load
from incidentlens.present import format, tables
from incidentlens.query import compare, policy, queries
from incidentlens.query.filters import Filters
from incidentlens.ui import attribution as attribution_page
from incidentlens.ui import overview
from incidentlens.ui import record as record_ui
from paths import REAL, ROOT

APP = str(ROOT / "app.py")
TSM = "2019-08-texas-municipalities-tsm"
PAGES = [path for path, _, _ in ui.PAGES]  # every page, in the menu's order


def test_every_page_file_is_in_the_menu():
    # The page tests run every page of the menu: a page file outside it would go untested (and unreachable).
    assert sorted(PAGES) == sorted(["app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))])


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


def test_overview_view_is_kept_per_filter_and_data_folder(monkeypatch, fixture_dir):
    """Readers share a filter's computed view; another filter or another data folder gets its own."""
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    db = load(REAL)
    first, again = overview.view(db, Filters()), overview.view(db, Filters())
    dental = overview.view(db, Filters(sector=("dental",)))
    assert again is first and dental is not first
    assert dental.headline == queries.headline(db, Filters(sector=("dental",)))
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    other = overview.view(load(fixture_dir), Filters())
    assert other.answer.n == queries.count(load(fixture_dir), Filters()) != first.answer.n


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


@pytest.mark.parametrize("page", PAGES)
def test_reset_all_filters_clears_widgets_and_url_and_keeps_the_page(page, monkeypatch):
    """Every page's "Reset all filters" button: all filters gone from the widgets and the link, a
    page's own key (the record's id) kept, and the page's numbers back to the whole dataset."""
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    record = "2019-08-texas-municipalities-tsm"
    at = open_page(page, {"id": record, "years": "2019-2021", "sector": "healthcare", "q": "ransom"})
    assert at.multiselect(key="w_sector").value == ["healthcare"]
    next(b for b in at.sidebar.button if b.label == "Reset all filters").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="w_sector").value == [] and at.text_input(key="w_q").value == ""
    assert not {"years", "sector", "q"} & set(at.query_params)
    assert at.query_params["id"] in (record, [record])
    if page == "app.py":
        assert at.metric[0].value == str(queries.count(load(REAL), Filters()))


@pytest.mark.parametrize(
    "params",
    [
        {"years": "2030-1990"},
        {"years": "abc", "ptype": "'; DROP TABLE incidents; --"},
        {"sector": "x" * 10_000, "zzz": "1"},
        {"country": "<script>alert(1)</script>", "q": "%' OR 1=1 --"},
        {"id": "../../etc/passwd"},
    ],
)
@pytest.mark.parametrize("page", ["app.py", "pages/explorer.py", "pages/incident.py"])
def test_hostile_params_fall_back_with_a_note(page, params, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    at = open_page(page, params)
    assert not at.exception
    if set(params) & {"years", "ptype", "sector", "country"}:
        assert at.warning, "a visible note explains what was ignored"


@pytest.fixture
def real(monkeypatch):
    """The curated data, loaded as the page loads it."""
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    return load(REAL)


def flat(value) -> str:
    return value[0] if isinstance(value, list) else value


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# ---- Attribution -----------------------------------------------------------------------------


def test_attribution_opens_on_the_label_flow_with_minor_labels_grouped(real):
    at = open_page("pages/attribution.py")
    assert [t.label for t in at.tabs] == list(attribution_page.SECTIONS)
    specs = chart_specs(at)
    assert len(specs) == 1 and specs[0]["data"][0]["type"] == "sankey", "only the open section is drawn"
    grouped = queries.label_flows(real, Filters(), attribution_page.MINOR)
    nodes = specs[0]["data"][0]["node"]["label"]
    assert sorted(n.removeprefix("Called: ") for n in nodes if n.startswith("Called: ")) == sorted(
        real.package.label(t) for t in grouped["label_term"].unique()
    )
    full = queries.label_flows(real, Filters())
    if queries.OTHER_LABELS in set(grouped["label_term"]):
        assert "Called: " + real.package.label(queries.OTHER_LABELS) in nodes
        note = " ".join(c.value for c in at.caption)
        assert all(real.package.label(t) in note for t in set(full["label_term"]) - set(grouped["label_term"]))


def test_attribution_section_and_breakdown_come_from_the_url(real):
    at = open_page("pages/attribution.py", {"section": "Over time"})
    assert not at.exception
    assert [s["data"][0]["type"] for s in chart_specs(at)] == ["bar", "scatter"]
    at = open_page("pages/attribution.py", {"section": "Where and whom", "by": "country"})
    (spec,) = chart_specs(at)
    assert spec["layout"]["meta"]["title"].startswith("By country")
    assert flat(at.query_params["by"]) == "country"


def test_a_link_to_a_renamed_section_opens_it_under_its_new_name(real):
    old = open_page("pages/attribution.py", {"section": "Who uses the MSP label"})
    assert not old.exception
    assert flat(old.query_params["section"]) == "Who says MSP"
    new = open_page("pages/attribution.py", {"section": "Who says MSP"})
    (spec,) = chart_specs(new)
    assert chart_specs(old) == [spec] and spec["layout"]["xaxis"]["title"]["text"].startswith("Share of sources")


def test_high_confidence_toggle_redraws_and_lives_in_the_url(real):
    at = open_page("pages/attribution.py")
    before = at.get("plotly_chart")[0].proto.spec
    at.toggle(key="high_only").set_value(True).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != before
    assert flat(at.query_params["conf"]) == "high"
    assert at.multiselect(key="w_conf").value == ["high"]
    assert "high-confidence" in at.markdown[0].value.replace("\\", "")
    at.toggle(key="high_only").set_value(False).run()
    assert "conf" not in at.query_params
    assert open_page("pages/attribution.py", {"conf": "high"}).toggle(key="high_only").value is True


def test_default_comparison_has_incidents_on_both_sides(real):
    at = open_page("pages/attribution.py", {"section": "Compare two groups"})
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert "n/a" not in (metrics["Group A"], metrics["Group B"], metrics["Difference A − B"])
    # 28% and 4% differ by +25 points because the shares are 28.1% and 3.5%: the page says so.
    shown = int(metrics["Group A"][:-1]) - int(metrics["Group B"][:-1])
    noted = any("before rounding" in c.value for c in at.caption)
    assert noted == (shown != int(metrics["Difference A − B"].split()[0]))
    a, b = (compare.parse_slice(flat(at.query_params[k]), real.package).filters for k in ("ca", "cb"))
    assert min(queries.count(real, a), queries.count(real, b)) > 0


def test_comparison_comes_from_the_url_with_the_cli_numbers(real, capsys):
    from incidentlens.cli import main

    at = open_page(
        "pages/attribution.py",
        {"section": "Compare two groups", "ca": "label=msp", "cb": "label=not_msp", "cshare": "software_vendor"},
    )
    assert at.selectbox(key="cmp_share").value == "software_vendor"
    pkg = real.package
    expected = compare.compare(
        real,
        Filters(),
        compare.parse_slice("label=msp", pkg).filters,
        compare.parse_slice("label=not_msp", pkg).filters,
        "software_vendor",
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Group A"] == format.pct(expected.result.a.share)
    assert metrics["Group B"] == format.pct(expected.result.b.share)
    assert main(["stats", "--json", "--compare", "label=msp", "label=not_msp", "--share-of", "software_vendor"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["a"]["k"], out["a"]["n"]) == (expected.result.a.k, expected.result.a.n)
    assert flat(at.query_params["ca"]) == "label=msp"


def test_copy_link_carries_a_changed_comparison_in_the_same_run(real):
    # The header's link is drawn before the comparison: a changed comparison must already be in it.
    at = open_page("pages/attribution.py", {"section": "Compare two groups", "ca": "label=msp", "cb": "label=not_msp"})
    header_link = lambda: at.code[0].value  # noqa: E731  (the first code block is "Copy link to this view")
    assert "cshare=break_fix" not in header_link()
    at.selectbox(key="cmp_share").set_value("break_fix").run()
    assert "cshare=break_fix" in header_link() and "ca=label%3Dmsp" in header_link()
    at.selectbox(key="cmp_preset").set_value(attribution_page.CUSTOM).run()
    at.text_input(key="cmp_b").input("label=msp&years=2019-2021").run()
    assert "cb=label%3Dmsp%26years%3D2019-2021" in header_link()
    assert "cshare=break_fix" in header_link()


def test_a_comparison_that_replaces_the_views_years_says_so(real):
    # The preset "before vs after" compares 2017–2021 with 2022–2025, whatever years the view has.
    before_after = {"ca": "years=2017-2021", "cb": "years=2022-2025"}
    at = open_page("pages/attribution.py", {"section": "Compare two groups", "years": "2019-2021", **before_after})
    assert at.selectbox(key="cmp_preset").value.startswith("Before vs after")
    assert [i.value.replace("\\", "") for i in at.info] == [
        "Both groups set their own years in place of the view's filter (from 2019–2021); "
        "every other filter of the view still applies."
    ]
    assert any("incidents from 2022–2025" in c.value for c in at.caption)  # group B's scope, under its share
    assert not [c.value for c in at.caption if "-0 " in c.value]  # an interval bound rounding to zero
    at.selectbox(key="cmp_preset").set_value("Labelled MSP vs never labelled MSP").run()
    assert not at.info


def test_a_comparison_that_cannot_be_computed_says_why(real):
    at = open_page(
        "pages/attribution.py", {"section": "Compare two groups", "ca": "label=msp", "cb": "q=no such words anywhere"}
    )
    assert not at.exception
    assert at.error and "cannot be computed" in at.error[0].value and "group B" in at.error[0].value
    assert {m.label: m.value for m in at.metric}["Group B"] == "n/a"


# ---- Explorer --------------------------------------------------------------------------------


def test_explorer_shows_plain_columns_called_and_was_first_and_follows_filters(real):
    at = open_page("pages/explorer.py")
    table = at.dataframe[0].value
    assert list(table.columns[:2]) == [tables.CALLED, tables.WAS]
    assert len(table) == queries.count(real, Filters())
    assert not {"incident_id", "provider_type", "label_terms", "victim_sectors"} & set(table.columns)
    assert set(table[tables.WAS]) <= {real.package.label(c) for c in real.package.type_family}
    at.multiselect(key="w_sector").set_value(["dental"]).run()
    assert len(at.dataframe[0].value) == queries.count(real, Filters(sector=("dental",))) < len(table)
    # Each format under the name a reader knows it by ("PARQUET" and "XLSX" once read as codes).
    formats = {"Download CSV", "Download JSON", "Download Parquet", "Download Excel (.xlsx)"}
    assert {b.proto.label for b in at.get("download_button")} >= formats


def test_explorer_shows_a_blank_count_as_unknown_not_none(real):
    # Streamlit draws a missing value as "None" unless told otherwise: beside counts it reads as zero.
    at = open_page("pages/explorer.py")
    table = at.dataframe[0]
    assert table.value["Victim orgs (high)"].isna().any()  # the real data has unreported counts
    assert table.proto.placeholder == "unknown"


# ---- Incident record -------------------------------------------------------------------------


def test_incident_without_an_id_lists_incidents_to_pick(real):
    at = open_page("pages/incident.py", {"sector": "dental"})
    assert not at.exception and not at.error
    listed = at.dataframe[0].value
    assert len(listed) == queries.count(real, Filters(sector=("dental",)))
    assert all("/incident?id=" in url for url in listed["Record"])
    at.selectbox(key="pick_id").set_value(listed["Record"].iloc[0].split("id=")[1]).run()
    assert at.title[0].value.replace("\\", "") == listed["Incident"].iloc[0]  # the title is escaped Markdown


def test_picker_lists_the_newest_titles_up_to_its_limit_and_says_so(real, monkeypatch):
    # At 100k incidents the drop-down sent every title; it holds PICK_LIMIT, the table every one.
    monkeypatch.setattr(record_ui, "PICK_LIMIT", 3)
    at = open_page("pages/incident.py")
    newest = list(queries.incidents(real, Filters())["incident_id"][:3])
    assert at.selectbox(key="pick_id").options == [queries.incident_title(real, i) for i in newest]
    assert len(at.dataframe[0].value) == queries.count(real, Filters())
    assert any(f"newest 3 of the {queries.count(real, Filters())} incidents" in c.value for c in at.caption)
    monkeypatch.setattr(record_ui, "PICK_LIMIT", 1000)
    assert not [c for c in open_page("pages/incident.py").caption if "newest" in c.value]


def test_record_states_a_month_precise_date_as_a_month(real):
    # Stored as 2013-07-01 with precision "month": the page must not claim the 1st.
    at = open_page("pages/incident.py", {"id": "2013-07-jp-ntt-procx-insider"})
    captions = [c.value for c in at.caption]
    assert "Attack date July 2013" in captions and not [c for c in captions if "2013-07-01" in c]


def test_unknown_incident_id_says_so_and_lists_incidents(real):
    at = open_page("pages/incident.py", {"id": "2099-01-no-such-incident"})
    assert at.error and "No incident" in at.error[0].value
    assert len(at.dataframe[0].value) == queries.count(real, Filters())


def test_incident_record_reads_in_plain_labels(real):
    at = open_page("pages/incident.py", {"id": TSM})
    assert "TSM" in at.title[0].value
    record, pkg = queries.incident(real, TSM), real.package
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert f"Decided by codebook rule {pkg.label(record['type_rule'])}" in text
    timeline = at.table[0].value  # drawn whole, with its text escaped (ui.tables.whole)
    codes = set(pkg.vocabulary("sources", "label_term"))
    assert set(timeline["Label used"]) <= {ui.plain(pkg.label(c)) for c in codes}
    assert not set(timeline["Label used"]) & {c for c in codes if pkg.label(c) != c}
    assert len(at.table) == 1 and not at.get("selectbox"), "closed sections are not drawn"
    at.session_state[record_ui.FIELDS] = True
    fields = at.run().table[1].value
    assert len(fields) == len(pkg.fields("incidents"))


def test_correction_helper_gives_a_ready_text_and_where_to_send_it(real, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_CORRECTIONS", "corrections@example.org")
    at = open_page("pages/incident.py", {"id": TSM})
    at.session_state[record_ui.CORRECTION] = True
    at.run().selectbox(key="corr_field").set_value("provider_type")
    at.text_input(key="corr_value").set_value("Break/fix")
    at.text_input(key="corr_source").set_value("https://example.org/contract").run()
    text = at.code[-1].value
    assert TSM in text and "provider_type" in text and "Break/fix" in text and "https://example.org/contract" in text
    (button,) = at.get("link_button")
    assert button.proto.url.startswith("mailto:corrections@example.org?")
    # Shown as plain text: the address carries a zero-width space so Markdown does not link it.
    shown = " ".join(m.value for m in at.markdown).replace("\\", "").replace("\u200b", "")
    assert "corrections@example.org" in shown


# ---- Policy ----------------------------------------------------------------------------------


def test_policy_opens_on_an_action_whose_window_has_incidents(real):
    at = open_page("pages/policy.py")
    assert not at.exception
    window = at.dataframe[-1].value
    sizes = [int(c.split("n=")[1].rstrip(")")) for c in window.columns[1:]]
    assert sum(sizes) > 0
    at.multiselect(key="w_sector").set_value(["dental"]).run()
    assert at.dataframe[-1].value.columns[1:].tolist() != window.columns[1:].tolist()


def test_policy_action_comes_from_the_url(real):
    last = policy.actions(real).iloc[-1]["policy_id"]
    at = open_page("pages/policy.py", {"action": last})
    assert at.selectbox(key="pol_pick").value == last
    assert flat(at.query_params["action"]) == last


def test_policy_names_the_incidents_its_windows_cannot_place(real):
    # CISA's RMM advisory (25 January 2023): an incident of January 2023 could be either side.
    action = policy.actions(real).set_index("policy_id").loc["2023-01-aa23-025a-rmm-advisory"]
    w = policy.windows(action["date"].date(), action["date_precision"])
    either = policy.either_side(real, Filters(), list(action["jurisdictions"]), w)
    assert len(either) > 0
    at = open_page("pages/policy.py", {"action": "2023-01-aa23-025a-rmm-advisory"})
    sentence = next(m.value for m in at.markdown if "counted on neither side" in m.value)
    assert all(title in sentence.replace("\\", "") for title in either["title"])
    ba = policy.before_after(real, Filters(), list(action["jurisdictions"]), w)
    heads = at.dataframe[-1].value.columns[1:].tolist()
    assert heads == [f"Two years before (n={int(ba['before'].sum())})", f"Two years after (n={int(ba['after'].sum())})"]


# ---- Methodology -----------------------------------------------------------------------------


def test_methodology_dictionary_has_every_file_a_download_and_one_citation_title(real):
    at = open_page("pages/methodology.py", {"section": "Data dictionary"})
    pkg = real.package
    dictionary = [t.value for t in at.table][: len(pkg.resource_names())]
    assert [len(t) for t in dictionary] == [len(pkg.fields(r)) for r in pkg.resource_names()]
    assert any(b.proto.label.startswith("Download as CSV") for b in at.get("download_button"))
    assert pkg.title in " ".join(c.value for c in at.caption)
    at = open_page("pages/methodology.py", {"section": "How to cite"})
    apa = next(c.value for c in at.code if "[Data set]" in c.value)
    assert pkg.title in apa


def test_methodology_draws_only_the_open_section(real):
    # The dictionary and vocabularies are some forty tables; drawn under closed tabs they held
    # the page (browser benchmark). Each section's content appears once its tab is open.
    method = open_page("pages/methodology.py")
    assert not method.table and any("### The question" in m.value for m in method.markdown)
    vocab = open_page("pages/methodology.py", {"section": "Vocabularies"})
    assert len(vocab.table) > 5 and not any("### The question" in m.value for m in vocab.markdown)


@pytest.mark.parametrize("section, heading", [("Method", "Methodology"), ("Changelog", "Dataset changelog")])
def test_methodology_documents_sit_under_the_page_title(real, section, heading):
    """The page has one h1, its title; the method text and the changelog, each under the tab
    that names it, drop their own title, and their sections are h3 (they were a second h1)."""
    at = open_page("pages/methodology.py", {"section": section})
    lines = [line for m in at.markdown for line in m.value.splitlines()]
    assert [t.value for t in at.title] == ["Methodology and data dictionary"]
    assert not [line for line in lines if line.startswith(("# ", "## "))]
    assert f"# {heading}" not in lines and any(line.startswith("### ") for line in lines)


def test_every_real_incident_record_renders(monkeypatch):
    """Record pages hold every field; empty lists once crashed some of them."""
    import csv

    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    with open(REAL / "incidents.csv", encoding="utf-8", newline="") as fh:
        ids = [r["incident_id"] for r in csv.DictReader(fh)]
    failed = [i for i in ids if open_page("pages/incident.py", {"id": i}).exception]
    assert failed == []


@pytest.mark.parametrize("path, unknown", [("/", False), ("/no-such-page", True), ("/no/such/page", True)])
def test_an_unknown_page_path_says_so_on_the_overview(real, monkeypatch, path, unknown):
    from streamlit.runtime.context import ContextProxy

    monkeypatch.setattr(ContextProxy, "url", property(lambda self: "http://127.0.0.1:8501" + path))
    at = open_page("app.py")
    notes = [w.value for w in at.warning if "There is no page" in w.value]
    assert bool(notes) == unknown
    if unknown:
        assert path in notes[0].replace("\\", "")
    links = [c.value for c in at.code if "http" in c.value]
    assert links and all("no-such" not in link and "/no/" not in link for link in links)


@pytest.mark.parametrize(
    ("page", "says"),
    [
        ("pages/explorer.py", "**1** incident matches."),
        ("pages/incident.py", "**1** incident matches the filters"),
        ("pages/brief.py", "1 incident in view; the brief's table lists it"),
    ],
)
def test_one_matching_incident_is_counted_in_the_singular(real, page, says):
    at = open_page(page, {"q": "happytalk"})
    text = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(says in t for t in text), text
    assert not [t for t in text if "1 incidents" in t]
