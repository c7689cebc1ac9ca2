"""The text under each chart: the finding in one or two sentences a witness can read aloud, with
the data package's type names, zero counts kept and no number cut short (the full values are in
the chart's table view)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from incidentlens.data.schema import load_package
from incidentlens.present import charts, narrative, tables
from incidentlens.query import answer, policy, queries
from incidentlens.query.filters import Filters

FILTERS = {
    "all": Filters(),
    "dental": Filters(sector=("dental",)),
    "2019-2020": Filters(years=(2019, 2020)),
    "empty": Filters(q="no incident has this text"),
}
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a vocabulary code such as it_outsourcer


def every_chart(db, f: Filters) -> dict[str, object]:
    h, words = queries.headline(db, f), f.describe(db.package)
    readings = answer.of(db, f)[1]
    return {
        "labelled_vs_assessed": charts.labelled_vs_assessed(h),
        "sankey": charts.sankey(queries.label_flows(db, f, 0.1), h.n, words),
        "who_labels": charts.who_labels(queries.who_labels(db, f), words),
        "by_year": charts.by_year(queries.by_year(db, f), words),
        "labelled_share_by_year": charts.labelled_share_by_year(queries.labelled_share_by_year(db, f), words),
        "by_sector": charts.by_dimension(queries.by_dimension(db, f, "sector"), "sector", words),
        "by_state": charts.by_dimension(queries.by_dimension(db, f, "state"), "US state", words),
        "policy_timeline": charts.policy_timeline(policy.quarterly(db, f), policy.actions(db), words),
        "robustness": charts.robustness(readings, narrative.robustness_title(readings), words),
    }


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?=\s|$)", text))


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_chart_states_its_finding_in_one_or_two_sentences(real_db, name):
    for chart, fig in every_chart(real_db, FILTERS[name]).items():
        text = charts.alt_text(fig)
        assert 1 <= sentences(text) <= 2, (chart, text)
        assert text.endswith(".") and "…" not in text and len(text) <= 400, (chart, text)
        assert not CODE.search(text), (chart, text)  # labels and phrases, never codes
        assert text != charts.title_of(fig)


def test_labelled_summary_uses_type_phrases_and_keeps_zero_counts(real_db):
    pkg = load_package()
    for f in (Filters(), Filters(ptype=("msp", "software_vendor", "it_outsourcer"))):
        h = queries.headline(real_db, f)
        text = charts.alt_text(charts.labelled_vs_assessed(h))
        msp, unknown = h.labelled_share("msp"), h.labelled_share("unknown")
        assert text.startswith(
            f"Of {h.labelled.k} incidents publicly labelled MSP attacks, {msp.k} ({msp.share * 100:.0f}%, 95% CI "
        )
        others = sorted(
            (t for t in h.labelled_by_type if t.code not in ("msp", "unknown") and t.share.k), key=lambda t: -t.share.k
        )[:2]
        assert f"most often {pkg.phrase(others[0].code)} ({others[0].share.k})" in text
        verb = "is" if unknown.k == 1 else "are"
        assert text.endswith(f"; {unknown.k} {verb} of unknown type.")  # 0 is said, not dropped
    assert unknown.k == 0  # the second filter keeps the zero


def test_labelled_summary_without_labelled_incidents(real_db):
    h = queries.headline(real_db, Filters(label=("not_msp",)))
    assert charts.alt_text(charts.labelled_vs_assessed(h)) == (
        f"None of the {h.n} incidents in view was labelled an MSP attack, so there is nothing to break down."
    )
    empty = queries.headline(real_db, FILTERS["empty"])
    assert charts.alt_text(charts.labelled_vs_assessed(empty)) == "No incident is in view."


def test_dimension_summary_names_the_leaders_with_whole_counts(real_db):
    df = queries.by_dimension(real_db, Filters(), "sector")
    totals = df.groupby("value")["n"].sum().sort_values(ascending=False, kind="stable")
    text = charts.alt_text(charts.by_dimension(df, "sector", "all incidents"))
    pkg = load_package()
    lead, second, third = ((pkg.label(v), int(k)) for v, k in totals.iloc[:3].items())
    assert text == (
        f"{lead[0]} leads with {lead[1]} incidents, followed by {second[0]} ({second[1]}) and "
        f"{third[0]} ({third[1]}). {len(totals)} sectors are in view; an incident can count "
        "under several."
    )


def test_by_year_summary(real_db):
    df = queries.by_year(real_db, Filters())
    totals = df.groupby("year")["n"].sum()
    types = df.groupby("provider_type")["n"].sum()
    text = charts.alt_text(charts.by_year(df, "all incidents"))
    peak = int(totals.idxmax())
    assert text.startswith(
        f"{int(totals.sum())} incidents from {int(totals.index.min())} to "
        f"{int(totals.index.max())}, the most in {peak} ({int(totals[peak])})."
    )
    top = types.idxmax()
    assert text.endswith(
        f"most often assessed as {load_package().phrase(top)} ({int(types[top])} of {int(totals.sum())})."
    )


def test_share_by_year_compares_only_years_with_enough_incidents(real_db):
    df = queries.labelled_share_by_year(real_db, Filters())
    text = charts.alt_text(charts.labelled_share_by_year(df, "all incidents"))
    steady = df[df["n"] >= 10]
    low, high = steady.loc[steady["share"].idxmin()], steady.loc[steady["share"].idxmax()]
    assert text.endswith(
        f"the share ran from {low['share'] * 100:.0f}% ({int(low['year'])}) to "
        f"{high['share'] * 100:.0f}% ({int(high['year'])})."
    )
    few = pd.DataFrame(
        {"year": [2019, 2020], "k": [1, 2], "n": [3, 4], "share": [1 / 3, 0.5], "low": [0.1, 0.2], "high": [0.8, 0.9]}
    )
    assert "not compared" in charts.alt_text(charts.labelled_share_by_year(few, "x"))


def test_sankey_summary_counts_the_msp_label_going_elsewhere(real_db):
    flows = queries.label_flows(real_db, Filters(), 0.1)
    msp = flows[flows["label_term"] == "msp"]
    elsewhere = msp[msp["provider_type"] != "msp"]
    text = charts.alt_text(charts.sankey(flows, 0, "all incidents"))
    assert text.startswith(
        f"Sources called the provider an MSP in {int(msp['n'].sum())} incidents; in "
        f"{int(elsewhere['n'].sum())} of them it was not assessed as an MSP"
    )


def test_who_labels_summary(real_db):
    df = queries.who_labels(real_db, Filters())
    other = df[df["provider_group"] == "not_managed_it"]
    k, n = int(other["k"].sum()), int(other["n"].sum())
    text = charts.alt_text(charts.who_labels(df, "all incidents"))
    assert text.startswith(
        f"{k} of {n} sources about providers not assessed as managed IT ({k / n * 100:.0f}%) still called them MSPs."
    )


@pytest.mark.parametrize("name", ["dental", "2019-2020"])
def test_every_coloured_series_is_named_in_the_legend_even_alone(real_db, name):
    # Plotly hides the legend of a figure with one trace; a single provider type would then be a
    # colour nobody can read.
    for chart, fig in every_chart(real_db, FILTERS[name].with_(ptype=("msp",))).items():
        for trace in fig.data:
            if trace.type == "bar" and trace.name:
                assert trace.showlegend, (chart, trace.name)


def test_no_takeaway_says_assessed_as_of_unknown_type(real_db):
    """Where 'unknown' led the other groups behind the MSP label (2019–2021 in the real data) the
    takeaway read 'providers assessed as of unknown type'."""
    windows = [Filters(years=(y, y + k)) for y in range(2013, 2027) for k in (0, 2)]
    said = [s for f in windows for s in narrative.takeaways(queries.headline(real_db, f)) if "largest other" in s]
    assert said and not [s for s in said if "assessed as of" in s]
    assert narrative._providers(["cloud_hosting", "unknown"]) == (
        "providers assessed as a cloud or hosting provider or providers of unknown type"
    )


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_chart_keeps_its_title_for_the_page_and_draws_none_itself(real_db, name):
    """Plotly draws a title on one line however long, or wrapped to a width fixed in advance; on a
    phone or in a zoomed window it ran past the chart's edge. The page shows the title as text
    (ui.chart), and images draw it (images.with_furniture), both from the figure's meta."""
    for chart, fig in every_chart(real_db, FILTERS[name]).items():
        assert not fig.layout.title.text and not fig.layout.title.subtitle.text, chart
        assert charts.title_of(fig).strip() and charts.subtitle_of(fig).strip(), chart
        assert "<br>" not in charts.title_of(fig) + charts.subtitle_of(fig), chart


@pytest.mark.parametrize("name", list(FILTERS))
def test_every_interval_of_a_share_reads_as_the_headline_writes_it(real_db, name):
    """The answer box read '16–45%', the chart's caption and the citation '16%–45%': a witness
    quoting one against the other would seem to contradict the page. One form everywhere."""
    f = FILTERS[name]
    h, (ans, readings) = queries.headline(real_db, f), answer.of(real_db, f)
    words = [narrative.answer_sentence(ans), narrative.cite_answer(ans, h, "https://example.org/")]
    words += [narrative.cite_labelled(h, "https://example.org/"), *narrative.takeaways(h)]
    words += [narrative.cite_type(h, t.code, "https://example.org/") for t in h.labelled_by_type]
    words += [charts.alt_text(fig) for fig in every_chart(real_db, f).values()]
    cells = [
        tables.labelled_by_type(h),
        tables.readings(readings),
        tables.who_labels(queries.who_labels(real_db, f), real_db.package),
    ]
    words += [str(v) for t in cells for v in t.to_numpy().ravel()]
    assert [w for w in words if "95% CI" in w] or name == "empty"
    assert not [w for w in words if re.search(r"\d%–\d", w)]
