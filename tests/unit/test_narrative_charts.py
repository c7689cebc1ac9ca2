"""Takeaway sentences and chart figures carry the numbers of the query they are drawn from.

Sentences are checked against the Headline they were built from; chart data against the query
results and, where it is cheap, against a plain-pandas count of the fixture CSVs.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
import pytest
from counting import counted

from incidentlens.data.database import load
from incidentlens.data.schema import humanise
from incidentlens.present import charts, narrative
from incidentlens.query import policy, queries
from incidentlens.query.filters import NOT_MSP, Filters

EMPTY = Filters(q="no such words")


@pytest.fixture(scope="module")
def raw(fixture_dir):
    read = {"dtype": str, "keep_default_na": False}
    inc = pd.read_csv(fixture_dir / "incidents.csv", **read)
    src = pd.read_csv(fixture_dir / "sources.csv", **read)
    pkg = json.loads((fixture_dir / "datapackage.json").read_text(encoding="utf-8"))
    inc["family"] = inc["provider_type"].map(pkg["x-provider-type-family"])
    originals = counted(src).merge(inc[["incident_id", "provider_type", "family"]], on="incident_id")
    labelled = set(originals.loc[originals["label_term"] == "msp", "incident_id"])
    return {
        "inc": inc,
        "originals": originals,
        "labelled": labelled,
        "managed_types": {t for t, fam in pkg["x-provider-type-family"].items() if fam == "managed_it"},
    }


def pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def title(fig: go.Figure) -> str:
    return charts.title_of(fig)


def subtitle(fig: go.Figure) -> str:
    return charts.subtitle_of(fig)


# ---- takeaways ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f", [Filters(), Filters(years=(2019, 2021)), Filters(country=("US",))], ids=["all", "2019-2021", "US"]
)
def test_takeaways_carry_the_headline_numbers(db, raw, f):
    h = queries.headline(db, f)
    lines = narrative.takeaways(h)
    k, n = h.labelled.k, h.n
    assert lines[0].startswith(f"{k} of {n} incidents in view ({pct(k / n)})")
    msp = h.labelled_share("msp")
    managed = sum(t.share.k for t in h.labelled_by_type if t.code in raw["managed_types"])
    assert lines[1].startswith(
        f"Of those {k}, {msp.k} ({msp.percent().replace(' (', ', ').rstrip(')')}) involved "
        "a provider assessed as an MSP"
    )
    assert "((" not in lines[1] and "))" not in lines[1]
    kind = "was a managed-IT provider" if managed == 1 else "were managed-IT providers"
    assert f"{managed} ({pct(managed / k)}) {kind}" in lines[1]
    others = [t for t in h.labelled_by_type if t.code not in raw["managed_types"] and t.share.k]
    top = max(others, key=lambda t: t.share.k)  # max() keeps the first of equals, as a stable sort does
    phrase = db.package.phrase(top.code)
    assert f"providers assessed as {phrase} ({top.share.k} of {k}, {pct(top.share.k / k)})" in lines[2]
    unknown = next(t.share for t in h.by_type if t.code == "unknown")
    assert any(line.startswith(f"For {unknown.k} of {n} incidents ({pct(unknown.k / n)})") for line in lines)
    assert ("Fewer than 10 labelled-MSP incidents" in lines[-1]) == (0 < k < 10)


def test_takeaways_match_a_hand_count_of_the_fixture(db, raw):
    lines = narrative.takeaways(queries.headline(db, Filters()))
    # 6 of 9 labelled (the hosting incident through a repost of an unrecorded original); of those,
    # 1 MSP, 2 managed IT (MSP + outsourcer), and software vendors (2) lead the rest.
    assert len(raw["labelled"]) == 6 and len(raw["inc"]) == 9
    assert lines[0].startswith("6 of 9 incidents in view (67%)")
    assert lines[1].startswith("Of those 6, 1 (")
    assert "2 (33%) were managed-IT" in lines[1]
    assert "a software vendor (2 of 6, 33%)" in lines[2]


def test_takeaways_without_labelled_incidents(db):
    h = queries.headline(db, Filters(label=(NOT_MSP,)))
    lines = narrative.takeaways(h)
    assert h.n > 0 and h.labelled.k == 0
    assert lines[0].startswith(f"0 of {h.n} incidents in view (0%)")
    assert not any(line.startswith("Of those") or "Fewer than 10" in line for line in lines)


def test_takeaways_for_an_empty_filter(db):
    assert narrative.takeaways(queries.headline(db, EMPTY)) == [
        "No incident matches this filter. Widen the filter to see figures."
    ]


def test_cite_labelled(db):
    h = queries.headline(db, Filters(years=(2019, 2021)))
    text = narrative.cite_labelled(h, "https://example.org/?years=2019-2021", today=dt.date(2026, 1, 2))
    s = h.labelled
    assert text.startswith(
        f"Of {h.n} incidents ({h.filter_words}), {s.k} "
        f"({pct(s.share)}, 95% CI {s.low * 100:.0f}–{s.high * 100:.0f}%) were publicly labelled MSP"
    )
    assert text.endswith(
        f"IncidentLens dataset v{h.version} (accessed 2026-01-02), https://example.org/?years=2019-2021."
    )


@pytest.mark.parametrize(
    ("code", "subject"),
    [
        ("msp", "a provider assessed as an MSP"),
        ("software_vendor", "a provider assessed as a software vendor"),
        ("it_outsourcer", "a provider assessed as an IT outsourcer"),
        ("public_shared_it", "a provider assessed as public shared IT"),
        ("non_it_supplier", "a provider assessed as a non-IT supplier"),
        ("unknown", "a provider whose type is unknown"),
    ],
)
def test_cite_type(db, code, subject):
    h = queries.headline(db, Filters())
    s = h.labelled_share(code)
    text = narrative.cite_type(h, code, "https://example.org/", today=dt.date(2026, 1, 2))
    ci = f"{pct(s.share)}, 95% CI {s.low * 100:.0f}–{s.high * 100:.0f}%"
    assert text.startswith(
        f"Of {h.labelled.k} incidents publicly labelled MSP attacks (all incidents), {s.k} ({ci}) involved {subject}."
    )


def test_cite_type_with_no_labelled_incident_says_n_a(db):
    h = queries.headline(db, EMPTY)
    assert "0 (n/a)" in narrative.cite_type(h, "msp", "https://example.org/")


def test_dataset_citation():
    c = narrative.dataset_citation("2026.12.0", "2026-11-29", today=dt.date(2027, 3, 4))
    assert "(2026)" in c["apa"] and "Version 2026.12.0" in c["apa"] and "Accessed 2027-03-04" in c["apa"]
    assert c["bibtex"].startswith("@misc{incidentlens_2026_12_0,")
    assert "year = {2026}" in c["bibtex"]


# ---- charts ------------------------------------------------------------------------------------


def test_labelled_vs_assessed(db):
    h = queries.headline(db, Filters())
    fig = charts.labelled_vs_assessed(h)
    msp = h.labelled_share("msp")
    assert title(fig).startswith(f"Of {h.labelled.k} incidents publicly labelled MSP attacks, {msp.k} ")
    (bar,) = fig.data
    assert list(bar.x) == [t.share.share for t in h.labelled_by_type]
    assert list(bar.y) == [f"{t.label}: {t.share.k} ({pct(t.share.share)})" for t in h.labelled_by_type]
    assert list(bar.error_x.array) == pytest.approx([t.share.high - t.share.share for t in h.labelled_by_type])
    assert sum(t.share.k for t in h.labelled_by_type) == h.labelled.k
    assert f"n = {h.labelled.k} labelled-MSP incidents" in subtitle(fig)
    assert ("Small sample" in subtitle(fig)) == (0 < h.labelled.k < 10)
    assert charts.alt_text(fig).startswith(
        f"Of {h.labelled.k} incidents publicly labelled MSP attacks, {msp.k} ({pct(msp.share)}, 95% CI "
    )


def test_labelled_vs_assessed_without_labelled_incidents(db):
    for f in (EMPTY, Filters(label=(NOT_MSP,))):
        fig = charts.labelled_vs_assessed(queries.headline(db, f))
        assert title(fig) == "No incident in view was labelled MSP"
        assert set(fig.data[0].x) == {0}


def test_sankey_links_count_incident_label_pairs(db, raw):
    flows = queries.label_flows(db, Filters())
    fig = charts.sankey(flows, 9, "all incidents")
    (trace,) = fig.data
    pairs = raw["originals"][["incident_id", "label_term"]].drop_duplicates()
    assert sum(trace.link.value) == len(pairs)
    labels = list(trace.node.label)
    for s, t, v, row in zip(trace.link.source, trace.link.target, trace.link.value, flows.itertuples()):
        assert labels[s] == f"Called: {humanise(row.label_term)}"
        assert labels[t] == f"Was: {humanise(row.provider_type)}"
        assert v == row.n
    o = raw["originals"]
    not_msp = o[(o["label_term"] == "msp") & (o["provider_type"] != "msp")]["incident_id"].nunique()
    assert f"went to {not_msp} incidents whose provider was not assessed as an MSP" in title(fig)
    assert "n = 9 incidents" in subtitle(fig)


def test_who_labels_chart(db, raw):
    df = queries.who_labels(db, Filters())
    fig = charts.who_labels(df, "all incidents")
    o = raw["originals"]
    other = o[o["family"] != "managed_it"]
    assert title(fig) == (
        f"{(other['label_term'] == 'msp').sum()} of {len(other)} sources about "
        "non-managed-IT providers still called them MSPs"
    )
    assert f"n = {len(o)} counted label rows" in subtitle(fig)
    shown = {}
    for trace in fig.data:
        for y, x in zip(trace.y, trace.x):
            shown[(trace.name, y)] = x
    names = {"managed_it": "Provider assessed as managed IT", "not_managed_it": "Provider not managed IT"}
    expected = {}
    for (stype, managed), part in o.groupby([o["speaker_type"], o["family"] == "managed_it"]):
        group = names["managed_it" if managed else "not_managed_it"]
        expected[(group, humanise(stype))] = (part["label_term"] == "msp").mean()
    assert shown.keys() == expected.keys()
    for key, value in expected.items():
        assert shown[key] == pytest.approx(value)


def test_by_year_chart(db, raw):
    fig = charts.by_year(queries.by_year(db, Filters()), "all incidents")
    years = raw["inc"]["attack_date"].str[:4].astype(int)
    counts = years.value_counts()
    peak = int(counts[counts == counts.max()].index.min())
    assert title(fig) == (f"{len(years)} incidents by year and assessed provider type; most in {peak} ({counts.max()})")
    drawn = {}
    for trace in fig.data:
        for x, y in zip(trace.x, trace.y):
            drawn[(int(x), trace.name)] = int(y)
    expected = raw["inc"].assign(year=years).groupby(["year", "provider_type"]).size()
    assert drawn == {(y, humanise(t)): int(n) for (y, t), n in expected.items()}


def test_labelled_share_by_year_chart(db, raw):
    df = queries.labelled_share_by_year(db, Filters())
    fig = charts.labelled_share_by_year(df, "all incidents")
    k, n = len(raw["labelled"]), len(raw["inc"])
    assert title(fig) == f"{k} of {n} incidents were labelled MSP by at least one source"
    line = fig.data[-1]
    assert list(line.y) == pytest.approx(list(df["k"] / df["n"]))


def test_by_dimension_chart(db, raw):
    df = queries.by_dimension(db, Filters(), "country")
    fig = charts.by_dimension(df, "country", "all incidents")
    countries = raw["inc"]["countries"].str.split(";").explode().value_counts()
    assert title(fig) == f"By country: {countries.index[0]} leads with {countries.iloc[0]} incidents"
    assert countries.iloc[0] > countries.iloc[1], "the fixture has a single leader"
    drawn: dict[str, int] = {}
    for trace in fig.data:
        for y, x in zip(trace.y, trace.x):
            drawn[y] = drawn.get(y, 0) + int(x)
    assert drawn == countries.to_dict()


def test_by_dimension_chart_with_ties_names_one_of_the_leaders(db, raw):
    fig = charts.by_dimension(queries.by_dimension(db, Filters(), "sector"), "sector", "all incidents")
    sectors = raw["inc"]["victim_sectors"].str.split(";").explode().value_counts()
    leaders = {humanise(s) for s, n in sectors.items() if n == sectors.max()}
    assert any(title(fig) == f"By sector: {lead} leads with {sectors.max()} incidents" for lead in leaders)


def test_charts_on_an_empty_filter_do_not_raise(db):
    h = queries.headline(db, EMPTY)
    words = h.filter_words
    figs = {
        "labelled": charts.labelled_vs_assessed(h),
        "sankey": charts.sankey(queries.label_flows(db, EMPTY), 0, words),
        "who": charts.who_labels(queries.who_labels(db, EMPTY), words),
        "year": charts.by_year(queries.by_year(db, EMPTY), words),
        "share": charts.labelled_share_by_year(queries.labelled_share_by_year(db, EMPTY), words),
        "dim": charts.by_dimension(queries.by_dimension(db, EMPTY, "sector"), "sector", words),
    }
    assert title(figs["sankey"]) == "How sources labelled providers, and what the providers were"
    assert title(figs["who"]) == "Who applies the MSP label"
    assert title(figs["year"]).startswith("0 incidents by year")
    assert title(figs["share"]) == "No incident in view"  # it read "0 of 0 incidents were labelled MSP"
    assert charts.alt_text(figs["share"]) == "No incident is in view."
    assert title(figs["dim"]) == "By sector: No data"
    for fig in figs.values():
        assert isinstance(fig, go.Figure)
        assert words in subtitle(fig)
        assert charts.alt_text(fig)


@pytest.mark.parametrize(
    ("k", "counted_as", "matches"),
    [
        (0, "0 incidents", "**0** incidents match"),
        (1, "1 incident", "**1** incident matches"),
        (2, "2 incidents", "**2** incidents match"),
    ],
)
def test_counts_of_incidents_agree_in_number(k, counted_as, matches):
    assert narrative.incidents(k) == counted_as and narrative.matching(k) == matches


def test_one_incident_in_view_reads_in_the_singular(db):
    one = queries.incidents(db, Filters(), ["incident_id"])["incident_id"].iloc[0]
    f = Filters(q=str(queries.incident(db, one)["title"]))
    h = queries.headline(db, f)
    assert h.n == 1, "the fixture's first title is unique"
    sentences = [*narrative.takeaways(h), narrative.cite_labelled(h, "https://x.test/")]
    assert not [s for s in sentences if "1 incidents" in s], sentences
    assert any("of 1 incident " in s or "Of 1 incident " in s for s in sentences)


def test_a_one_incident_view_reads_in_the_singular_in_every_chart(db):
    """Titles, subtitles and summaries of every chart for a filter that leaves one incident."""
    one = queries.incidents(db, Filters(), ["incident_id"])["incident_id"].iloc[0]
    f = Filters(q=str(queries.incident(db, one)["title"]))
    h, words = queries.headline(db, f), f.describe(db.package)
    assert h.n == 1
    figures = [
        charts.labelled_vs_assessed(h),
        charts.sankey(queries.label_flows(db, f, 0.05), h.n, words),
        charts.by_year(queries.by_year(db, f), words),
        charts.labelled_share_by_year(queries.labelled_share_by_year(db, f), words),
        *(charts.by_dimension(queries.by_dimension(db, f, key), key, words) for key in ("sector", "country")),
        charts.policy_timeline(policy.quarterly(db, f), policy.actions(db), words),
    ]
    texts = [t for fig in figures for t in (title(fig), subtitle(fig))]
    texts += [charts.alt_text(fig) for fig in figures]
    assert not [t for t in texts if "1 incidents" in t or " 1 government actions" in t], texts


def test_one_labelled_incident_is_counted_in_the_singular_under_the_key_chart(db):
    labelled = queries.incidents(db, Filters(label=("msp",)), ["incident_id"])["incident_id"]
    f = Filters(q=str(queries.incident(db, labelled.iloc[0])["title"]))
    h = queries.headline(db, f)
    assert (h.n, h.labelled.k) == (1, 1)
    fig = charts.labelled_vs_assessed(h)
    assert subtitle(fig).startswith("n = 1 labelled-MSP incident;")
    assert title(fig).startswith("Of 1 incident publicly labelled an MSP attack, ")


def test_one_labelled_incident_of_two_reads_in_the_singular(db):
    h = queries.headline(db, Filters(sector=("healthcare",)))  # the nursing home is labelled, the other not
    assert (h.n, h.labelled.k) == (2, 1)
    lines = narrative.takeaways(h)
    assert lines[0].startswith("1 of 2 incidents in view (50%) was called an MSP attack")
    assert lines[1].startswith("Of that one, 0 (") and "0 (0%) were managed-IT providers" in lines[1]
    cite = narrative.cite_labelled(h, "https://x.test/")
    assert "1 (50%, 95% CI 9–91%) was publicly labelled an MSP attack by at least one source." in cite


@pytest.mark.parametrize(
    ("q", "first", "kind"),
    [
        (
            "fixture: towns",
            "The one incident in view was called an MSP attack by at least one source",
            "Its provider was assessed as an MSP.",
        ),
        (
            "Fixture: unnamed provider",
            "The one incident in view was not called an MSP attack by any source",
            "The evidence does not establish what kind of provider it was; it stays in every count as 'unknown'.",
        ),
        (
            "Fixture: pathology supplier",
            "The one incident in view was not called an MSP attack by any source",
            "Its provider was assessed as a non-IT supplier.",
        ),
    ],
    ids=["labelled", "unlabelled, unknown type", "unlabelled, known type"],
)
def test_one_incident_takeaways_speak_of_it(db, q, first, kind):
    h = queries.headline(db, Filters(q=q))
    assert h.n == 1
    lines = narrative.takeaways(h)
    assert lines[0].startswith(first)
    assert kind in lines
    assert not [s for s in lines if "of 1 incident" in s or "Of those 1," in s], lines


def test_who_labels_counts_one_source_in_the_singular(db):
    df = queries.who_labels(db, Filters(q="Fixture: pathology supplier"))  # one source, not labelled MSP
    fig = charts.who_labels(df, "one incident")
    assert title(fig) == "0 of 1 source about non-managed-IT providers still called them MSPs"
    assert charts.alt_text(fig).startswith(
        "0 of 1 source about providers not assessed as managed IT (0%) still called them MSPs."
    ), charts.alt_text(fig)


def test_by_year_hover_counts_each_bar_in_number(db):
    fig = charts.by_year(queries.by_year(db, Filters()), "all incidents")
    hovered = [
        (y, text)
        for trace in fig.data
        for y, text in zip(trace.y, trace.customdata)
        if "%{customdata}" in trace.hovertemplate
    ]
    assert len(hovered) == sum(len(trace.y) for trace in fig.data)
    assert {text for y, text in hovered if y == 1} == {"1 incident"}, "the fixture has years with one incident"
    assert all(text == f"{y} incidents" for y, text in hovered if y != 1)


def test_a_tied_peak_names_every_year_it_is_shared_by():
    """'Most in 2013' when 2016 had as many would name one year where two tie."""
    df = pd.DataFrame({"year": [2013, 2016], "provider_type": ["non_it_supplier", "it_outsourcer"], "n": [1, 1]})
    fig = charts.by_year(df, "incidents from 2013–2016")
    assert title(fig) == "2 incidents by year and assessed provider type; most in 2013 and 2016 (1 each)"
    summary = charts.alt_text(fig)
    assert summary.startswith("2 incidents from 2013 to 2016, the most in 2013 and 2016 (1 each).")
    assert summary.endswith(
        "most often assessed as an IT outsourcer or assessed as a non-IT supplier (1 of 2 each)."
    ), summary


def test_a_peak_shared_by_many_years_is_counted_not_listed():
    df = pd.DataFrame({"year": [2013, 2014, 2015, 2016, 2018], "provider_type": ["msp"] * 5, "n": [2] * 5})
    fig = charts.by_year(df, "all incidents")
    assert title(fig).endswith("; at most 2 in any year (5 years had 2)")
    assert charts.alt_text(fig).startswith("10 incidents from 2013 to 2018, at most 2 in any year (5 years had 2).")


def test_a_lone_peak_reads_as_before(db):
    df = pd.DataFrame({"year": [2013, 2016], "provider_type": ["msp", "msp"], "n": [1, 3]})
    assert title(charts.by_year(df, "all incidents")).endswith("; most in 2016 (3)")


def test_a_tie_for_the_largest_other_group_names_both(db):
    h = queries.headline(db, Filters(years=(2019, 2019)))  # 3 labelled: an MSP, a break/fix shop, a vendor
    assert (
        "The largest other groups behind the MSP label, tied: providers assessed as a break/fix shop or a "
        "software vendor (1 of 3 each, 33% each)."
    ) in narrative.takeaways(h)


def test_one_year_in_view_is_not_a_peak():
    df = pd.DataFrame({"year": [2023, 2023], "provider_type": ["msp", "cloud_hosting"], "n": [1, 2]})
    fig = charts.by_year(df, "incidents from 2023")
    assert title(fig) == "3 incidents by year and assessed provider type"
    assert charts.alt_text(fig).startswith(
        "3 incidents in 2023. The provider was most often assessed as a cloud or hosting provider (2 of 3)."
    )


def test_quarters_that_all_tie_are_counted_not_listed(db):
    quarters = policy.quarterly(db, Filters(years=(2020, 2024)))  # five incidents, each in its own quarter
    assert len(quarters) == 5 and set(quarters["n"]) == {1}
    summary = charts.alt_text(charts.policy_timeline(quarters, policy.actions(db), "incidents from 2020–2024"))
    assert summary.startswith("5 incidents from 2020 Q2 to 2024 Q2, at most 1 in any quarter (5 quarters had 1).")


def test_an_incident_with_no_single_quarter_is_counted_not_drawn(db):
    # The fixture's 2025 incident is dated only to the year: no bar may put it in 2025 Q1.
    quarters = policy.quarterly(db, Filters(years=(2020, 2025)))
    assert quarters.loc[quarters["quarter"].isna(), "n"].sum() == 1
    fig = charts.policy_timeline(quarters, policy.actions(db), "incidents from 2020–2025")
    drawn = [(str(x)[:10], y) for t in fig.data if t.type == "bar" for x, y in zip(t.x, t.y)]
    assert sum(y for _, y in drawn) == 5 and not any(x.startswith("2025") for x, _ in drawn)
    assert title(fig).startswith("6 incidents by quarter")
    assert subtitle(fig).startswith("n = 6 (1 not drawn: no single quarter);")
    assert charts.alt_text(fig).startswith(
        "5 incidents from 2020 Q2 to 2024 Q2 (1 more, with no single quarter, not drawn), at most 1 in any quarter"
    )
    alone = charts.policy_timeline(policy.quarterly(db, Filters(years=(2025, 2025))), policy.actions(db), "2025")
    assert charts.alt_text(alone).startswith("1 incident in view, none dated to a single quarter, so no bar is drawn.")


def test_a_week_across_two_quarters_has_no_single_quarter(data_dir):
    # Week of 28 June 2021 runs into July (Q3); a week inside one quarter keeps its quarter.
    path = data_dir / "incidents.csv"
    text = (
        path.read_text().replace("2021-07-02,day,", "2021-06-28,week,").replace("2019-08-16,day,", "2019-08-12,week,")
    )
    path.write_text(text)
    quarters = policy.quarterly(load(data_dir), Filters(years=(2019, 2021)))
    assert quarters.loc[quarters["quarter"].isna(), "n"].sum() == 1
    assert pd.Timestamp("2019-07-01") in set(quarters["quarter"])


def test_large_counts_carry_thousands_separators():
    # Synthetic data runs to 1M incidents: "100000 incidents match" is hard to read at a glance.
    assert narrative.incidents(100000) == "100,000 incidents" and narrative.incidents(1) == "1 incident"
    assert narrative.matching(12345) == "**12,345** incidents match"
    assert narrative.sources(3000) == "3,000 sources"
    assert narrative.labelled_attacks(2500) == "2,500 incidents publicly labelled MSP attacks"


def test_who_labels_intervals_say_whose_they_are(db):
    # A speaker with sources about one group only shows one interval and no bar: its colour, a
    # darker shade of its group's bar, must tell the groups apart (both were the default black).
    fig = charts.who_labels(queries.who_labels(db, Filters()), "all incidents")
    whiskers = {trace.name: trace.error_x.color for trace in fig.data}
    bars = {trace.name: trace.marker.color for trace in fig.data}
    assert len(set(whiskers.values())) == len(fig.data) == 2 and None not in whiskers.values()
    for name, colour in whiskers.items():
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        br, bg, bb = (int(bars[name][i : i + 2], 16) for i in (1, 3, 5))
        assert r <= br and g <= bg and b <= bb and (r, g, b) != (br, bg, bb)  # darker than its own bar
