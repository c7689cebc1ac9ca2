"""The break/fix question in numbers: of the incidents labelled MSP, how many providers were
assessed as MSPs, as break/fix shops or as transitional MSPs, how often the relationship with the
victims is documented, and how far those shares move under each defensible reading of the data.

One query fetches the incidents in view with every column a reading needs; the readings are pure
functions over that frame, so the Overview, the brief and `incidentlens stats` print the same
numbers from the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from incidentlens.data.database import Database
from incidentlens.query.filters import Filters
from incidentlens.query.stats import Share, shares

MEASURES = ("msp", "break_fix")  # the two shares the question compares


@dataclass(frozen=True)
class Answer:
    """Labelled MSP vs assessed MSP vs assessed break/fix (and transitional), with intervals."""

    n: int
    labelled: Share  # of n
    msp: Share  # of the labelled
    break_fix: Share
    transitional: Share  # MSPs coded transitional (rule T13), of the labelled
    documented: Share  # relationship documented (rule R1), of the labelled
    filter_words: str
    version: str

    def as_dict(self) -> dict:
        return {
            "filter": self.filter_words,
            "dataset_version": self.version,
            "n_incidents": self.n,
            **{
                name: getattr(self, name).as_dict()
                for name in ("labelled", "msp", "break_fix", "transitional", "documented")
            },
        }


@dataclass(frozen=True)
class Reading:
    """One defensible reading of the data and the headline shares it gives."""

    code: str
    label: str
    explanation: str
    shares: dict[str, Share]  # measure -> share among incidents labelled MSP under this reading

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "explanation": self.explanation,
            **{m: s.as_dict() for m, s in self.shares.items()},
        }


def frame(db: Database, f: Filters) -> pd.DataFrame:
    """The incidents in view, with the columns every reading needs (one row per incident)."""
    where, params = f.where()
    has_second = db.has_table("coding_agreement")
    second = "LEFT JOIN coding_agreement c ON c.incident_id = i.incident_id" if has_second else ""
    return db.query(
        f"""WITH msp AS (SELECT incident_id, bool_or(NOT repost) AS in_original FROM sources
                         WHERE label_term = 'msp' GROUP BY incident_id)
            SELECT i.incident_id, i.provider_type, i.provider_maturity, i.type_confidence,
                   nullif(i.alt_provider_type, '') AS alt_provider_type, i.service_relationship,
                   i.labelled_msp, {"c.coder2_type" if has_second else "NULL"} AS second_type,
                   coalesce(msp.in_original, false) AS labelled_originals,
                   msp.incident_id IS NOT NULL AS labelled_any
            FROM incidents i LEFT JOIN msp ON msp.incident_id = i.incident_id {second}
            WHERE {where}""",
        params,
    )


def answer(df: pd.DataFrame, filter_words: str, version: str) -> Answer:
    """The published reading, spelled out for the Overview's opening sentence."""
    lab = df[df["labelled_msp"]]
    k = len(lab)
    msp = lab["provider_type"] == "msp"
    labelled, of_msp, of_break_fix, transitional, documented = shares(
        [
            (k, len(df)),
            (int(msp.sum()), k),
            (int((lab["provider_type"] == "break_fix").sum()), k),
            (int((msp & (lab["provider_maturity"] == "transitional")).sum()), k),
            (int((lab["service_relationship"] != "not_documented").sum()), k),
        ]
    )
    return Answer(
        n=len(df),
        labelled=labelled,
        msp=of_msp,
        break_fix=of_break_fix,
        transitional=transitional,
        documented=documented,
        filter_words=filter_words,
        version=version,
    )


Columns = dict[str, np.ndarray]  # the frame's columns as plain arrays: a reading is a few array operations


def _columns(df: pd.DataFrame) -> Columns:
    return {
        c: df[c].to_numpy(dtype=bool) if c.startswith("labelled") else df[c].to_numpy(dtype=object, na_value=None)
        for c in df.columns
    }


def _with(
    c: Columns, keep: np.ndarray | None = None, types: np.ndarray | None = None, labelled: str = "labelled_msp"
) -> np.ndarray:
    """The assessed types of the incidents labelled MSP under one reading: which incidents count
    (`keep`), which type each has (`types`), which label column says 'labelled'."""
    counted = c[labelled] if keep is None else c[labelled] & keep
    return (c["provider_type"] if types is None else types)[counted]


def _either(first: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
    return np.where(pd.notna(first), first, otherwise)


Rule = Callable[[Columns], np.ndarray]

READINGS: tuple[tuple[str, str, str, Rule], ...] = (
    ("published", "Published coding", "Every incident as coded in this release.", _with),
    (
        "high_confidence",
        "High-confidence codings only",
        "Only incidents whose type rests on dated, direct evidence (rule C1).",
        lambda d: _with(d, keep=d["type_confidence"] == "high"),
    ),
    (
        "alternative",
        "Alternative codings",
        "Where a rule is contestable, the recorded alternative type replaces the published one.",
        lambda d: _with(d, types=_either(d["alt_provider_type"], d["provider_type"])),
    ),
    (
        "second_coder",
        "Second coder's coding",
        "The blind second coder's type (rule A1) replaces the published one.",
        lambda d: _with(d, keep=pd.notna(d["second_type"]), types=d["second_type"]),
    ),
    (
        "transitional_as_break_fix",
        "Transitional MSPs counted as break/fix",
        "Providers coded as transitional MSPs (rule T13) count as break/fix shops.",
        lambda d: _with(d, types=np.where(d["provider_maturity"] == "transitional", "break_fix", d["provider_type"])),
    ),
    (
        "unknown_excluded",
        "Unknown types left out",
        "Incidents whose provider type could not be established are dropped from the base.",
        lambda d: _with(d, keep=d["provider_type"] != "unknown"),
    ),
    (
        "originals_only",
        "Reposts ignored",
        "Only original publications count as labels; an incident labelled MSP only in a syndicated "
        "copy is not counted as labelled.",
        lambda d: _with(d, labelled="labelled_originals"),
    ),
    (
        "every_copy",
        "Every copy counted",
        "Every source row counts, reposts included, however many copies of one story there are.",
        lambda d: _with(d, labelled="labelled_any"),
    ),
)


def readings(df: pd.DataFrame) -> list[Reading]:
    """The headline shares under every defensible reading, the published one first (their
    intervals in one call)."""
    columns = _columns(df)
    chosen = [rule(columns) for *_, rule in READINGS]
    got = iter(shares([(int((types == m).sum()), len(types)) for types in chosen for m in MEASURES]))
    return [Reading(code, label, why, {m: next(got) for m in MEASURES}) for code, label, why, _ in READINGS]


def span(items: list[Reading], measure: str) -> tuple[float, float] | None:
    """Lowest and highest point estimate of `measure` across the readings that have a base."""
    values = [s for r in items if (s := r.shares[measure].share) is not None]
    return (min(values), max(values)) if values else None


def of(db: Database, f: Filters) -> tuple[Answer, list[Reading]]:
    """Both views of one filter from a single query."""
    df = frame(db, f)
    return answer(df, f.describe(db.package), db.version), readings(df)
