"""Shares with 95% Wilson score intervals and differences with Newcombe intervals.

The interval maths comes from statsmodels, not from hand-written formulas, so the numbers a
testimony writer cites are the ones a reviewer can reproduce.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

SMALL_SAMPLE = 10
ALPHA = 0.05


@dataclass(frozen=True)
class Share:
    """k of n, with the share and its 95% Wilson interval (None when n is 0)."""

    k: int
    n: int
    share: float | None
    low: float | None
    high: float | None

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE

    def as_dict(self) -> dict:
        return {**asdict(self), "small_sample": self.small_sample}

    def percent(self, digits: int = 0) -> str:
        """'42% (95% CI 30–55%)', or 'n/a' for an empty base."""
        if self.share is None or self.low is None or self.high is None:
            return "n/a"
        return f"{self.share * 100:.{digits}f}% (95% CI {self.low * 100:.{digits}f}–{self.high * 100:.{digits}f}%)"


def share(k: int, n: int) -> Share:
    k, n = int(k), int(n)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Share(0, 0, None, None, None)
    low, high = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    # The Wilson bounds are exactly 0 at k=0 and 1 at k=n; floating point says 1e-18 and 0.9999….
    low = 0.0 if k == 0 else float(max(0.0, low))
    high = 1.0 if k == n else float(min(1.0, high))
    return Share(k, n, k / n, low, high)


@dataclass(frozen=True)
class Difference:
    """Share in group A minus share in group B, with Newcombe's 95% interval."""

    a: Share
    b: Share
    diff: float | None
    low: float | None
    high: float | None

    @property
    def small_sample(self) -> bool:
        return self.a.small_sample or self.b.small_sample

    def as_dict(self) -> dict:
        return {
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "diff": self.diff,
            "low": self.low,
            "high": self.high,
            "small_sample": self.small_sample,
        }


def difference(k1: int, n1: int, k2: int, n2: int) -> Difference:
    a, b = share(k1, n1), share(k2, n2)
    if n1 == 0 or n2 == 0:
        return Difference(a, b, None, None, None)
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=ALPHA)
    diff = k1 / n1 - k2 / n2
    if math.isnan(low):
        return Difference(a, b, diff, None, None)
    return Difference(a, b, diff, max(-1.0, float(low)), min(1.0, float(high)))
