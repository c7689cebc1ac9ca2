"""Policy context and two-group comparisons against plain-pandas computations on the fixture."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from counting import counted

from incidentlens.cli import main
from incidentlens.data.validate import validate
from incidentlens.query import compare, policy
from incidentlens.query.filters import Filters
from incidentlens.query.stats import Difference, difference, share
from paths import FIXTURE


@pytest.fixture(scope="module")
def frames():
    inc = pd.read_csv(FIXTURE / "incidents.csv", dtype=str, keep_default_na=False)
    src = pd.read_csv(FIXTURE / "sources.csv", dtype=str, keep_default_na=False)
    inc["date"] = pd.to_datetime(inc["attack_date"])
    kept = counted(src)
    msp_by = kept[kept["label_term"] == "msp"].groupby("incident_id")["speaker_type"]
    inc["msp_by"] = inc["incident_id"].map(lambda i: set(msp_by.get_group(i)) if i in msp_by.groups else set())
    return inc


SPAN = {"day": {"days": 1}, "week": {"days": 7}, "month": {"months": 1}, "year": {"years": 1}}


def pandas_before_after(inc, countries, states, date, precision):
    """Before, after and neither, by the rule written out: an incident is on a side only when the
    whole period its date stands for (a day, week, month or year) lies in that side's window."""
    d = pd.Timestamp(date)
    after_start = d + pd.DateOffset(**SPAN[precision])
    where = inc["countries"].str.split(";").map(lambda c: bool(set(c) & countries)) | inc["us_states"].str.split(
        ";"
    ).map(lambda s: bool(set(s) & states))
    part = inc[where]
    last = [s + pd.DateOffset(**SPAN[p]) for s, p in zip(part["date"], part["attack_date_precision"])]
    ends = pd.Series(last, index=part.index)
    is_before = (part["date"] >= d - pd.DateOffset(years=2)) & (ends <= d)
    is_after = (part["date"] >= after_start) & (ends <= after_start + pd.DateOffset(years=2))
    meets = (part["date"] < after_start + pd.DateOffset(years=2)) & (ends > d - pd.DateOffset(years=2))
    neither = set(part.loc[meets & ~is_before & ~is_after, "incident_id"])
    counts = (part.loc[m, "provider_type"].value_counts().to_dict() for m in (is_before, is_after))
    return *counts, neither


@pytest.mark.parametrize(
    "jur, countries, states, date, precision",
    [
        (["US"], {"US"}, set(), dt.date(2021, 2, 1), "day"),
        (["US-TX"], set(), {"TX"}, dt.date(2021, 2, 1), "day"),
        (["EU"], set(policy.EU), set(), dt.date(2022, 12, 14), "day"),
        (["GB", "US"], {"GB", "US"}, set(), dt.date(2020, 6, 1), "day"),
        # A month-dated incident (May 2020, GB) across the action's day: on neither side.
        (["GB"], {"GB"}, set(), dt.date(2020, 5, 15), "day"),
        # Incidents on the action's own day, or in its month when it is dated to the month.
        (["US"], {"US"}, set(), dt.date(2019, 8, 16), "day"),
        (["US"], {"US"}, set(), dt.date(2019, 8, 1), "month"),
        # A year-dated incident (2025, DE) across the end of the window after the action.
        (["EU"], set(policy.EU), set(), dt.date(2023, 6, 1), "day"),
        # An action dated only to 2021, and an incident of July 2021.
        (["US"], {"US"}, set(), dt.date(2021, 1, 1), "year"),
    ],
)
def test_before_after_matches_pandas(db, frames, jur, countries, states, date, precision):
    w = policy.windows(date, precision)
    got = policy.before_after(db, Filters(), jur, w).set_index("provider_type")
    before, after, neither = pandas_before_after(frames, countries, states, date, precision)
    for code in got.index:
        assert got.at[code, "before"] == before.get(code, 0), code
        assert got.at[code, "after"] == after.get(code, 0), code
    if sum(before.values()):
        msp = got.loc["msp"]
        assert msp["before_share"] == pytest.approx(before.get("msp", 0) / sum(before.values()))
    assert set(policy.either_side(db, Filters(), jur, w)["incident_id"]) == neither


def test_an_incident_is_on_neither_side_only_when_its_date_cannot_place_it(db):
    # The cases the rule is for, named: each would have been counted on one side before.
    def neither(jur, day, precision="day"):
        return set(policy.either_side(db, Filters(), jur, policy.windows(day, precision))["incident_id"])

    assert neither(["GB"], dt.date(2020, 5, 15)) == {"2020-05-fx-hosting"}
    assert neither(["GB"], dt.date(2020, 7, 1)) == set()  # May 2020 lies wholly before
    assert neither(["US"], dt.date(2019, 8, 16)) == {"2019-08-fx-town-msp"}
    assert neither(["US"], dt.date(2019, 8, 1), "month") == {"2019-08-fx-town-msp", "2019-08-fx-dental-vendor"}
    assert neither(["DE"], dt.date(2023, 6, 1)) == {"2025-01-fx-unknown"}
    assert neither(["US"], dt.date(2021, 1, 1), "year") == {"2021-07-fx-rmm-vendor"}


@pytest.mark.parametrize(
    "f", [Filters(), Filters(sector=("dental", "healthcare")), Filters(years=(2030, 2031)), Filters(q="fixture")]
)
def test_window_totals_in_one_query_equal_each_actions_before_after(db, f):
    cases = [
        (list(a["jurisdictions"]), policy.windows(a["date"].date(), a["date_precision"]))
        for _, a in policy.actions(db).iterrows()
    ]
    cases += [
        (["GB"], policy.windows(dt.date(2020, 5, 15))),
        (["US", "GB"], policy.windows(dt.date(2021, 1, 1), "year")),
    ]
    cases += [(["EU"], policy.windows(dt.date(2023, 6, 1))), (["US-WI"], policy.windows(dt.date(2019, 8, 1), "month"))]
    each = [int(policy.before_after(db, f, j, w)[["before", "after"]].to_numpy().sum()) for j, w in cases]
    assert policy.window_totals(db, f, cases) == each
    assert policy.window_totals(db, f, []) == []


def test_windows_of_a_coarsely_dated_action_skip_its_period():
    w = policy.windows(dt.date(2017, 4, 1), "month")
    assert (w.before_start, w.before_end) == (dt.date(2015, 4, 1), dt.date(2017, 4, 1))
    assert (w.after_start, w.after_end) == (dt.date(2017, 5, 1), dt.date(2019, 5, 1))
    assert policy.windows(dt.date(2021, 1, 1), "year").after_start == dt.date(2022, 1, 1)


def test_policy_actions_filter_by_jurisdiction_and_kind(db):
    assert list(policy.actions(db, ("EU",))["policy_id"]) == ["2022-12-fx-eu-directive"]
    assert list(policy.actions(db, (), ("law",))["policy_id"]) == ["2021-02-fx-state-law"]
    assert len(policy.actions(db)) == 3


def test_comparison_matches_pandas(db, frames):
    pkg = db.package
    a = compare.parse_slice("labelled_by=government", pkg).filters
    b = compare.parse_slice("labelled_by=trade_press", pkg).filters
    got = compare.compare(db, Filters(), a, b, "msp")
    in_a = frames[frames["msp_by"].map(lambda s: "government" in s)]
    in_b = frames[frames["msp_by"].map(lambda s: "trade_press" in s)]
    ka, na = int((in_a["provider_type"] == "msp").sum()), len(in_a)
    kb, nb = int((in_b["provider_type"] == "msp").sum()), len(in_b)
    assert (got.result.a.k, got.result.a.n, got.result.b.k, got.result.b.n) == (ka, na, kb, nb)
    expected = difference(ka, na, kb, nb)
    assert got.result.diff == pytest.approx(expected.diff)
    assert got.result.low == pytest.approx(expected.low)


def test_slice_overrides_the_base_filter_for_its_own_keys(db):
    base = Filters(years=(2019, 2019), sector=("dental",))
    combined = compare.combine(base, Filters(years=(2021, 2025)))
    assert combined.years == (2021, 2025) and combined.sector == ("dental",)


@pytest.mark.parametrize(
    ("base", "a", "b", "note"),
    [
        (
            Filters(years=(2019, 2021), sector=("dental",)),
            "years=2017-2021",
            "years=2022-2025",
            "Both groups set their own years in place of the view's filter (from 2019–2021); "
            "every other filter of the view still applies.",
        ),
        (
            Filters(years=(2019, 2021), sector=("dental",)),
            "sector=healthcare",
            "label=not_msp",
            "Group A sets its own victim sector in place of the view's filter (in the dental sector); "
            "every other filter of the view still applies.",
        ),
        (
            Filters(country=("US",), q="towns"),
            "country=US&q=pathology",
            "country=GB",
            "The groups set their own country and search text in place of the view's filter "
            '(with victims in US, matching "towns"); every other filter of the view still applies.',
        ),
        (Filters(years=(2019, 2021)), "label=msp", "label=not_msp", ""),
        (Filters(), "years=2017-2021", "years=2022-2025", ""),
    ],
    ids=["both, years", "one group", "mixed keys", "no shared key", "no view filter"],
)
def test_comparison_says_which_view_filters_the_groups_replace(db, base, a, b, note):
    parsed = [compare.parse_slice(text, db.package).filters for text in (a, b)]
    assert compare.replaced_note(base, *parsed, db.package) == note


def test_hostile_slice_text_is_a_note_not_an_error(db):
    s = compare.parse_slice("ptype=';DROP TABLE incidents;--&years=9999-1&" + "x" * 5000, db.package)
    assert s.filters == Filters()
    assert s.notes


def test_compare_from_the_command_line_gives_the_same_numbers(fixture_dir, capsys, db):
    code = main(
        [
            "--data",
            str(fixture_dir),
            "stats",
            "--json",
            "--compare",
            "labelled_by=government",
            "labelled_by=trade_press",
            "--share-of",
            "msp",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    pkg = db.package
    expected = compare.compare(
        db,
        Filters(),
        compare.parse_slice("labelled_by=government", pkg).filters,
        compare.parse_slice("labelled_by=trade_press", pkg).filters,
        "msp",
    )
    assert out["a"]["k"] == expected.result.a.k and out["b"]["n"] == expected.result.b.n
    assert out["diff"] == pytest.approx(expected.result.diff)
    # The groups' words were lost: the difference's "a" and "b" (its shares) replaced them.
    assert (out["group_a"], out["group_b"]) == (expected.a_words, expected.b_words)
    assert out["shared_incidents"] == expected.shared


def test_comparison_counts_the_incidents_in_both_groups(db, frames):
    pkg = db.package

    def run(a: str, b: str) -> compare.Comparison:
        return compare.compare(
            db, Filters(), compare.parse_slice(a, pkg).filters, compare.parse_slice(b, pkg).filters, "msp"
        )

    in_both = frames["msp_by"].map(lambda s: {"government", "trade_press"} <= s).sum()
    assert run("labelled_by=government", "labelled_by=trade_press").shared == in_both
    countries = frames["countries"].str.split(";")
    us_se = countries.map(lambda c: {"US", "SE"} <= set(c)).sum()
    assert us_se == 1  # the fixture's RMM vendor incident had victims in both
    c = run("country=US", "country=SE")
    assert c.shared == 1
    assert c.sentence().endswith(
        " 1 incident is in both groups; the interval assumes separate groups, so with shared incidents it is, "
        "if anything, too wide."
    )
    separate = run("years=2019-2020", "years=2021-2025")
    assert separate.shared == 0 and "both groups" not in separate.sentence()


def test_broken_policy_file_fails_with_locations(data_dir):
    path = data_dir / "policy_actions.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(",law,", ",decree,").replace("https://example.org/p/2", "javascript:alert(1)")
    path.write_text("\n".join(lines) + "\n")
    problems = validate(data_dir)
    where = {(p.file, p.line) for p in problems}
    assert ("policy_actions.csv", 3) in where
    text = " ".join(str(p) for p in problems)
    assert "decree" in text and "javascript" in text


def test_before_after_window_around_29_february(db):
    # A leap day has no twin two years away; the window ends on 28 February instead of raising.
    w = policy.windows(dt.date(2020, 2, 29))
    assert (w.before_start, w.after_end) == (dt.date(2018, 2, 28), dt.date(2022, 3, 1))
    got = policy.before_after(db, Filters(), ["US"], w)
    assert set(got.columns) >= {"provider_type", "before", "after"}


def test_comparison_sentence_has_no_doubled_brackets(db):
    pkg = db.package
    c = compare.compare(
        db,
        Filters(),
        compare.parse_slice("ptype=msp", pkg).filters,
        compare.parse_slice("ptype=software_vendor", pkg).filters,
        "msp",
    )
    assert "((" not in c.sentence() and "))" not in c.sentence()


def test_comparison_sentence_never_shows_minus_zero():
    a, b = share(3, 20), share(1, 14)
    c = compare.Comparison("msp", "A", "B", Difference(a, b, 0.079, -0.003, 0.31))
    assert "difference +8 points (95% CI 0 to +31)." in c.sentence()
