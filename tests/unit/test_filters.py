"""Filters: parsing hostile or stale URL parameters, canonical links, the phrase, and bound SQL."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentlens.data.schema import load_package
from incidentlens.query import queries
from incidentlens.query.filters import LIST_KEYS, NOT_MSP, Filters, parse

REAL_PACKAGE = Path(__file__).resolve().parents[2] / "data" / "datapackage.json"


@pytest.fixture(scope="module")
def pkg(fixture_dir):
    return load_package(fixture_dir)


def _vocab(resource: str, field: str) -> list[str]:
    """Allowed codes read straight from datapackage.json, independently of schema.py."""
    raw = json.loads(REAL_PACKAGE.read_text(encoding="utf-8"))
    res = next(r for r in raw["resources"] if r["name"] == resource)
    f = next(f for f in res["schema"]["fields"] if f["name"] == field)
    return sorted(f.get("x-item-enum") or f["constraints"]["enum"])


RAW = json.loads(REAL_PACKAGE.read_text(encoding="utf-8"))
VOCAB = {
    "ptype": _vocab("incidents", "provider_type"),
    "family": sorted(RAW["x-provider-families"]),
    "label": sorted([*_vocab("sources", "label_term"), NOT_MSP]),
    "labelled_by": _vocab("sources", "speaker_type"),
    "sector": _vocab("incidents", "victim_sectors"),
    "route": _vocab("incidents", "route"),
    "attack": _vocab("incidents", "attack_type"),
    "conf": _vocab("incidents", "type_confidence"),
}


# ---- parsing -------------------------------------------------------------------------------


def test_empty_params_give_empty_filters(pkg):
    parsed = parse({}, pkg)
    assert parsed.filters == Filters()
    assert parsed.filters.is_empty
    assert parsed.notes == ()


@pytest.mark.parametrize(
    "raw",
    ["healthcare,dental", ["healthcare", "dental"], ["dental", "healthcare,dental"], " Dental , HEALTHCARE,,dental "],
    ids=["comma-string", "list", "repeated-key", "messy-case-and-spaces"],
)
def test_list_values_are_read_sorted_deduplicated_and_lowercased(pkg, raw):
    parsed = parse({"sector": raw}, pkg)
    assert parsed.filters.sector == ("dental", "healthcare")
    # A key given twice in a link is combined, and said so.
    assert parsed.notes == (
        () if isinstance(raw, str) else ("The link gives sector 2 times; all its values are combined.",)
    )


def test_country_and_state_are_uppercased(pkg):
    parsed = parse({"country": "us,gb,Us", "state": ["tx,TX", "wi"]}, pkg)
    assert parsed.filters.country == ("GB", "US")
    assert parsed.filters.state == ("TX", "WI")
    assert parsed.notes == ("The link gives state 2 times; all its values are combined.",)


def test_unknown_keys_are_ignored_without_notes(pkg):
    parsed = parse({"foo": "bar", "sort": "id;DROP TABLE incidents", "page": "2"}, pkg)
    assert parsed.filters == Filters()
    assert parsed.notes == ()


@pytest.mark.parametrize(
    ("key", "raw", "kept", "dropped"),
    [
        ("sector", "dental,notasector", ("dental",), "notasector"),
        ("ptype", "msp,managed", ("msp",), "managed"),
        ("country", "US,USA", ("US",), "USA"),
        ("country", "U1", (), "U1"),
        ("state", "Texas,TX", ("TX",), "Texas"),
        ("label", "msp,not_a_label", ("msp",), "not_a_label"),
        ("labelled_by", "government,press", ("government",), "press"),
        ("family", "managed_it,managed", ("managed_it",), "managed"),
        ("conf", "certain", (), "certain"),
    ],
)
def test_bad_values_are_dropped_with_a_note(pkg, key, raw, kept, dropped):
    parsed = parse({key: raw}, pkg)
    assert getattr(parsed.filters, key) == kept
    assert len(parsed.notes) == 1
    assert key in parsed.notes[0] and dropped in parsed.notes[0]


def test_not_msp_is_an_accepted_label_value(pkg):
    assert parse({"label": "NOT_MSP,msp"}, pkg).filters.label == ("msp", NOT_MSP)


@pytest.mark.parametrize(
    ("raw", "years", "note_word"),
    [
        ("2020", (2020, 2020), None),
        ("2019-2021", (2019, 2021), None),
        ("2019 – 2021", (2019, 2021), None),
        ("2019:2021", (2019, 2021), None),
        ("2021-2019", (2019, 2021), "2019-2021"),
        (["2018", "2022"], (2022, 2022), "2 times"),
        ("1800", None, "between"),
        ("2019-9999", None, "between"),
        ("0000-2020", None, "between"),
        ("garbage", None, "use a year"),
        ("2019-", None, "use a year"),
        ("20190", None, "use a year"),
        ("", None, "use a year"),
    ],
)
def test_years(pkg, raw, years, note_word):
    parsed = parse({"years": raw}, pkg)
    assert parsed.filters.years == years
    if note_word is None:
        assert parsed.notes == ()
    else:
        assert len(parsed.notes) == 1 and note_word in parsed.notes[0]


@pytest.mark.parametrize(
    ("raw", "years", "note_words"),
    [
        ("2100", (2026, 2026), ["2026 is shown"]),
        ("2099-2100", (2026, 2026), ["2026 is shown"]),
        ("1990-1995", (2017, 2017), ["2017 is shown"]),
        ("0000", (2017, 2017), ["2017 is shown"]),
        ("9999-0000", None, ["as 0-9999", "2017-2026 is shown"]),
        ("2030-2010", None, ["as 2010-2030", "2017-2026 is shown"]),
        ("2015-2019", (2017, 2019), ["2017-2019 is shown"]),
        ("2025-2030", (2025, 2026), ["2025-2026 is shown"]),
        ("2017-2026", None, []),
        ("2019-2021", (2019, 2021), []),
        ("٢٠١٩", None, ["use a year"]),
    ],
)
def test_years_outside_the_data_become_the_nearest_range_inside_with_a_note(pkg, raw, years, note_words):
    """Issue 15.1: the sidebar slider is bounded by the data, so every range parse() returns
    with the data's bounds must lie inside them, lo <= hi, and any change is said."""
    parsed = parse({"years": raw}, pkg, (2017, 2026))
    assert parsed.filters.years == years
    if years:
        assert 2017 <= years[0] <= years[1] <= 2026
    assert len(parsed.notes) == (1 if note_words else 0)
    for word in note_words:
        assert word in parsed.notes[0]


@given(st.integers(0, 9999), st.integers(0, 9999), st.integers(1000, 3000), st.integers(0, 40))
def test_any_year_range_fits_any_data_range(pkg, a, b, first, width):
    bounds = (first, first + width)
    years = parse({"years": f"{a:04d}-{b:04d}"}, pkg, bounds).filters.years
    assert years is None or bounds[0] <= years[0] <= years[1] <= bounds[1]


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"ptype": ["msp", "break_fix"]}, "combined"),
        ({"years": ["2019", "2021"]}, "the last, '2021'"),
        ({"q": ["a", "b", "c"]}, "3 times"),
    ],
)
def test_a_repeated_key_gets_a_note(pkg, params, word):
    """Issue 15.11: a link that gives a key twice says what was done with it."""
    parsed = parse(params, pkg)
    assert any(word in note and "gives" in note for note in parsed.notes), parsed.notes


def test_ten_kilobyte_values_are_cut_short_and_never_raise(pkg):
    huge = "x" * 10_000
    params = {key: huge for key in (*LIST_KEYS, "years", "q")}
    parsed = parse(params, pkg)
    assert parsed.filters == Filters(q="x" * 200)
    assert any("200 characters" in n for n in parsed.notes)
    # A note quotes at most a short prefix of the hostile value.
    assert all(len(n) < 200 for n in parsed.notes)


def test_thousands_of_items_are_capped(pkg):
    parsed = parse({"sector": ",".join(["dental"] * 5_000), "country": [f"A{c}" for c in "BCDEFGHIJ"] * 1000}, pkg)
    assert parsed.filters.sector == ("dental",)
    assert parsed.filters.country == tuple(sorted(f"A{c}" for c in "BCDEFGHIJ"))


def test_search_text_is_trimmed_and_stripped_of_control_characters(pkg):
    parsed = parse({"q": ["ignored", "  \x00town\u202e\x1b  "]}, pkg)
    assert parsed.filters.q == "town"


@pytest.mark.parametrize("blank", ["", "   ", "\x00\x01", [], None])
def test_blank_search_is_no_filter(pkg, blank):
    assert parse({"q": blank}, pkg).filters.q == ""


def test_none_and_non_string_values_do_not_raise(pkg):
    parsed = parse({"sector": [None, 5, "dental"], "years": 2020, "q": 42}, pkg)
    assert parsed.filters == Filters(years=(2020, 2020), sector=("dental",), q="42")


# ---- hostile text never changes results beyond "no match" -----------------------------------

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE incidents; --', "') OR ('1'='1", "%", "_", "\\", "?"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_looking_search_matches_nothing_and_breaks_nothing(db, pkg, payload):
    before = queries.count(db, Filters())
    parsed = parse({"q": payload}, pkg)
    assert parsed.filters.q == payload.strip()
    assert queries.incidents(db, parsed.filters).empty
    assert queries.count(db, Filters()) == before == 9


@pytest.mark.parametrize("key", LIST_KEYS)
@pytest.mark.parametrize("payload", INJECTIONS[:3])
def test_sql_looking_list_values_are_dropped(db, pkg, key, payload):
    parsed = parse({key: payload}, pkg)
    assert getattr(parsed.filters, key) == ()
    assert parsed.notes
    assert queries.count(db, parsed.filters) == 9


def test_sql_looking_values_bound_directly_match_nothing(db):
    # Bypassing parse(): the values still reach DuckDB only as bound parameters.
    hostile = "x') OR TRUE --"
    f = Filters(ptype=(hostile,), sector=(hostile,), country=(hostile,), label=(hostile,))
    assert queries.count(db, f) == 0
    assert queries.count(db, Filters()) == 9


# ---- canonical links ------------------------------------------------------------------------


def test_url_to_filters_to_url_is_canonical(pkg):
    url = "q=%20town%20&country=us&sector=healthcare,dental,dental&years=2021-2019&zzz=1"
    parsed = parse(parse_qs(url), pkg)
    expected = urlencode({"years": "2019-2021", "sector": "dental,healthcare", "country": "US", "q": "town"})
    assert parsed.filters.to_query_string() == expected
    # The canonical link parses back to the same filters, silently.
    again = parse(parse_qs(expected), pkg)
    assert again.filters == parsed.filters
    assert again.notes == ()


def test_to_params_leaves_out_defaults(pkg):
    assert Filters().to_params() == {}
    assert Filters(years=(2020, 2020)).to_params() == {"years": "2020"}
    assert Filters(label=("msp", NOT_MSP)).to_params() == {"label": "msp,not_msp"}


def test_with_canonicalises(pkg):
    f = Filters().with_(sector=["healthcare", "dental", "dental"], q="x")
    assert f == Filters(sector=("dental", "healthcare"), q="x")


def _codes(key: str):
    return st.lists(st.sampled_from(VOCAB[key]), max_size=4, unique=True).map(lambda v: tuple(sorted(v)))


_ISO2 = st.lists(st.from_regex(r"[A-Z]{2}", fullmatch=True), max_size=4, unique=True).map(lambda v: tuple(sorted(v)))
_YEAR = st.integers(1990, 2100)
_YEARS = st.none() | st.tuples(_YEAR, _YEAR).map(lambda t: tuple(sorted(t)))
_TEXT = st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\u00a0"), max_size=200)
_Q = _TEXT.map(lambda t: "".join(ch for ch in t if ch.isprintable()).strip())

FILTERS = st.builds(
    Filters,
    years=_YEARS,
    **{key: _codes(key) for key in VOCAB},
    country=_ISO2,
    state=_ISO2,
    q=_Q,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=FILTERS)
def test_params_round_trip_property(pkg, f):
    parsed = parse(f.to_params(), pkg)
    assert parsed.filters == f
    assert parsed.notes == ()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=FILTERS)
def test_query_string_round_trip_property(pkg, f):
    parsed = parse(parse_qs(f.to_query_string()), pkg)
    assert parsed.filters == f
    assert parsed.filters.to_query_string() == f.to_query_string()


# ---- the phrase ------------------------------------------------------------------------------


def test_describe_empty():
    assert Filters().describe() == "all incidents"


def test_describe_dental_us_years_labelled_by_government(pkg):
    f = Filters(sector=("dental",), country=("US",), years=(2019, 2021), labelled_by=("government",))
    words = f.describe(pkg)
    assert words.startswith("incidents from 2019–2021, ")
    assert "in the dental sector" in words and "with victims in US" in words
    assert "labelled MSP by at least one government speaker" in words


def test_describe_keeps_country_and_state_codes_as_written():
    words = Filters(country=("GB", "IE", "US"), state=("TX",)).describe()
    assert "with victims in GB, IE or US" in words
    assert "in the US state(s) TX" in words


def test_describe_single_year_and_alternatives():
    words = Filters(years=(2020, 2020), sector=("dental", "healthcare")).describe()
    assert words == "incidents from 2020, in the dental or healthcare sector"


@pytest.mark.parametrize(
    ("f", "words"),
    [
        (Filters(sector=("healthcare",)), "incidents in the healthcare sector"),
        (Filters(ptype=("msp",)), "incidents whose provider was assessed as MSP"),
        (Filters(q="town"), 'incidents matching "town"'),
        (Filters(years=(2019, 2021), ptype=("msp",)), "incidents from 2019–2021, whose provider was assessed as MSP"),
    ],
)
def test_describe_reads_as_a_phrase_without_a_comma_after_incidents(f, words):
    # "Of 38 incidents (incidents in the healthcare sector)" in the cite sentences, not "(incidents, in …)".
    assert f.describe() == words


def test_describe_labels_and_search():
    words = Filters(label=("msp", NOT_MSP), ptype=("break_fix",), q="town").describe()
    assert "labelled MSP by at least one source" in words
    assert "never labelled MSP" in words
    assert "assessed as Break/fix" in words
    assert 'matching "town"' in words


def test_describe_two_source_kinds():
    words = Filters(labelled_by=("government", "mainstream_media")).describe()
    assert "labelled MSP by at least one government or mainstream media speaker" in words


# ---- SQL -------------------------------------------------------------------------------------


def test_where_binds_every_value():
    hostile = "'; DROP TABLE incidents; --"
    sql, params = Filters(years=(2019, 2020), sector=(hostile,), q=hostile).where()
    assert hostile not in sql and "DROP" not in sql
    assert params.count(hostile) == 1 and hostile.lower() in params  # list items are bound one by one
    assert params[:2] == [2019, 2020]
    assert sql.count("?") == len(params)


def test_empty_where_is_true():
    assert Filters().where() == ("TRUE", [])
