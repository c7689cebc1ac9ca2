"""The presentation layer without Streamlit: values in words, tables with plain names and labels
(never raw codes), the correction text and where it goes, and the grouped label flows."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from counting import counted

from incidentlens.present import format, tables
from incidentlens.query import answer, compare, policy, queries
from incidentlens.query.filters import Filters
from paths import FIXTURE

TOWN = "2019-08-fx-town-msp"
NURSING = "2019-11-fx-nursing-msp"


@pytest.fixture(scope="module")
def pkg(db):
    return db.package


# ---- single values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (pd.Timestamp("2019-08-16"), "2019-08-16"),
        (dt.date(2020, 1, 2), "2020-01-02"),
        (None, "—"),
        (pd.NaT, "—"),
        ("", "—"),
        (float("nan"), "—"),
    ],
)
def test_dates_read_as_iso_or_a_dash(value, expected):
    assert format.date(value) == expected


@pytest.mark.parametrize(
    "precision, expected",
    [("day", "2013-07-01"), ("week", "week of 2013-07-01"), ("month", "July 2013"), ("year", "2013")],
)
def test_attack_dates_read_only_as_precisely_as_known(precision, expected):
    assert format.date_as_known(pd.Timestamp("2013-07-01"), precision) == expected
    assert format.date_as_known(None, precision) == "—"


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (22, 23, "22–23"),
        (400, 400, "400"),
        (110, None, "at least 110"),  # "at least N" fills only the minimum (methodology)
        (None, 1300, "up to 1,300"),
        (None, None, "unknown"),
        (1000, 2500, "1,000–2,500"),
        (float("nan"), float("nan"), "unknown"),
    ],
)
def test_counts_are_ranges(low, high, expected):
    assert format.count_range(low, high) == expected


def test_a_document_under_a_tab_loses_its_title_and_steps_its_headings_down():
    doc = "# Methodology\n\nIntro.\n\n## The question\n\n### Detail\n\n```\n# a comment\n```\n#hashtag"
    assert format.under_tab(doc) == "Intro.\n\n### The question\n\n#### Detail\n\n```\n# a comment\n```\n#hashtag"
    assert format.under_tab("Text first.\n# Later title") == "Text first.\n## Later title"


def test_a_difference_that_rounding_hides_is_explained():
    # 9 of 32 against 4 of 114: the page shows 28% and 4%, and a difference of +25 points.
    a, b = 9 / 32, 4 / 114
    assert format.pct(a) == "28%" and format.pct(b) == "4%" and format.points(a - b) == "+25 pts"
    assert format.rounding_note(a, b, a - b) == "Taken before rounding: 28.1% − 3.5% = +24.6 points."
    assert format.rounding_note(0.25, 0.10, 0.15) == ""
    assert format.rounding_note(None, 0.1, None) == ""


def test_shares_and_differences_keep_their_sign_and_interval():
    assert format.pct(0.274) == "27%"
    assert format.pct(None) == "n/a"
    assert format.share_cell(3, 0.25, 0.09, 0.53) == "3 (25%, 95% CI 9–53%)"
    assert format.share_cell(0, None, None, None) == "—"
    assert format.points(0.26) == "+26 pts" and format.points(-0.05) == "-5 pts" and format.points(None) == "n/a"
    assert format.points_range(0.12, 0.43) == "+12 to +43 pts"
    # A bound that rounds to zero reads "0", never "-0" (the real data had "95% CI -0 to +19 pts").
    assert format.points_range(-0.003, 0.19) == "0 to +19 pts" and format.points(0.004) == "0 pts"


def test_codes_read_as_labels_from_the_package_and_place_codes_stay(pkg):
    assert format.label(pkg, "break_fix") == pkg.label("break_fix") != "break_fix"
    assert format.label(pkg, "unnamed").lower() == "no name given"
    assert format.label(pkg, "US") == "US"
    assert format.label(pkg, "ZZ") == pkg.label("ZZ") != "ZZ"
    assert format.labels(pkg, ["msp", "unnamed"]) == f"{pkg.label('msp')}, {pkg.label('unnamed')}"
    assert format.labels(pkg, []) == "—"


def test_record_fields_read_in_words(db, pkg):
    fields = {fl.name: fl for fl in pkg.fields("incidents")}
    nursing = queries.incident(db, NURSING)
    assert format.field_value(pkg, fields["provider_type"], nursing["provider_type"]) == pkg.label("break_fix")
    assert format.field_value(pkg, fields["alt_provider_type"], "msp") == pkg.label("msp")
    assert format.field_value(pkg, fields["alt_rule"], "T13") == pkg.label("T13") != "T13"
    assert format.field_value(pkg, fields["victim_sectors"], nursing["victim_sectors"]) == ", ".join(
        pkg.label(c) for c in nursing["victim_sectors"]
    )
    assert format.field_value(pkg, fields["countries"], ["US", "ZZ"]) == f"US, {pkg.label('ZZ')}"
    assert format.field_value(pkg, fields["us_states"], []) == "—"
    assert format.field_value(pkg, fields["provider_name"], "") == "no name given"
    assert format.field_value(pkg, fields["attack_date"], nursing["attack_date"]) == "2019-11-17"
    assert format.field_value(pkg, fields["ransom_demand_usd"], 2500000.0) == "2,500,000"


def test_field_names_keep_acronyms_in_capitals(pkg):
    fields = {fl.name: fl for fl in pkg.fields("incidents")}
    names = {
        n: format.field_name(fields[n])
        for n in ("us_states", "incident_id", "ransom_demand_usd", "downstream_orgs_min")
    }
    assert names == {
        "us_states": "US states",
        "incident_id": "Incident ID",
        "ransom_demand_usd": "Ransom demand USD",
        "downstream_orgs_min": "Downstream orgs min",
    }


def test_coding_notes_name_the_rule_the_alternative_and_the_documenting_source(db, pkg):
    nursing = queries.incident(db, NURSING)
    src = queries.sources_for(db, NURSING)
    notes = format.coding_notes(nursing, pkg, src)
    assert notes[0] == f"Decided by codebook rule {pkg.label('T6')}."
    assert notes[1] == f"Alternative coding: {pkg.label('msp')} (by rule {pkg.label('T13')})."
    assert notes[2].startswith(f"Service relationship: {pkg.label('per_call_hourly')}, documented by Fixture Krebs")
    hosting = queries.incident(db, "2020-05-fx-hosting")
    last = format.coding_notes(hosting, pkg, queries.sources_for(db, "2020-05-fx-hosting"))[-1]
    assert last == f"Service relationship: {pkg.label('not_documented')}."


def test_a_source_says_its_kind_date_repost_and_label(db, pkg):
    src = queries.sources_for(db, TOWN)
    lines = {s.source_id: format.source_entry(s, pkg, s.source_id == f"{TOWN}#1") for s in src.itertuples()}
    assert lines[f"{TOWN}#1"].startswith(f"({pkg.label('government')}, 2019-08-20 · documents the service")
    assert "no date" in lines[f"{TOWN}#3"] and "repost of Fixture Trade" in lines[f"{TOWN}#3"]
    assert "managed service provider" in lines[f"{TOWN}#2"]


def test_an_empty_comparison_says_which_group_is_empty_and_what_to_do(db):
    pkg = db.package
    empty = compare.compare(
        db,
        Filters(),
        compare.parse_slice("label=msp", pkg).filters,
        compare.parse_slice("sector=education", pkg).filters,
        "msp",
    )
    problem = format.comparison_problem(empty)
    assert problem and "group B" in problem and "group A" not in problem
    assert empty.b_words in problem and "Widen" in problem
    fine = compare.compare(
        db,
        Filters(),
        compare.parse_slice("label=msp", pkg).filters,
        compare.parse_slice("label=not_msp", pkg).filters,
        "msp",
    )
    assert fine.result.a.n and fine.result.b.n and format.comparison_problem(fine) is None


def test_a_correction_goes_to_the_configured_address_ready_to_send(pkg):
    field = pkg.field("incidents", "provider_type")
    text = format.correction_text(
        "2027.01.0",
        TOWN,
        "Towns",
        "https://x.org/incident?id=" + TOWN,
        field,
        "MSP",
        "Break/fix",
        "https://example.org/contract",
    )
    assert TOWN in text and "provider_type" in text and "Current value: MSP" in text
    assert "Proposed value: Break/fix" in text and "https://example.org/contract" in text
    blank = format.correction_text("v", TOWN, "Towns", "link", field, "MSP", " ", "")
    assert "(please fill in)" in blank and "(please add a link)" in blank

    mail = format.destination("corrections@example.org", "Correction: x", text)
    assert mail.link.startswith("mailto:corrections@example.org?") and "corrections@example.org" in mail.how
    assert parse_qs(urlsplit(mail.link).query)["body"] == [text]
    github = format.destination("https://github.com/org/incidentlens/issues", "Correction: x", text)
    query = parse_qs(urlsplit(github.link).query)
    assert github.link.startswith("https://github.com/org/incidentlens/issues/new?")
    assert query["title"] == ["Correction: x"] and query["body"] == [text]
    other = format.destination("https://tracker.example.org/new", "s", text)
    assert other.link == "https://tracker.example.org/new" and "paste" in other.how
    unset = format.destination("", "s", text)
    assert unset.link == "" and "issue tracker" in unset.how
    assert format.destination("javascript:alert(1)", "s", text).link == ""


def test_the_timeline_note_counts_the_undated_sources():
    assert "4 of 13 have no date and are listed above only" in format.undated_note(4, 13)
    assert "1 of 13 has no date and is listed above only" in format.undated_note(1, 13)
    assert "no timeline" in format.undated_note(3, 3)
    assert format.undated_note(0, 5).startswith("Every source")


NOBODY = pd.DataFrame(columns=["incident_id", "title", "attack_date", "attack_date_precision"])


def test_an_action_window_is_two_years_either_side_in_inclusive_days():
    action = pd.Series({"date": pd.Timestamp("2022-05-11"), "date_precision": "day", "jurisdictions": ["US", "GB"]})
    w = policy.windows(dt.date(2022, 5, 11))
    assert format.window_sentence(action, 19, 1200, w, NOBODY) == (
        "Incidents with victims in US, GB: 19 in the 2 years before (2020-05-11 to 2022-05-10) and 1,200 in "
        "the 2 years after (2022-05-12 to 2024-05-11)."
    )


def test_the_sentence_names_the_incidents_on_neither_side():
    action = pd.Series({"date": pd.Timestamp("2023-01-25"), "date_precision": "day", "jurisdictions": ["US"]})
    either = pd.DataFrame(
        {
            "incident_id": [f"i{n}" for n in range(7)],
            "title": ["Vendor cloud theft", "Utility billing", *(f"Other {n}" for n in range(5))],
            "attack_date": pd.to_datetime(["2023-01-01", "2025-01-01", *["2025-01-01"] * 5]),
            "attack_date_precision": ["month", "year", *["year"] * 5],
        }
    )
    sentence = format.window_sentence(action, 10, 11, policy.windows(dt.date(2023, 1, 25)), either)
    assert sentence.endswith(
        "7 incidents in the jurisdiction are counted on neither side, because their dates could fall on either "
        "side of a window's edge: “Vendor cloud theft” (January 2023); “Utility billing” (2025); “Other 0” "
        "(2025); “Other 1” (2025); “Other 2” (2025); and 2 more."
    )
    one = format.window_sentence(action, 10, 11, policy.windows(dt.date(2023, 1, 25)), either.head(1))
    assert one.endswith(
        "1 incident in the jurisdiction is counted on neither side, because its date could fall "
        "on either side of a window's edge: “Vendor cloud theft” (January 2023)."
    )


def test_an_action_dated_to_the_year_says_where_its_windows_start(pkg):
    # The real data has actions known only to the month or the year, stored as the 1st.
    action = pd.Series(
        {
            "date": pd.Timestamp("2017-01-01"),
            "date_precision": "year",
            "jurisdictions": ["AU"],
            "body": "ASD",
            "kind": "guidance",
            "status": "published",
        }
    )
    sentence = format.window_sentence(action, 0, 3, policy.windows(dt.date(2017, 1, 1), "year"), NOBODY)
    assert (
        "0 in the 2 years before (2015-01-01 to 2016-12-31) and 3 in the 2 years after (2018-01-01 to 2019-12-31)"
        in sentence
    )
    assert sentence.endswith(
        "The action is dated only to the year (2017): an incident of 2017 could be on either side of it, so the "
        "window before ends as that year begins and the window after starts as it ends."
    )
    assert format.action_facts(action, pkg).endswith("· 2017")
    acts = pd.DataFrame(
        [{**action, "title": "Questions", "provider_types_named": ["msp"], "source_urls": ["https://x"]}]
    )
    assert tables.policy_actions(acts, pkg)["Date"].tolist() == ["2017"]


# ---- tables ----------------------------------------------------------------------------------


def test_explorer_puts_called_and_was_first_in_labels_never_codes(db, pkg):
    rows = queries.incidents(db, Filters(), queries.EXPLORER_COLUMNS)
    table = tables.explorer(rows, pkg, "https://x.org/incident")
    assert list(table.columns[:2]) == [tables.CALLED, tables.WAS]
    assert len(table) == len(rows)
    assert "software_vendor" not in set(table[tables.WAS])
    assert set(table[tables.WAS]) <= {pkg.label(c) for c in pkg.type_family}
    town = table[table["Record"] == f"https://x.org/incident?id={TOWN}"].iloc[0]
    assert town[tables.CALLED] == f"{pkg.label('msp')}, {pkg.label('mixed_or_hedged')}"  # vocabulary order
    assert (town["Year"], town["Victim orgs (low)"], town["Victim orgs (high)"]) == (2019, 20, 23)
    assert not {"incident_id", "provider_type", "label_terms"} & set(table.columns)


def test_explorer_labels_each_row_as_labelling_it_alone_would(tmp_path):
    """The Explorer labels each distinct code list once (Arrow); every row must read as the row
    labelled on its own, over synthetic data where lists repeat."""
    from incidentlens.data import database, synth

    synth.write(3000, tmp_path, seed=7)
    db = database.load(tmp_path, check=False)
    pkg = db.package
    rows = queries.incidents(db, Filters(), queries.EXPLORER_COLUMNS).astype(object)
    rows.at[0, "countries"], rows.at[1, "victim_sectors"] = [], None  # an empty list and a missing one
    table = tables.explorer(rows, pkg, "u")
    assert table.at[0, "Country"] == table.at[1, "Sector"] == format.EMPTY
    order = list(pkg.vocabulary("sources", "label_term"))
    one = lambda codes: format.labels(pkg, codes)  # noqa: E731
    expected = {
        tables.CALLED: [one(sorted(v, key=order.index)) for v in rows["label_terms"]],
        tables.WAS: [format.label(pkg, v) for v in rows["provider_type"]],
        "Sector": [one(v) for v in rows["victim_sectors"]],  # labels(None) is the dash too
        "Country": [one(v) for v in rows["countries"]],
        "Confidence": [format.label(pkg, v) for v in rows["type_confidence"]],
    }
    for column, words in expected.items():
        assert table[column].tolist() == words, column
    assert table[tables.CALLED].nunique() < len(table) / 2  # lists repeat: the case the speed-up is for


def test_record_fields_have_a_row_per_curated_field_in_words(db, pkg):
    record = queries.incident(db, NURSING)
    table = tables.record_fields(record, pkg)
    fields = pkg.fields("incidents")
    assert len(table) == len(fields)
    values = dict(zip(table["Field"], table["Value"]))
    assert values["Provider type"] == pkg.label("break_fix")
    assert values["Type rule"] == pkg.label("T6")
    assert values["Service relationship"] == pkg.label("per_call_hourly")


def test_label_timeline_is_dated_sources_in_order_with_labels(db, pkg):
    src = queries.sources_for(db, TOWN)
    timeline = tables.label_timeline(src, pkg)
    assert list(timeline["Date"]) == ["2019-08-20", "2019-08-21"]
    assert list(timeline["Label used"]) == [pkg.label("mixed_or_hedged"), pkg.label("msp")]
    assert set(timeline["Said by"]) == {"the publisher itself"}
    quoted = tables.label_timeline(
        queries.sources_for(db, "2023-03-fx-outsourcer").assign(published_date=pd.Timestamp("2023-03-02")), pkg
    )
    assert f"Fixture Minister, quoted ({pkg.label('government').lower()})" in set(quoted["Said by"])


def test_unnamed_reads_no_name_given_in_the_timeline(db, pkg):
    src = queries.sources_for(db, "2025-01-fx-unknown").assign(published_date=pd.Timestamp("2025-01-05"))
    assert list(tables.label_timeline(src, pkg)["Label used"]) == [pkg.label("unnamed")]
    assert pkg.label("unnamed").lower() == "no name given"


def test_label_flows_group_minor_terms_counting_each_incident_once(db):
    inc = pd.read_csv(FIXTURE / "incidents.csv", dtype=str, keep_default_na=False)
    src = counted(pd.read_csv(FIXTURE / "sources.csv", dtype=str, keep_default_na=False))
    used = src.merge(inc[["incident_id", "provider_type"]], on="incident_id")
    full = queries.label_flows(db, Filters())
    assert queries.OTHER_LABELS not in set(full["label_term"])
    grouped = queries.label_flows(db, Filters(), minor_below=1.0)  # every term but MSP is minor
    assert set(grouped["label_term"]) == {"msp", queries.OTHER_LABELS}
    other = used[used["label_term"] != "msp"].groupby("provider_type")["incident_id"].nunique()
    got = grouped[grouped["label_term"] == queries.OTHER_LABELS].set_index("provider_type")["n"]
    assert got.sort_index().to_dict() == other.sort_index().to_dict()
    note = format.flow_note(full, grouped, db.package, 1.0)
    assert note.startswith(format.FLOW_READING)
    assert db.package.label("outsourcer") in note and db.package.label("msp") + "," not in note
    assert format.flow_note(full, full, db.package, 0.1) == format.FLOW_READING


def test_policy_tables_number_the_actions_and_label_their_codes(db, pkg):
    acts = policy.actions(db)
    table = tables.policy_actions(acts, pkg)
    assert list(table["No."]) == list(range(1, len(acts) + 1))
    assert set(table["Status"]) <= {pkg.label(c) for c in pkg.vocabulary("policy_actions", "status")}
    first = acts.iloc[0]
    w = policy.windows(pd.Timestamp(first["date"]).date(), first["date_precision"])
    ba = policy.before_after(db, Filters(), list(first["jurisdictions"]), w)
    shown = tables.before_after(ba, pkg)
    assert len(shown) == len(pkg.type_family)
    assert shown.columns[1] == f"Two years before (n={int(ba['before'].sum())})"


def test_dictionary_lists_every_column_of_every_file(pkg):
    dictionary = tables.dictionary(pkg)
    assert len(dictionary) == sum(len(pkg.fields(r)) for r in pkg.resource_names())
    row = dictionary[(dictionary["File"] == "incidents.csv") & (dictionary["Column"] == "provider_type")].iloc[0]
    assert row["Allowed values"].split(", ") == list(pkg.field("incidents", "provider_type").enum)
    vocab = tables.vocabulary(pkg, "incidents", "provider_type")
    assert list(vocab["Code"]) == list(pkg.vocabulary("incidents", "provider_type"))
    assert list(vocab["Family"]) == [pkg.label(pkg.type_family[c]) for c in vocab["Code"]]


def test_labelled_by_type_table_has_a_row_per_type_with_the_headline_shares(db):
    h = queries.headline(db, Filters())
    df = tables.labelled_by_type(h)
    assert list(df["Assessed as"]) == [t.label for t in h.labelled_by_type]
    assert (df["Of labelled MSP"] == h.labelled.k).all()
    assert df["Incidents"].sum() == h.labelled.k
    msp_share = h.labelled_share("msp")
    msp = df.set_index("Assessed as").loc[next(t.label for t in h.labelled_by_type if t.code == "msp")]
    # Written as the headline writes it: "28% (95% CI 16–45%)" reads "28%" and "16–45%" here.
    assert f"{msp['Share']} (95% CI {msp['95% CI']})" == msp_share.percent()
    assert msp["Incidents"] == msp_share.k
    assert set(df.iloc[:, -1]) == {"yes" if h.labelled.k < 10 else "no"}


def test_readings_table_writes_each_reading_as_the_sentence_does(db):
    _, items = answer.of(db, Filters())
    df = tables.readings(items)
    assert len(df) == 2 * len(items) and list(df.columns)[-1] == "What the reading does"
    pairs = [(reading, s) for reading in items for s in reading.shares.values()]
    for (_, row), (r, s) in zip(df.iterrows(), pairs):
        assert (row["Reading"], row["Incidents"], row["Of labelled MSP"]) == (r.label, s.k, s.n)
        assert f"{row['Share']} (95% CI {row['95% CI']})" == s.percent()
    empty = tables.readings(answer.of(db, Filters(q="no such incident anywhere"))[1])
    assert set(empty["Share"]) == {"n/a"} and set(empty["95% CI"]) == {format.EMPTY}


def test_by_quarter_names_quarters_and_keeps_the_unplaced_rows(db, pkg):
    table = tables.by_quarter(policy.quarterly(db, Filters(years=(2020, 2025))), pkg)
    assert table["Incidents"].sum() == 6  # every incident of 2020-2025 in the fixture
    assert list(table["Quarter"]) == ["2020 Q2", "2021 Q3", "2022 Q4", "2023 Q1", "2024 Q2", "no single quarter"]
    assert set(table["Provider family"]) <= {pkg.label(c) for c in pkg.families}
