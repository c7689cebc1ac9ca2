"""Plotly figures as pure functions of query results: title states the finding, subtitle gives
n and the filter, "unknown" is always drawn, colours are colour-blind safe (Okabe–Ito)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from incidentlens.data.schema import humanise, load_package
from incidentlens.present import narrative
from incidentlens.present.format import date_as_known, quarter
from incidentlens.present.narrative import incidents as _incidents
from incidentlens.query.answer import Reading
from incidentlens.query.queries import Headline
from incidentlens.query.stats import SMALL_SAMPLE, interval

# Colours (Okabe–Ito, grey for "unknown") and labels come from data/datapackage.json.
FONT = "Liberation Sans, Arial, sans-serif"


# On the page the title and subtitle are text above the chart (ui.chart), which the browser wraps
# to any width: drawn by plotly, on one line however long, or wrapped to a fixed width, they ran
# past the chart's edge on a phone and in a zoomed window. The chart keeps room for plotly's
# toolbar above the plot; images draw the title inside (images.with_furniture).
PAGE_TOP = 30


# A legend under the plot, for charts whose long category names and long legend entries, side by
# side, left the plot 12% (robustness) and 28% (who labels) of the chart's width at 1024 px.
LEGEND_BELOW = {"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"}
# Over the plot for a tall chart (25 bars by sector), whose legend at the right left the plot 41%
# of the chart's width at 1024 px and under the plot would be a screen away from the top bars.
LEGEND_ABOVE = {"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"}


def figure(
    traces: list[dict],
    title: str,
    subtitle: str,
    height: int = 360,
    *,
    summary: str,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    **layout,
) -> go.Figure:
    """The chart in one `go.Figure` call, in house style: finding as title, n and filter as
    subtitle, light grid, legend at the right; `height` is the chart on the page, without its
    title. The title, the subtitle and `summary` (one or two sentences on the finding, shown
    under the chart) are kept in the layout's `meta` (`title_of`, alt_text): the page shows them
    as text and images draw them. Plotly validates the whole spec once this way (about 2 ms),
    where building it step by step (add_bar, update_layout, update_xaxes, …) validated it again
    at every step (10–25 ms a chart, on every new filter).

    Margins and automatic margins are explicit because the active plotly template may turn them
    off (Streamlit's does); images set their own template and margins (images.with_furniture)."""
    grid = {"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True}
    return go.Figure(
        data=traces,
        layout={
            **layout,
            "font": {"family": FONT, "size": 13},
            "height": height,
            "margin": {"l": 10, "r": 10, "t": PAGE_TOP, "b": 40},
            "plot_bgcolor": "white",
            "legend": {"orientation": "v", "x": 1.01, "y": 1, "yanchor": "top", **layout.get("legend", {})},
            "meta": {"summary": summary, "title": title, "subtitle": subtitle},
            "xaxis": {**(xaxis or {}), **grid},
            "yaxis": {**(yaxis or {}), **grid, "ticklabelstandoff": 6},
        },
    )


def title_of(fig: go.Figure) -> str:
    """The chart's title: the finding, in a sentence."""
    return fig.layout.meta["title"]


def subtitle_of(fig: go.Figure) -> str:
    return fig.layout.meta["subtitle"]


def _year_axis(years: pd.Series) -> dict:
    """One tick per year, with half a year of room at both ends so that the first and last tick
    labels stay clear of the other axis."""
    axis = {"title": {"text": "Year of attack"}, "dtick": 1, "tickformat": "d"}
    if len(years):
        lo, hi = int(years.min()), int(years.max())
        axis["range"] = [lo - 0.5, hi + 0.5]
    return axis


def _count_ticks(top: float) -> dict:
    """Whole-number ticks for an axis of counts (no '2.5 incidents')."""
    return {"tickformat": ",d", "dtick": 1} if top <= 8 else {"tickformat": ",d"}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def _phrase(code: str) -> str:
    """The provider type as it reads in a sentence ('an IT outsourcer'), from the data package."""
    return load_package().phrase(code)


def _are(k: int) -> str:
    return "is" if k == 1 else "are"


def _assessed_as(code: str) -> str:
    return "of unknown type" if code == "unknown" else f"assessed as {_phrase(code)}"


def _tops(totals: pd.Series) -> tuple[list, int]:
    """Every key with the largest count, in the series' order, and that count: a tie is named,
    not settled silently by order ("the most in 2013" when 2016 had as many)."""
    k = int(totals.max())
    return [key for key, v in totals.items() if v == k], k


def _peak(periods: list[str], k: int, unit: str, lead: str = "the most in") -> str:
    """'the most in 2019 (29)', 'the most in 2013 and 2016 (1 each)'; where more than three
    periods tie, 'at most 1 in any quarter (14 quarters had 1)' rather than a list."""
    if len(periods) > 3:
        return f"at most {k} in any {unit} ({len(periods)} {unit}s had {k})"
    return f"{lead} {narrative.listing(periods)} {_each(periods, k)}"


def _each(keys: list, k: int, of: int | None = None) -> str:
    """'(3)', '(3 of 9)', and for a tie '(3 each)', '(3 of 9 each)'."""
    return f"({k}{f' of {of}' if of is not None else ''}{' each' if len(keys) > 1 else ''})"


def labelled_vs_assessed(h: Headline) -> go.Figure:
    """Of incidents labelled MSP, the share per assessed provider type with 95% intervals."""
    rows = [t for t in h.labelled_by_type]
    n = h.labelled.k
    msp = h.labelled_share("msp")
    title = (
        f"Of {narrative.labelled_attacks(n)}, {msp.k} ({_pct(msp.share)}) involved a provider assessed as an MSP"
        if n
        else "No incident in view was labelled MSP"
    )
    y = [f"{t.label}: {t.share.k} ({_pct(t.share.share)})" for t in rows]
    x = [t.share.share or 0 for t in rows]
    # An empty base has no share and no bounds: a zero-length error bar.
    err_plus = [(t.share.high or 0) - (t.share.share or 0) for t in rows]
    err_minus = [(t.share.share or 0) - (t.share.low or 0) for t in rows]
    bar = {
        "type": "bar",
        "x": x,
        "y": y,
        "orientation": "h",
        "marker": {"color": [_colour(t.code) for t in rows]},
        "error_x": {"type": "data", "array": err_plus, "arrayminus": err_minus, "color": "#444", "thickness": 1.2},
        "customdata": [[t.share.k, t.share.n, _pct(t.share.low), _pct(t.share.high)] for t in rows],
        "hovertemplate": "%{y}: %{customdata[0]} of %{customdata[1]} (%{x:.0%}),"
        " 95% CI %{customdata[2]}–%{customdata[3]}<extra></extra>",
    }
    small = " Small sample: read with care." if 0 < n < 10 else ""
    return figure(
        [bar],
        title,
        f"n = {n} labelled-MSP incident{'' if n == 1 else 's'}; {h.filter_words}.{small}",
        400,
        summary=_labelled_summary(h),
        xaxis={"tickformat": ".0%", "range": [0, 1.05], "title": {"text": "Share of incidents labelled MSP (95% CI)"}},
        yaxis={"autorange": "reversed", "title": {"text": "Provider assessed as"}},
    )


def _labelled_summary(h: Headline) -> str:
    n = h.labelled.k
    if not h.n:
        return "No incident is in view."
    if not n:
        none = "The one incident in view was not" if h.n == 1 else f"None of the {h.n} incidents in view was"
        return f"{none} labelled an MSP attack, so there is nothing to break down."
    msp = h.labelled_share("msp")
    first = (
        f"Of {narrative.labelled_attacks(n)}, {msp.k} ({_pct(msp.share)}, 95% CI "
        f"{interval(msp.low, msp.high)}) involved a provider assessed as an MSP."
    )
    others = sorted(
        (t for t in h.labelled_by_type if t.code not in ("msp", "unknown") and t.share.k), key=lambda t: -t.share.k
    )[:2]
    unknown = h.labelled_share("unknown").k
    if not others:
        return first + (f" The rest ({unknown}) {_are(unknown)} of unknown type." if unknown else "")
    most = " or ".join(f"{_phrase(t.code)} ({t.share.k})" for t in others)
    return first + f" The others were most often {most}; {unknown} {_are(unknown)} of unknown type."


def sankey(flows: pd.DataFrame, n: int, filter_words: str) -> go.Figure:
    """Label term used by sources -> assessed provider type, counted in incidents."""
    labels = [f"Called: {humanise(t)}" for t in flows["label_term"].unique()]
    types = [f"Was: {humanise(t)}" for t in flows["provider_type"].unique()]
    index = {name: i for i, name in enumerate(labels + types)}
    colours = [_colour(t) for t in flows["provider_type"]]
    flow = {
        "type": "sankey",
        "node": {
            "label": labels + types,
            "pad": 12,
            "thickness": 14,
            "color": ["#bbbbbb"] * len(labels) + [_colour(t) for t in flows["provider_type"].unique()],
        },
        "link": {
            "source": [index[f"Called: {humanise(t)}"] for t in flows["label_term"]],
            "target": [index[f"Was: {humanise(t)}"] for t in flows["provider_type"]],
            "value": flows["n"].tolist(),
            "color": [c + "66" for c in colours],
        },
    }
    msp = flows[flows["label_term"] == "msp"]
    not_msp = int(msp[msp["provider_type"] != "msp"]["n"].sum())
    title = (
        f"The MSP label went to {_incidents(not_msp)} whose provider was not assessed as an MSP"
        if len(msp)
        else "How sources labelled providers, and what the providers were"
    )
    return figure(
        [flow],
        title,
        f"Links count incidents (a repost counts once, for its original); n = {_incidents(n)}; {filter_words}.",
        500,
        summary=_sankey_summary(flows),
    )


def _sankey_summary(flows: pd.DataFrame) -> str:
    if flows.empty:
        return "No source about the incidents in view characterised the provider."
    msp = flows[flows["label_term"] == "msp"]
    called = int(msp["n"].sum())
    other = msp[msp["provider_type"] != "msp"].groupby("provider_type")["n"].sum()
    if not called:
        first = "No source in view called the provider an MSP."
    elif other.empty:
        first = f"Sources called the provider an MSP in {_incidents(called)}, and every one was assessed as an MSP."
    else:
        codes, k = _tops(other)
        first = (
            f"Sources called the provider an MSP in {_incidents(called)}; in {int(other.sum())} of them it "
            f"was not assessed as an MSP, and most often it was {narrative.listing([_phrase(c) for c in codes], 'or')} "
            f"{_each(codes, k)}."
        )
    widest = flows.sort_values("n", ascending=False, kind="stable").iloc[0]
    return first + (
        f" The widest flow runs from the label '{humanise(widest['label_term'])}' to a provider "
        f"{_assessed_as(widest['provider_type'])} ({_incidents(int(widest['n']))})."
    )


def who_labels(df: pd.DataFrame, filter_words: str) -> go.Figure:
    """Share of label rows using 'MSP', by who said it (speaker type), split by whether the provider was managed IT."""
    names = {"managed_it": "Provider assessed as managed IT", "not_managed_it": "Provider not managed IT"}
    colours = {"managed_it": "#0072B2", "not_managed_it": "#E69F00"}
    # Each interval in a darker shade of its bar: where a group has no sources for a speaker, the
    # other group's interval stands alone and its colour says whose it is.
    whiskers = {"managed_it": "#00466E", "not_managed_it": "#8A5F00"}
    bars = [
        {
            "type": "bar",
            "y": [humanise(s) for s in part["speaker_type"]],
            "x": part["share"],
            "orientation": "h",
            "name": names[group],
            "marker": {"color": colours[group]},
            "showlegend": True,
            "error_x": {
                "type": "data",
                "array": part["high"] - part["share"],
                "arrayminus": part["share"] - part["low"],
                "thickness": 1.2,
                "color": whiskers[group],
            },
            "customdata": part[["k", "n"]].to_numpy(),
            "hovertemplate": "%{y}: %{customdata[0]} of %{customdata[1]} sources (%{x:.0%})<extra>"
            + names[group]
            + "</extra>",
        }
        for group, part in df.groupby("provider_group", sort=True)
    ]
    other = df[df["provider_group"] == "not_managed_it"]
    k, n = int(other["k"].sum()), int(other["n"].sum())
    title = (
        f"{k} of {narrative.sources(n)} about non-managed-IT providers still called them MSPs"
        if n
        else "Who applies the MSP label"
    )
    return figure(
        bars,
        title,
        f"n = {int(df['n'].sum())} counted label rows (reposts once, for their original); {filter_words}.",
        420,
        summary=_who_summary(other),
        barmode="group",
        xaxis={
            "tickformat": ".0%",
            "range": [0, 1.05],
            "title": {"text": "Share of sources using the label 'MSP' (95% CI)"},
        },
        yaxis={"title": {"text": "Who said it"}, "autorange": "reversed"},
        legend=LEGEND_BELOW,
    )


def _who_summary(other: pd.DataFrame) -> str:
    """`other`: the rows about providers not assessed as managed IT."""
    k, n = int(other["k"].sum()), int(other["n"].sum())
    if not n:
        return "No counted source in view is about a provider outside managed IT."
    first = (
        f"{k} of {narrative.sources(n)} about providers not assessed as managed IT ({_pct(k / n)}) "
        "still called them MSPs."
    )
    steady = other[other["n"] >= SMALL_SAMPLE]
    pool = steady if len(steady) else other[other["n"] > 0]
    top = pool.sort_values("share", ascending=False, kind="stable").iloc[0]
    if not top["k"]:
        return first
    return first + (
        f" {humanise(top['speaker_type'])} sources did so most often ({int(top['k'])} of "
        f"{int(top['n'])}, {_pct(top['share'])})."
    )


def by_year(df: pd.DataFrame, filter_words: str) -> go.Figure:
    """Incidents per year, stacked by assessed provider type."""
    bars = [
        {
            "type": "bar",
            "x": part["year"],
            "y": part["n"],
            "name": humanise(code),
            "marker": {"color": _colour(code)},
            "width": 0.8,
            "showlegend": True,  # plotly hides the legend of a lone trace: the colour needs its name
            "customdata": [narrative.incidents(int(k)) for k in part["n"]],  # "1 incident" in the singular
            "hovertemplate": "%{x}: %{customdata}<extra>" + humanise(code) + "</extra>",
        }
        for code in _in_order(df["provider_type"], load_package().type_family)
        for part in [df[df["provider_type"] == code]]
    ]
    totals = df.groupby("year")["n"].sum()
    peak = ""
    if len(totals) > 1:  # one year in view: its count is the title's own
        years, k = _tops(totals)
        peak = f"; {_peak([str(int(y)) for y in years], k, 'year', lead='most in')}"
    return figure(
        bars,
        f"{_incidents(int(totals.sum()))} by year and assessed provider type{peak}",
        f"n = {int(totals.sum())}; {filter_words}.",
        summary=_by_year_summary(df, totals),
        barmode="stack",
        xaxis=_year_axis(df["year"]),
        yaxis={"title": {"text": "Incidents"}, **_count_ticks(totals.max() if len(totals) else 0)},
    )


def _by_year_summary(df: pd.DataFrame, totals: pd.Series) -> str:
    if totals.empty:
        return "No incident is in view."
    n = int(totals.sum())
    years, k = _tops(totals)
    codes, kt = _tops(df.groupby("provider_type")["n"].sum())
    first, last = int(totals.index.min()), int(totals.index.max())
    when = (
        f"in {first}" if first == last else f"from {first} to {last}, {_peak([str(int(y)) for y in years], k, 'year')}"
    )
    return (
        f"{_incidents(n)} {when}. {'The' if first == last else 'Across the years the'} provider was most often "
        f"{narrative.listing([_assessed_as(c) for c in codes], 'or')} {_each(codes, kt, n)}."
    )


def labelled_share_by_year(df: pd.DataFrame, filter_words: str) -> go.Figure:
    band = {"type": "scatter", "x": df["year"], "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    traces = [
        {**band, "y": df["high"], "showlegend": False},
        {**band, "y": df["low"], "fill": "tonexty", "fillcolor": "rgba(0,114,178,0.18)", "name": "95% CI"},
        {
            "type": "scatter",
            "x": df["year"],
            "y": df["share"],
            "mode": "lines+markers",
            "name": "Labelled MSP",
            "line": {"color": "#0072B2"},
            "customdata": df[["k", "n"]].to_numpy(),
            "hovertemplate": "%{x}: %{customdata[0]} of %{customdata[1]} (%{y:.0%})<extra></extra>",
        },
    ]
    k, n = int(df["k"].sum()), int(df["n"].sum())
    return figure(
        traces,
        f"{k} of {_incidents(n)} {narrative.were(k)} labelled MSP by at least one source"
        if n
        else "No incident in view",
        f"Per year, with 95% Wilson intervals (wide where few incidents); {filter_words}.",
        summary=_share_by_year_summary(df),
        xaxis=_year_axis(df["year"]),
        yaxis={"tickformat": ".0%", "range": [0, 1.05], "title": {"text": "Share labelled MSP"}},
    )


def _share_by_year_summary(df: pd.DataFrame) -> str:
    k, n = int(df["k"].sum()), int(df["n"].sum())
    if not n:
        return "No incident is in view."
    first = f"{k} of {_incidents(n)} ({_pct(k / n)}) {narrative.were(k)} labelled MSP by at least one source."
    steady = df[df["n"] >= SMALL_SAMPLE]
    if len(steady) < 2:
        return first + f" No two years have {SMALL_SAMPLE} or more incidents, so the yearly shares are not compared."
    low = steady.sort_values("share", kind="stable").iloc[0]
    high = steady.sort_values("share", ascending=False, kind="stable").iloc[0]
    return first + (
        f" In years with {SMALL_SAMPLE} or more incidents the share ran from {_pct(low['share'])} "
        f"({int(low['year'])}) to {_pct(high['share'])} ({int(high['year'])})."
    )


def by_dimension(df: pd.DataFrame, what: str, filter_words: str, top: int = 25) -> go.Figure:
    """Incidents per value of a dimension (sector, country, …), stacked by provider family."""
    totals = df.groupby("value")["n"].sum().sort_values(ascending=False)
    keep = list(totals.index[:top])
    bars = [
        {
            "type": "bar",
            "y": [_label(v, what) for v in part["value"]],
            "x": part["n"],
            "orientation": "h",
            "name": humanise(fam),
            "marker": {"color": _colour(fam)},
            "showlegend": True,
            "hovertemplate": "%{y}: %{x}<extra>" + humanise(fam) + "</extra>",
        }
        for fam in _in_order(df["provider_family"], load_package().families)
        for part in [df[(df["provider_family"] == fam) & df["value"].isin(keep)]]
    ]
    lead = f"{_label(totals.index[0], what)} leads with {_incidents(int(totals.iloc[0]))}" if len(totals) else "No data"
    shown = f" (top {top} of {len(totals)})" if len(totals) > top else ""
    return figure(
        bars,
        f"By {what}: {lead}",
        f"Stacked by provider family{shown}; {filter_words}.",
        max(300, 28 * min(top, len(totals)) + 100),
        summary=_dimension_summary(totals, what),
        barmode="stack",
        legend={**LEGEND_ABOVE, "traceorder": "normal"},  # left to right, as stacked
        xaxis={
            "title": {"text": "Incidents (an incident can count under several values)"},
            **_count_ticks(totals.iloc[0] if len(totals) else 0),
        },
        yaxis={
            "categoryorder": "array",
            "categoryarray": [_label(v, what) for v in keep][::-1],
            "title": {"text": what[0].upper() + what[1:]},
        },
    )


def _dimension_summary(totals: pd.Series, what: str) -> str:
    if totals.empty:
        return f"No {what} is recorded for the incidents in view."
    (lead, k), *rest = [(_label(v, what), int(n)) for v, n in totals.iloc[:3].items()]
    after = ", followed by " + " and ".join(f"{v} ({n})" for v, n in rest) if rest else ""
    count = len(totals)
    plural = what if count == 1 else "countries" if what == "country" else f"{what}s"
    return (
        f"{lead} leads with {_incidents(k)}{after}. {count} {plural} {'is' if count == 1 else 'are'} in view; "
        "an incident can count under several."
    )


def _label(value: str, what: str) -> str:
    if what == "US state":
        return value
    return humanise(value) if what != "country" or value in ("ZZ", "EU") else value


def _colour(code: str) -> str:
    return load_package().colour(code)


def _in_order(present: pd.Series, vocabulary: dict[str, str]) -> list[str]:
    """The codes present, in vocabulary order, then any code the vocabulary lacks (drawn in the
    neutral colour, never dropped: the title counts them)."""
    seen = [str(c) for c in present.dropna().unique()]
    return [c for c in vocabulary if c in seen] + sorted(c for c in seen if c not in vocabulary)


def alt_text(fig: go.Figure) -> str:
    """The finding of a chart in one or two sentences (set by `figure`), for the text under the
    chart and screen readers; every value is in the chart's table view."""
    return fig.layout.meta["summary"]


# A marker's two-digit number is about 5% as wide as the policy timeline's plot on a 1024 px
# screen (about 330 px for the plot): markers closer than that share of the axis's time span take
# different heights. A fixed 120 days let "11" and "12" run together at 1280 px ("1112").
LABEL_SHARE = 0.05


def marker_lanes(dates: list, min_gap_days: float) -> list[int]:
    """A lane per marker so that no two markers closer than `min_gap_days` share a height."""
    lanes: list[int] = []
    last: dict[int, pd.Timestamp] = {}
    for d in (pd.Timestamp(x) for x in dates):
        lane = next(i for i in range(len(dates) + 1) if i not in last or (d - last[i]).days >= min_gap_days)
        last[lane] = d
        lanes.append(lane)
    return lanes


def policy_timeline(quarters: pd.DataFrame, actions: pd.DataFrame, filter_words: str) -> go.Figure:
    """Incidents per quarter by provider family, with numbered markers for government actions,
    each on its own lane so that none overlaps another. Incidents with no one quarter (a null
    quarter) are counted in n and named in the caption, not drawn in a guessed quarter."""
    n = int(quarters["n"].sum())
    unplaced = int(quarters.loc[quarters["quarter"].isna(), "n"].sum())
    quarters = quarters.dropna(subset=["quarter"])
    traces = [
        {
            "type": "bar",
            "x": part["quarter"],
            "y": part["n"],
            "name": humanise(fam),
            "marker": {"color": _colour(fam)},
            "showlegend": True,
            "hovertemplate": "%{x|%Y Q%q}: %{y}<extra>" + humanise(fam) + "</extra>",
        }
        for fam in _in_order(quarters["provider_family"], load_package().families)
        for part in [quarters[quarters["provider_family"] == fam]]
    ]
    top = int(quarters.groupby("quarter")["n"].sum().max()) if len(quarters) else 1
    drawn = pd.to_datetime(pd.concat([quarters["quarter"], actions["date"]]))
    span = (drawn.max() - drawn.min()).days + 92 if len(drawn) else 365  # a quarter's bar is 92 days
    lanes = marker_lanes(list(actions["date"]), LABEL_SHARE * span)
    step = max(1.0, top * 0.16)  # room for the number above each marker
    traces.append(
        {
            "type": "scatter",
            "x": actions["date"],
            "y": [top + step * (1 + lane) for lane in lanes],
            "mode": "markers+text",
            "name": "Government action",
            "marker": {"symbol": "diamond", "size": 11, "color": "#222"},
            "text": [str(i + 1) for i in range(len(actions))],
            "textposition": "top center",  # clear of the next marker
            "customdata": [
                [t, ", ".join(j), humanise(k), w[:220], date_as_known(d, p)]  # a year-dated action is not "01 Jan"
                for t, j, k, w, d, p in zip(
                    actions["title"],
                    actions["jurisdictions"],
                    actions["kind"],
                    actions["what_it_does"],
                    actions["date"],
                    actions["date_precision"],
                )
            ],
            "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]} · %{customdata[4]}"
            "<br>%{customdata[3]}<extra></extra>",
        }
    )
    acts = "1 government action" if len(actions) == 1 else f"{len(actions)} government actions"
    title = f"{_incidents(n)} by quarter, with {acts} on MSPs and IT providers"
    return figure(
        traces,
        title,
        f"n = {n:,}{f' ({unplaced:,} not drawn: no single quarter)' if unplaced else ''}; {filter_words}. "
        "Numbers on markers match the table below.",
        420,
        summary=_policy_summary(quarters, actions, unplaced),
        barmode="stack",
        xaxis={"title": {"text": "Quarter of attack (markers: date of action)"}},
        yaxis={
            "title": {"text": "Incidents per quarter"},
            "range": [0, top + step * (max(lanes, default=0) + 2.5)],
        },
    )


def _policy_summary(quarters: pd.DataFrame, actions: pd.DataFrame, unplaced: int) -> str:
    """The drawn quarters' range and peak; incidents with no single quarter (dated to a year, or to
    a week across two quarters) are counted there too, as not drawn."""
    totals = quarters.groupby("quarter")["n"].sum()
    if totals.empty:
        first = (
            f"{_incidents(unplaced)} in view, none dated to a single quarter, so no bar is drawn."
            if unplaced
            else "No incident is in view."
        )
    else:
        peaks, k = _tops(totals)
        more = f" ({unplaced:,} more, with no single quarter, not drawn)" if unplaced else ""
        first = (
            f"{_incidents(int(totals.sum()))} from {quarter(totals.index.min())} to "
            f"{quarter(totals.index.max())}{more}, {_peak([quarter(q) for q in peaks], k, 'quarter')}."
        )
    if actions.empty:
        return first + " No government action matches the jurisdiction and kind chosen."
    years = pd.to_datetime(actions["date"]).dt.year
    return first + (
        f" {len(actions)} government actions are marked, from {years.min()} to {years.max()}; "
        "the counts around them describe, they do not show an effect."
    )


def robustness(items: list[Reading], title: str, filter_words: str) -> go.Figure:
    """Dot-and-interval: the share of labelled-MSP incidents whose provider was an MSP, and a
    break/fix shop, under each defensible reading; the published reading on top."""
    labels = [f"{r.label} (n = {r.shares['msp'].n})" for r in items]
    dots = [
        {
            "type": "scatter",
            "x": [s.share for s in shares],
            "y": labels,
            "mode": "markers",
            "name": name,
            "orientation": "h",  # with scattermode "group": the two measures side by side in each row
            "marker": {"size": 10, "color": _colour(measure)},
            "cliponaxis": False,  # a share of 0% is a whole dot on the axis
            "error_x": {
                "type": "data",
                "symmetric": False,
                "thickness": 1.4,
                "array": [(s.high or 0) - (s.share or 0) for s in shares],  # no base: no point, no bar
                "arrayminus": [(s.share or 0) - (s.low or 0) for s in shares],
            },
            "customdata": [[s.k, s.n] for s in shares],
            "hovertemplate": "%{y}: %{customdata[0]} of %{customdata[1]} (%{x:.0%})<extra>" + name + "</extra>",
        }
        for measure, name in (("msp", "Provider assessed as an MSP"), ("break_fix", "Provider a break/fix shop"))
        for shares in [[r.shares[measure] for r in items]]
    ]
    return figure(
        dots,
        title,
        f"Each row recomputes the shares under one reading; {filter_words}.",
        60 + 46 * len(items),
        summary=narrative.robustness_sentence(items),
        xaxis={"tickformat": ".0%", "range": [0, 1.02], "title": {"text": "Share of incidents labelled MSP (95% CI)"}},
        yaxis={"autorange": "reversed"},
        scattermode="group",  # equal shares (0% and 0%) would hide one dot and its interval under the other
        scattergap=0.45,
        legend=LEGEND_BELOW,
    )
