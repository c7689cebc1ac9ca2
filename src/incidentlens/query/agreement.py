"""Agreement between the published coding and the blind second coding (codebook rules A1, A2).

Cohen's kappa and its asymptotic 95% interval come from statsmodels rather than a hand-written
formula; the interval is clipped to kappa's range [-1, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from incidentlens.data.database import Database


@dataclass(frozen=True)
class Agreement:
    """How often two coders gave the same provider type, and kappa beyond chance."""

    n: int
    agreed: int
    kappa: float | None
    low: float | None
    high: float | None
    resolved_by: dict[str, int]  # resolving rule -> disagreements it settled

    @property
    def disagreements(self) -> int:
        return self.n - self.agreed

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "disagreements": self.disagreements,
            "method": "Cohen's kappa, asymptotic 95% interval (statsmodels), clipped to [-1, 1]",
        }

    def sentence(self) -> str:
        if not self.n or self.kappa is None:
            return "No second coding is recorded for this dataset."
        return (
            f"A second coder, blind to the published coding, agreed on the provider type for "
            f"{self.agreed} of {self.n} incidents (Cohen's kappa {self.kappa:.2f}, 95% CI "
            f"{self.low:.2f}–{self.high:.2f}); each of the {self.disagreements} disagreements was "
            "resolved by a codebook rule."
        )


def kappa(first: list[str], second: list[str]) -> tuple[float, float, float] | None:
    """Cohen's kappa of two codings of the same items, with its 95% interval; None when undefined
    (no items, or both coders used one and the same category throughout)."""
    cats = sorted(set(first) | set(second))
    if not first or len(cats) < 2:
        return None
    idx = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for a, b in zip(first, second, strict=True):
        table[idx[a], idx[b]] += 1
    res = cohens_kappa(table)
    return float(res.kappa), max(-1.0, float(res.kappa_low)), min(1.0, float(res.kappa_upp))


def agreement(db: Database) -> Agreement:
    """Agreement over every incident with a second coding (the whole dataset, unfiltered)."""
    if not db.has_table("coding_agreement"):
        return Agreement(0, 0, None, None, None, {})
    df = db.query("SELECT coder1_type, coder2_type, resolution_rule FROM coding_agreement")
    k = kappa(list(df["coder1_type"]), list(df["coder2_type"]))
    differ = df[df["coder1_type"] != df["coder2_type"]]
    resolved = {str(r): int(n) for r, n in differ["resolution_rule"].value_counts().sort_index().items()}
    value, low, high = k or (None, None, None)
    return Agreement(len(df), int((df["coder1_type"] == df["coder2_type"]).sum()), value, low, high, resolved)


def disagreements(db: Database) -> pd.DataFrame:
    """Every incident the two coders typed differently, with the rule that resolved it."""
    if not db.has_table("coding_agreement"):
        return pd.DataFrame(columns=["incident_id", "published", "second_coder", "rule", "resolution"])
    return db.query(
        "SELECT incident_id, coder1_type AS published, coder2_type AS second_coder, "
        "resolution_rule AS rule, resolution FROM coding_agreement WHERE agree = 'no' "
        "ORDER BY incident_id"
    )
