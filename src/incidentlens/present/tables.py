"""Every table a page shows, shaped once: plain column names, codes as their labels, counts as
ranges and shares with their intervals. Raw codes and column names stay in the downloads and
the SQL console; these frames are for reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from incidentlens.data.schema import Package
from incidentlens.present.format import (
    EMPTY,
    date,
    date_as_known,
    field_name,
    field_value,
    label,
    labels,
    pct,
    provider_name,
    quarter,
    share_cell,
)
from incidentlens.query.answer import Reading
from incidentlens.query.queries import Headline
from incidentlens.query.stats import SMALL_SAMPLE, Share, interval

CALLED, WAS = "What sources called it", "What it was"
SEP = "\x1f"  # joins a list's codes into one key (no code holds it)


def labelled_by_type(h: Headline) -> pd.DataFrame:
    """The Overview key chart as a table: per assessed type, its share of the labelled-MSP
    incidents, written as the page writes it ("28%", "16–45%") rather than as 0.2813."""
    return pd.DataFrame(
        [
            {
                "Assessed as": t.label,
                "Incidents": t.share.k,
                "Of labelled MSP": t.share.n,
                **_share_cells(t.share),
                f"Small sample (under {SMALL_SAMPLE})": "yes" if t.share.small_sample else "no",
            }
            for t in h.labelled_by_type
        ]
    )


def readings(items: list[Reading]) -> pd.DataFrame:
    """The robustness chart as a table: one row per reading and measure, the explanation last
    (it is the long column, and a laptop screen cuts the last one)."""
    return pd.DataFrame(
        [
            {
                "Reading": r.label,
                "Provider was": "an MSP" if m == "msp" else "a break/fix shop",
                "Incidents": s.k,
                "Of labelled MSP": s.n,
                **_share_cells(s),
                "What the reading does": r.explanation,
            }
            for r in items
            for m, s in r.shares.items()
        ]
    )


def _share_cells(s: Share) -> dict[str, str]:
    return {"Share": pct(s.share), "95% CI": _interval(s.share, s.low, s.high)}


def _ci(df: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [_interval(s, lo, hi) for s, lo, hi in zip(df["share"], df["low"], df["high"])], index=df.index, dtype=object
    )


def _interval(share: float | None, low: float | None, high: float | None) -> str:
    """'16–45%', or a dash for an empty base (no share, no bounds)."""
    return EMPTY if share is None or pd.isna(share) else interval(low, high)


def _once_each(values: pd.Series, words: Callable[[Any], str]) -> pd.Series:
    """`words` of every value (a code, or a tuple of codes for a list column), worked out once per
    distinct value: over 100k incidents a few hundred code lists repeat, and labelling row by row
    took the Explorer 1.2–2.2 s a run. Arrow joins each list and finds the distinct ones."""
    arrow = pa.array(values)
    if isinstance(arrow, pa.ChunkedArray):  # an Arrow-backed column
        arrow = arrow.combine_chunks()
    listed = pa.types.is_list(arrow.type) or pa.types.is_large_list(arrow.type)
    keys = pc.binary_join(arrow, SEP) if listed else arrow.cast(pa.large_string())
    coded = pc.dictionary_encode(keys)
    distinct = coded.dictionary.to_pylist()
    if coded.indices.null_count:  # a missing list reads as an empty one
        distinct.append("" if listed else None)
    said = [words(tuple(k.split(SEP)) if k else ()) if listed else words(k) for k in distinct]
    where = coded.indices.fill_null(len(coded.dictionary)).to_numpy(zero_copy_only=False)
    return pd.Series(np.array(said, dtype=object)[where], index=values.index, dtype="str")


def explorer(df: pd.DataFrame, package: Package, record_url: str) -> pd.DataFrame:
    """The Explorer's rows: what it was called and what it was first, then the year and counts, then
    the record link and title. The counts come before the title so that a narrow window cuts a
    title, which is left-aligned and visibly cut, rather than a count: a right-aligned number cut
    at the table's edge showed as a blank cell beside the "unknown" of rows without one.
    Labels are listed in vocabulary order, so 'MSP' comes first and 'No name given' last."""
    order = list(package.vocabulary("sources", "label_term"))
    return pd.DataFrame(
        {
            CALLED: _once_each(df["label_terms"], lambda v: labels(package, sorted(v, key=order.index))),
            WAS: _once_each(df["provider_type"], lambda v: label(package, v)),
            "Year": pd.to_datetime(df["attack_date"]).dt.year.astype("Int64"),
            "Victim orgs (low)": df["downstream_orgs_min"].astype("Int64"),
            "Victim orgs (high)": df["downstream_orgs_max"].astype("Int64"),
            "Record": [f"{record_url}?id={i}" for i in df["incident_id"]],
            "Incident": df["title"],
            "Sector": _once_each(df["victim_sectors"], lambda v: labels(package, v)),
            "Country": _once_each(df["countries"], lambda v: labels(package, v)),
            "Provider": df["provider_name"].map(provider_name),
            "Confidence": _once_each(df["type_confidence"], lambda v: label(package, v)),
            "Sources": df["source_count"],
        }
    )


def incident_list(df: pd.DataFrame, package: Package, record_url: str) -> pd.DataFrame:
    """Incidents to pick from when no record is open: title, year, what it was, and the link."""
    return explorer(df, package, record_url)[["Record", "Incident", "Year", WAS, CALLED]]


def record_fields(record: dict, package: Package, resource: str = "incidents") -> pd.DataFrame:
    """Every curated field of one record, named and valued in words, with what it means."""
    fields = package.fields(resource)
    return pd.DataFrame(
        {
            "Field": [field_name(fl) for fl in fields],
            "Value": [field_value(package, fl, record.get(fl.name)) for fl in fields],
            "What it records": [fl.description for fl in fields],
        }
    )


def label_timeline(sources: pd.DataFrame, package: Package) -> pd.DataFrame:
    """Dated sources in order: who called the provider what, and when."""
    dated = sources[sources["published_date"].notna()]
    return pd.DataFrame(
        {
            "Date": dated["published_date"].map(date),
            "Publisher": dated["publisher"],
            "Label used": dated["label_term"].map(lambda v: label(package, v)),
            "Words used": dated["label_text"].fillna("").replace("", EMPTY),
            "Said by": [_speaker(s, t, package) for s, t in zip(dated["speaker"], dated["speaker_type"])],
        }
    )


def _speaker(speaker: object, speaker_type: str, package: Package) -> str:
    name = str(speaker or "").strip()
    if not name or name.lower() == "own voice":
        return "the publisher itself"
    return f"{name} ({label(package, speaker_type).lower()})"


def label_flows(df: pd.DataFrame, package: Package) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Called": df["label_term"].map(lambda v: label(package, v)),
            "Was": df["provider_type"].map(lambda v: label(package, v)),
            "Incidents": df["n"],
        }
    )


def who_labels(df: pd.DataFrame, package: Package) -> pd.DataFrame:
    managed = label(package, "managed_it")
    return pd.DataFrame(
        {
            "Who said it": df["speaker_type"].map(lambda v: label(package, v)),
            "Provider": df["provider_group"].map(lambda g: managed if g == "managed_it" else f"Not {managed}"),
            "Sources saying 'MSP'": df["k"],
            "Sources": df["n"],
            "Share": df["share"].map(pct),
            "95% CI": _ci(df),
        }
    )


def by_year(df: pd.DataFrame, package: Package) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Year": df["year"],
            "Provider assessed as": df["provider_type"].map(lambda v: label(package, v)),
            "Incidents": df["n"],
        }
    )


def labelled_share_by_year(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Year": df["year"],
            "Incidents": df["n"],
            "Labelled MSP": df["k"],
            "Share": df["share"].map(pct),
            "95% CI": _ci(df),
        }
    )


def by_dimension(df: pd.DataFrame, package: Package, what: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            what.capitalize(): df["value"].map(lambda v: label(package, v)),
            "Provider family": df["provider_family"].map(lambda v: label(package, v)),
            "Incidents": df["n"],
        }
    )


def policy_actions(acts: pd.DataFrame, package: Package) -> pd.DataFrame:
    """The government actions, numbered as on the timeline's markers. Status comes before the
    title: a long title pushed it past the table's edge on a laptop screen, where it read "Pub"."""
    return pd.DataFrame(
        {
            "No.": range(1, len(acts) + 1),
            "Date": [date_as_known(d, p) for d, p in zip(acts["date"], acts["date_precision"])],
            "Where": acts["jurisdictions"].map(", ".join),
            "Kind": acts["kind"].map(lambda v: label(package, v)),
            "Status": acts["status"].map(lambda v: label(package, v)),
            "Title": acts["title"],
            "Provider types named": acts["provider_types_named"].map(lambda v: labels(package, v)),
            "Sources": acts["source_urls"].map(len),
        }
    )


def by_quarter(quarters: pd.DataFrame, package: Package) -> pd.DataFrame:
    """The Policy timeline's bars as a table, with the incidents that have no single quarter (a
    null quarter) on rows of their own, so the table adds up to the chart's n."""
    when = ["no single quarter" if pd.isna(q) else quarter(q) for q in quarters["quarter"]]
    return pd.DataFrame(
        {
            "Quarter": when,
            "Provider family": quarters["provider_family"].map(lambda v: label(package, v)),
            "Incidents": quarters["n"].astype(int),
        }
    )


def before_after(ba: pd.DataFrame, package: Package) -> pd.DataFrame:
    """Incidents per provider type in the two windows, each with its share and interval."""
    nb, na = int(ba["before"].sum()), int(ba["after"].sum())

    def side(name: str) -> list[str]:
        cols = [name, f"{name}_share", f"{name}_low", f"{name}_high"]
        return [share_cell(*row) for row in ba[cols].itertuples(index=False)]

    return pd.DataFrame(
        {
            "Provider assessed as": ba["provider_type"].map(lambda v: label(package, v)),
            f"Two years before (n={nb})": side("before"),
            f"Two years after (n={na})": side("after"),
        }
    )


def dictionary(package: Package) -> pd.DataFrame:
    """The data dictionary of every file, from datapackage.json (the single source of truth)."""
    rows = []
    for res in package.resource_names():
        for fl in package.fields(res):
            allowed = fl.enum or fl.item_enum or ()
            rows.append(
                {
                    "File": f"{res}.csv",
                    "Column": fl.name,
                    "Meaning": fl.description,
                    "Type": fl.type + (" list (;-separated)" if fl.is_list else ""),
                    "Required": "yes" if fl.required else "no",
                    "Allowed values": ", ".join(allowed),
                }
            )
    return pd.DataFrame(rows)


def vocabulary(package: Package, resource: str, name: str) -> pd.DataFrame:
    """One vocabulary: each code, its label and its definition (and family, for provider types)."""
    vocab = package.vocabulary(resource, name)
    out = pd.DataFrame(
        {"Code": list(vocab), "Label": [label(package, c) for c in vocab], "Definition": list(vocab.values())}
    )
    if name == "provider_type":
        out.insert(2, "Family", [label(package, package.type_family.get(c, "unknown")) for c in vocab])
    return out


def disagreements(df: pd.DataFrame, package: Package) -> pd.DataFrame:
    """The coders' disagreements in plain words: types by their labels, the resolving rule named."""
    rules = package.vocabulary("incidents", "type_rule")
    return pd.DataFrame(
        {
            "Incident": df["incident_id"],
            "Published type": [package.label(c) for c in df["published"]],
            "Second coder": [package.label(c) for c in df["second_coder"]],
            "Resolved by": [package.label(r) if r in rules else f"Rule {r}" for r in df["rule"]],
            "How": df["resolution"],
        }
    )
