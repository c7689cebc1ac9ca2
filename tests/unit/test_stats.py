"""Wilson and Newcombe intervals, checked against the closed formulas and published values.

The expected numbers are computed here from the formulas (Wilson 1927; Newcombe 1998, method 10)
with the normal quantile from the standard library, never from statsmodels, which the code uses;
only the vectorised `shares` is compared with statsmodels' own one-share call, float for float.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentlens.query.stats import SMALL_SAMPLE, difference, share, shares

Z = NormalDist().inv_cdf(0.975)


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    denom = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 from the two Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


# ---- Wilson ----------------------------------------------------------------------------------

# Rounded to 4 places as published (e.g. Newcombe 1998, Stat Med 17:857, Table I; Brown, Cai &
# DasGupta 2001), and recomputed from the formula above.
PUBLISHED_WILSON = [
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (1, 20, 0.0089, 0.2361),
    (0, 20, 0.0, 0.1611),
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), PUBLISHED_WILSON)
def test_wilson_matches_published_values(k, n, low, high):
    s = share(k, n)
    assert (s.k, s.n) == (k, n)
    assert s.share == pytest.approx(k / n)
    assert s.low == pytest.approx(low, abs=5e-5)
    assert s.high == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("k", "n", "low", "high"), PUBLISHED_WILSON)
def test_published_values_agree_with_the_formula(k, n, low, high):
    # Guards the table above against typing mistakes.
    assert wilson(k, n) == pytest.approx((low, high), abs=5e-5)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_equals_closed_formula_and_contains_the_share(kn):
    k, n = kn
    s = share(k, n)
    lo, hi = wilson(k, n)
    assert s.low == pytest.approx(lo, abs=1e-9)
    assert s.high == pytest.approx(hi, abs=1e-9)
    eps = 1e-12  # statsmodels' floating point; exact ends are checked below
    assert 0.0 <= s.low <= s.share + eps and s.share - eps <= s.high <= 1.0


def test_interval_ends_are_exact_at_zero_and_all():
    assert share(0, 187).low == 0.0
    assert share(241, 241).high == 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), max_size=40))
def test_many_shares_at_once_are_exactly_one_call_per_share(pairs):
    """`shares` makes one vectorised statsmodels call; every bound must be the very float that a
    call for that share alone gives, and empty bases must stay empty wherever they fall."""
    from statsmodels.stats.proportion import proportion_confint

    got = shares(pairs)
    assert [(s.k, s.n) for s in got] == pairs
    for s, (k, n) in zip(got, pairs):
        if n == 0:
            assert (s.share, s.low, s.high) == (None, None, None)
            continue
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert s.share == k / n
        assert s.low == (0.0 if k == 0 else max(0.0, float(low)))
        assert s.high == (1.0 if k == n else min(1.0, float(high)))


def test_many_shares_reject_an_impossible_pair_anywhere():
    with pytest.raises(ValueError, match="k=7, n=5"):
        shares([(1, 2), (7, 5), (0, 0)])


def test_zero_of_zero_has_no_share():
    s = share(0, 0)
    assert (s.share, s.low, s.high) == (None, None, None)
    assert s.percent() == "n/a"
    assert s.small_sample


@pytest.mark.parametrize(("k", "n"), [(11, 10), (1, 0), (-1, 10), (-1, -1)])
def test_impossible_counts_raise(k, n):
    with pytest.raises(ValueError):
        share(k, n)


@pytest.mark.parametrize(("n", "small"), [(0, True), (1, True), (9, True), (10, False), (500, False)])
def test_small_sample_below_ten(n, small):
    assert SMALL_SAMPLE == 10
    assert share(0, n).small_sample is small
    assert share(0, n).as_dict()["small_sample"] is small


def test_percent_wording():
    lo, hi = wilson(5, 10)
    assert share(5, 10).percent() == f"50% (95% CI {lo * 100:.0f}–{hi * 100:.0f}%)"
    assert share(5, 10).percent() == "50% (95% CI 24–76%)"
    assert share(1, 3).percent(1).startswith("33.3% (95% CI ")


def test_as_dict_carries_every_number():
    d = share(1, 20).as_dict()
    assert set(d) == {"k", "n", "share", "low", "high", "small_sample"}
    assert (d["k"], d["n"], d["share"]) == (1, 20, 0.05)


# ---- Newcombe --------------------------------------------------------------------------------

# Newcombe 1998 (Stat Med 17:873), Table II, method 10.
PUBLISHED_NEWCOMBE = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0),
    (10, 10, 0, 10, 0.6075, 1.0),
]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "low", "high"), PUBLISHED_NEWCOMBE)
def test_newcombe_matches_published_values(k1, n1, k2, n2, low, high):
    d = difference(k1, n1, k2, n2)
    assert d.diff == pytest.approx(k1 / n1 - k2 / n2)
    assert d.low == pytest.approx(low, abs=5e-5)
    assert d.high == pytest.approx(high, abs=5e-5)
    assert newcombe(k1, n1, k2, n2) == pytest.approx((low, high), abs=5e-5)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_newcombe_equals_the_hybrid_score_formula(a, b):
    d = difference(*a, *b)
    lo, hi = newcombe(*a, *b)
    assert d.low == pytest.approx(lo, abs=1e-9)
    assert d.high == pytest.approx(hi, abs=1e-9)
    eps = 1e-12
    assert -1.0 - eps <= d.low <= d.diff <= d.high <= 1.0 + eps
    # The parts are the two Wilson shares.
    assert d.a == share(*a) and d.b == share(*b)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(0, 0, 1, 2), (1, 2, 0, 0), (0, 0, 0, 0)])
def test_difference_with_an_empty_group_has_no_interval(k1, n1, k2, n2):
    d = difference(k1, n1, k2, n2)
    assert (d.diff, d.low, d.high) == (None, None, None)
    assert d.small_sample


def test_difference_small_sample_if_either_group_is_small():
    assert difference(5, 9, 50, 100).small_sample
    assert difference(50, 100, 5, 9).small_sample
    assert not difference(5, 10, 50, 100).small_sample


def test_difference_rejects_impossible_counts():
    with pytest.raises(ValueError):
        difference(11, 10, 1, 2)


def test_difference_as_dict():
    d = difference(56, 70, 48, 80).as_dict()
    assert d["a"]["k"] == 56 and d["b"]["n"] == 80
    assert d["diff"] == pytest.approx(0.2)
    assert d["small_sample"] is False
