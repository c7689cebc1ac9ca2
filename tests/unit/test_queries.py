"""Every query against an independent plain-pandas reading of the fixture CSVs.

`Expected` below re-derives what the loader computes (labelled_msp, msp_label_by, label terms,
provider family, attack year) from the raw files, and `matches()` re-implements the filter rules
as they are documented: OR within a key, AND across keys, and labels counted by rule S1 (a repost
counts once, for its original outlet) and credited to whoever said them (rule L2).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from counting import counted

from incidentlens.query import policy, queries
from incidentlens.query.filters import ALL_KEYS, NOT_MSP, Filters


class Expected:
    def __init__(self, directory):
        read = {"dtype": str, "keep_default_na": False}
        self.inc = pd.read_csv(directory / "incidents.csv", **read)
        self.src = pd.read_csv(directory / "sources.csv", **read)
        raw = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
        self.type_family = raw["x-provider-type-family"]
        self.families = list(raw["x-provider-families"])
        self.types = list(self.type_family)
        self.version = raw["version"]
        originals = counted(self.src)
        self.originals = originals
        self.rows = {}
        for r in self.inc.to_dict("records"):
            own = originals[originals["incident_id"] == r["incident_id"]]
            msp_by = set(own.loc[own["label_term"] == "msp", "speaker_type"])
            self.rows[r["incident_id"]] = {
                **r,
                "year": int(r["attack_date"][:4]),
                "family": self.type_family[r["provider_type"]],
                "countries": set(r["countries"].split(";")) if r["countries"] else set(),
                "states": set(r["us_states"].split(";")) if r["us_states"] else set(),
                "sectors": set(r["victim_sectors"].split(";")),
                "labels": set(own["label_term"]),
                "msp_by": msp_by,
                "labelled": bool(msp_by),
            }

    def matches(self, r: dict, f: Filters) -> bool:
        if f.years and not f.years[0] <= r["year"] <= f.years[1]:
            return False
        single = {
            "ptype": "provider_type",
            "family": "family",
            "route": "route",
            "attack": "attack_type",
            "conf": "type_confidence",
        }
        for key, col in single.items():
            if getattr(f, key) and r[col] not in getattr(f, key):
                return False
        many = {"sector": "sectors", "country": "countries", "state": "states", "labelled_by": "msp_by"}
        for key, col in many.items():
            if getattr(f, key) and not r[col] & set(getattr(f, key)):
                return False
        if f.label:
            terms = set(f.label) - {NOT_MSP}
            if not (r["labels"] & terms or (NOT_MSP in f.label and not r["labelled"])):
                return False
        if f.q:
            hay = [r["title"], r["summary"], r["provider_name"], r["incident_id"]]
            if not any(f.q.lower() in h.lower() for h in hay):
                return False
        return True

    def ids(self, f: Filters) -> set[str]:
        return {i for i, r in self.rows.items() if self.matches(r, f)}


@pytest.fixture(scope="module")
def exp(fixture_dir) -> Expected:
    return Expected(fixture_dir)


def test_independent_reading_is_sane(exp):
    # Hand-checked against the fixture: six incidents have a counted source saying "MSP". The
    # town's repost of Fixture Trade adds nothing (the original is recorded); the hosting
    # incident's only MSP label is a repost of an unrecorded original, which stands in for it.
    # Pathology, city and unknown have none. The outsourcer's MSP label is a minister's words
    # printed by the trade press, so it counts as government.
    assert len(exp.rows) == 9
    assert {i for i, r in exp.rows.items() if r["labelled"]} == {
        "2019-08-fx-town-msp",
        "2019-08-fx-dental-vendor",
        "2019-11-fx-nursing-msp",
        "2020-05-fx-hosting",
        "2021-07-fx-rmm-vendor",
        "2023-03-fx-outsourcer",
    }
    assert exp.rows["2019-11-fx-nursing-msp"]["msp_by"] == {"mainstream_media", "government"}
    assert exp.rows["2023-03-fx-outsourcer"]["msp_by"] == {"government"}
    assert exp.rows["2020-05-fx-hosting"]["msp_by"] == {"trade_press"}


CASES = {
    "all": Filters(),
    "years-range": Filters(years=(2019, 2021)),
    "years-single": Filters(years=(2020, 2020)),
    "years-none-in-range": Filters(years=(1990, 2000)),
    "ptype": Filters(ptype=("software_vendor",)),
    "ptype-two": Filters(ptype=("msp", "break_fix")),
    "family": Filters(family=("managed_it",)),
    "family-two": Filters(family=("product_platform", "unknown")),
    "label-msp": Filters(label=("msp",)),
    "label-two": Filters(label=("cloud_hosting", "outsourcer")),
    "label-not-msp": Filters(label=(NOT_MSP,)),
    "label-msp-or-not-msp": Filters(label=("msp", NOT_MSP)),
    "label-hedged-or-not-msp": Filters(label=("mixed_or_hedged", NOT_MSP)),
    "labelled-by-government": Filters(labelled_by=("government",)),
    "labelled-by-trade-press": Filters(labelled_by=("trade_press",)),
    "labelled-by-two": Filters(labelled_by=("security_vendor", "mainstream_media")),
    "labelled-by-provider": Filters(labelled_by=("provider",)),
    "sector": Filters(sector=("healthcare",)),
    "sector-two": Filters(sector=("dental", "finance")),
    "country": Filters(country=("GB",)),
    "country-two": Filters(country=("IE", "NZ")),
    "state": Filters(state=("WI",)),
    "route": Filters(route=("provider_only",)),
    "attack": Filters(attack=("data_theft",)),
    "conf": Filters(conf=("low", "medium")),
    "q-title": Filters(q="nursing"),
    "q-case": Filters(q="FIXTURE LABS"),
    "q-id": Filters(q="2021-07"),
    "q-nothing": Filters(q="no such words"),
    "combo-us-ransomware-2019": Filters(years=(2019, 2019), country=("US",), attack=("ransomware",)),
    "combo-gb-managed": Filters(country=("GB",), family=("managed_it",)),
    "combo-labelled-gov-healthcare": Filters(labelled_by=("government",), sector=("long_term_care", "healthcare")),
    "combo-not-msp-high": Filters(label=(NOT_MSP,), conf=("high",), years=(2020, 2026)),
    "combo-empty": Filters(ptype=("msp",), country=("GB",)),
}


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_incidents_match_pandas(db, exp, f):
    df = queries.incidents(db, f)
    assert set(df["incident_id"]) == exp.ids(f)
    assert len(df) == len(exp.ids(f)), "no incident may appear twice"
    assert queries.count(db, f) == len(exp.ids(f))


def test_every_filter_key_is_exercised():
    used = {key for f in CASES.values() for key, _ in f.chosen}
    used |= {"years" for f in CASES.values() if f.years} | {"q" for f in CASES.values() if f.q}
    assert used == set(ALL_KEYS)


def test_cases_are_not_trivial(exp):
    # Apart from the deliberate edge cases, each case must select some but not all incidents.
    edge = {"all", "combo-empty", "q-nothing", "years-none-in-range", "label-msp-or-not-msp", "labelled-by-provider"}
    for name, f in CASES.items():
        if name not in edge:
            assert 0 < len(exp.ids(f)) < 9, name
    assert len(exp.ids(CASES["label-msp-or-not-msp"])) == 9
    assert exp.ids(CASES["combo-empty"]) == exp.ids(CASES["q-nothing"]) == set()
    # A provider statement that calls itself a software vendor never counts as an MSP label.
    assert exp.ids(CASES["labelled-by-provider"]) == set()


def test_incidents_are_newest_first(db, exp):
    df = queries.incidents(db, Filters())
    expected = sorted(exp.rows.values(), key=lambda r: r["incident_id"])
    expected = sorted(expected, key=lambda r: r["attack_date"], reverse=True)
    assert list(df["incident_id"]) == [r["incident_id"] for r in expected]


def test_derived_columns_match_pandas(db, exp):
    df = queries.incidents(db, Filters()).set_index("incident_id")
    for iid, r in exp.rows.items():
        row = df.loc[iid]
        assert bool(row["labelled_msp"]) == r["labelled"], iid
        assert set(row["msp_label_by"]) == r["msp_by"], iid
        assert set(row["label_terms"]) == r["labels"], iid
        assert row["provider_family"] == r["family"], iid
        assert row["attack_year"] == r["year"], iid
        assert row["source_count"] == (exp.src["incident_id"] == iid).sum(), iid


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_headline_counts_match_pandas(db, exp, f):
    h = queries.headline(db, f)
    chosen = [exp.rows[i] for i in exp.ids(f)]
    labelled = [r for r in chosen if r["labelled"]]
    assert h.n == len(chosen)
    assert (h.labelled.k, h.labelled.n) == (len(labelled), len(chosen))
    assert [t.code for t in h.by_type] == exp.types
    assert [t.code for t in h.by_family] == exp.families
    for t in h.by_type:
        assert (t.share.k, t.share.n) == (sum(r["provider_type"] == t.code for r in chosen), len(chosen))
    for t in h.labelled_by_type:
        assert (t.share.k, t.share.n) == (sum(r["provider_type"] == t.code for r in labelled), len(labelled))
    for t in h.by_family:
        assert (t.share.k, t.share.n) == (sum(r["family"] == t.code for r in chosen), len(chosen))
    assert h.filter_words == f.describe()
    assert h.version == exp.version


def test_headline_as_dict_is_json_ready(db):
    d = queries.headline(db, Filters(years=(2019, 2021))).as_dict()
    back = json.loads(json.dumps(d))
    assert back["n_incidents"] == 5
    assert back["labelled_msp"]["k"] == 5  # the hosting incident counts through its repost (rule S1)


FACET_KEYS = ["ptype", "family", "sector", "country", "state", "route", "attack", "conf", "label", "labelled_by"]
FACET_VALUES = {
    "ptype": lambda r: {r["provider_type"]},
    "family": lambda r: {r["family"]},
    "sector": lambda r: r["sectors"],
    "country": lambda r: r["countries"],
    "state": lambda r: r["states"],
    "route": lambda r: {r["route"]},
    "attack": lambda r: {r["attack_type"]},
    "conf": lambda r: {r["type_confidence"]},
    "label": lambda r: r["labels"],
    "labelled_by": lambda r: r["msp_by"],
}


def pandas_facets(exp: Expected, f: Filters, key: str) -> dict[str, int]:
    others = f.with_(**{key: ()})
    out: dict[str, int] = {}
    for iid in exp.ids(others):
        for v in FACET_VALUES[key](exp.rows[iid]):
            out[v] = out.get(v, 0) + 1
    return out


FACET_FILTERS = {
    "none": Filters(),
    "years": Filters(years=(2019, 2021)),
    "us-ransomware": Filters(country=("US",), attack=("ransomware",)),
    "vendor-or-msp-labelled-by-gov": Filters(ptype=("software_vendor", "msp"), labelled_by=("government",)),
    "gb-managed-high": Filters(country=("GB",), family=("managed_it",), conf=("high",)),
}


@pytest.mark.parametrize("key", [k for k in FACET_KEYS if k != "label"])
@pytest.mark.parametrize("f", FACET_FILTERS.values(), ids=FACET_FILTERS.keys())
def test_facet_counts_match_pandas(db, exp, f, key):
    assert queries.facet_counts(db, f, key) == pandas_facets(exp, f, key)


def test_facet_counts_for_label_without_a_label_filter(db, exp):
    assert queries.facet_counts(db, Filters(years=(2019, 2021)), "label") == pandas_facets(
        exp, Filters(years=(2019, 2021)), "label"
    )


def test_facet_counts_for_label_ignore_the_label_filter(db, exp):
    f = Filters(label=("cloud_hosting",))
    assert queries.facet_counts(db, f, "label") == pandas_facets(exp, f, "label")


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_sidebar_counts_are_every_facet_and_the_not_msp_count(db, exp, f):
    """The sidebar counts from integer codes (queries.facet_index) with its own WHERE; it must give
    what facet_counts and count give for every filter, and never show a zero."""
    got = queries.sidebar_counts(db, f)
    assert set(got) == set(FACET_KEYS)
    for key in FACET_KEYS:
        assert got[key] == {**pandas_facets(exp, f, key), **({NOT_MSP: got[key][NOT_MSP]} if key == "label" else {})}
        assert got[key] == {
            **queries.facet_counts(db, f, key),
            **({NOT_MSP: queries.count(db, f.with_(label=(NOT_MSP,)))} if key == "label" else {}),
        }
    assert got["label"][NOT_MSP] == len(exp.ids(f.with_(label=(NOT_MSP,))))


def test_facet_tables_stay_out_of_the_sql_console(db):
    from incidentlens.console import catalogue

    queries.facet_index(db)
    assert {queries.FACET_CODES, queries.FACET_ROWS, queries.FACET_TOTALS}.isdisjoint(catalogue.TABLES)


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_label_flows_match_pandas(db, exp, f):
    ids = exp.ids(f)
    src = exp.originals[exp.originals["incident_id"].isin(ids)].copy()
    src["provider_type"] = src["incident_id"].map(lambda i: exp.rows[i]["provider_type"])
    expected = src.groupby(["label_term", "provider_type"])["incident_id"].nunique().to_dict() if len(src) else {}
    got = queries.label_flows(db, f)
    assert {(r.label_term, r.provider_type): int(r.n) for r in got.itertuples()} == expected
    # Sorted by size, largest first.
    assert list(got["n"]) == sorted(got["n"], reverse=True)


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_who_labels_match_pandas(db, exp, f):
    ids = exp.ids(f)
    src = exp.originals[exp.originals["incident_id"].isin(ids)].copy()
    src["group"] = src["incident_id"].map(
        lambda i: "managed_it" if exp.rows[i]["family"] == "managed_it" else "not_managed_it"
    )
    expected = {}
    for (stype, group), part in src.groupby(["speaker_type", "group"]):
        expected[(stype, group)] = (int((part["label_term"] == "msp").sum()), len(part))
    got = queries.who_labels(db, f)
    assert {(r.speaker_type, r.provider_group): (int(r.k), int(r.n)) for r in got.itertuples()} == expected
    for r in got.itertuples():
        assert r.share == pytest.approx(r.k / r.n)
        assert r.low <= r.share <= r.high
        assert r.small_sample == (r.n < 10)


def test_by_year_matches_pandas(db, exp):
    f = Filters(country=("US", "GB"))
    got = queries.by_year(db, f)
    expected: dict[tuple[int, str], int] = {}
    for iid in exp.ids(f):
        r = exp.rows[iid]
        expected[(r["year"], r["provider_type"])] = expected.get((r["year"], r["provider_type"]), 0) + 1
    assert {(int(r.year), r.provider_type): int(r.n) for r in got.itertuples()} == expected


def test_labelled_share_by_year_matches_pandas(db, exp):
    got = queries.labelled_share_by_year(db, Filters())
    for r in got.itertuples():
        rows = [x for x in exp.rows.values() if x["year"] == r.year]
        assert (int(r.k), int(r.n)) == (sum(x["labelled"] for x in rows), len(rows))
    assert sorted(got["year"]) == sorted({x["year"] for x in exp.rows.values()})


@pytest.mark.parametrize("key", FACET_KEYS)
def test_by_dimension_matches_pandas(db, exp, key):
    f = Filters(years=(2019, 2023))
    got = queries.by_dimension(db, f, key)
    expected: dict[tuple[str, str], int] = {}
    for iid in exp.ids(f):
        r = exp.rows[iid]
        for v in FACET_VALUES[key](r):
            expected[(v, r["family"])] = expected.get((v, r["family"]), 0) + 1
    assert {(r.value, r.provider_family): int(r.n) for r in got.itertuples()} == expected


def test_sources_of_and_sources_for(db, exp):
    f = Filters(country=("GB",))
    got = queries.sources_of(db, f)
    expected = exp.src[exp.src["incident_id"].isin(exp.ids(f))]
    assert sorted(got["source_id"]) == sorted(expected["source_id"])
    assert "repost" not in got.columns
    town = queries.sources_for(db, "2019-08-fx-town-msp")
    assert list(town["source_id"])[:2] == ["2019-08-fx-town-msp#1", "2019-08-fx-town-msp#2"]
    assert len(town) == 3


def test_single_incident_lookup_binds_its_argument(db):
    assert queries.incident(db, "2020-05-fx-hosting")["provider_type"] == "cloud_hosting"
    assert queries.incident(db, "' OR '1'='1") is None
    assert queries.sources_for(db, "' OR '1'='1").empty


def test_year_bounds(db, exp):
    years = [r["year"] for r in exp.rows.values()]
    assert queries.year_bounds(db) == (min(years), max(years))


def test_policy_actions_are_loaded_in_date_order(db, fixture_dir):
    expected = pd.read_csv(fixture_dir / "policy_actions.csv", dtype=str).sort_values(["date", "policy_id"])
    got = policy.actions(db)
    assert list(got["policy_id"]) == list(expected["policy_id"])
    assert list(got["jurisdictions"].map(list)) == [j.split(";") for j in expected["jurisdictions"]]


def test_has_table_sees_a_table_made_after_a_miss_and_remembers_it(fixture_dir):
    from incidentlens.data.database import load

    fresh = load(fixture_dir)
    assert not fresh.has_table("scratch_for_this_test")
    fresh.con.execute("CREATE TABLE scratch_for_this_test (x INTEGER)")
    assert fresh.has_table("scratch_for_this_test")
    fresh.con.execute("DROP TABLE scratch_for_this_test")  # nothing in the app drops a table: remembered
    assert fresh.has_table("scratch_for_this_test")
    assert fresh.has_table("incidents") and not fresh.has_table("no_such_table")
