"""Shares with 95% Wilson score intervals and differences with Newcombe intervals.

The interval maths comes from statsmodels, not from hand-written formulas, so the numbers a
testimony writer cites are the ones a reviewer can reproduce.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
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
        return f"{self.share * 100:.{digits}f}% (95% CI {interval(self.low, self.high, digits)})"


def share(k: int, n: int) -> Share:
    return shares([(k, n)])[0]


def shares(pairs: Sequence[tuple[int, int]]) -> list[Share]:
    """Many (k, n) at once, in one statsmodels call: the interval's normal quantile is then worked
    out once, not once per share (about 0.25 ms each, and an Overview shows some sixty). The
    bounds are the same floats as one call per share (tested)."""
    ks = np.array([int(k) for k, _ in pairs], dtype=np.int64)
    ns = np.array([int(n) for _, n in pairs], dtype=np.int64)
    bad = (ks < 0) | (ks > ns)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"need 0 <= k <= n, got k={ks[i]}, n={ns[i]}")
    based = ns > 0
    lows, highs = np.zeros(len(ns)), np.ones(len(ns))
    if based.any():
        lows[based], highs[based] = proportion_confint(ks[based], ns[based], alpha=ALPHA, method="wilson")
    # The Wilson bounds are exactly 0 at k=0 and 1 at k=n; floating point says 1e-18 and 0.9999….
    lows = np.where(ks == 0, 0.0, np.maximum(0.0, lows))
    highs = np.where(ks == ns, 1.0, np.minimum(1.0, highs))
    return [
        Share(int(k), int(n), int(k) / int(n), float(low), float(high)) if n else Share(0, 0, None, None, None)
        for k, n, low, high in zip(ks, ns, lows, highs)
    ]


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


def interval(low: float | None, high: float | None, digits: int = 0) -> str:
    """'16–45%': every page, table, image and brief writes a share's 95% interval this way, so that
    a figure quoted from any of them reads the same; 'n/a' without bounds."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "n/a"
    return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"


def signed_points(x: float) -> str:
    """A difference of shares in whole percentage points: '+26', '-3', or '0' for anything that
    rounds to zero (format's '+.0f' wrote '-0' for -0.3 points, as in '95% CI -0 to +19')."""
    points = round(x * 100)
    return f"{points:+d}" if points else "0"


def difference(k1: int, n1: int, k2: int, n2: int) -> Difference:
    a, b = share(k1, n1), share(k2, n2)
    if n1 == 0 or n2 == 0:
        return Difference(a, b, None, None, None)
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=ALPHA)
    diff = k1 / n1 - k2 / n2
    if math.isnan(low):
        return Difference(a, b, diff, None, None)
    return Difference(a, b, diff, max(-1.0, float(low)), min(1.0, float(high)))
