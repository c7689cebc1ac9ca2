"""The break/fix answer, its robustness readings and the coding agreement, against hand counts of
the fixture (tests/fixtures/data)."""

from __future__ import annotations

import pytest

from incidentlens.present import narrative
from incidentlens.query import agreement, answer
from incidentlens.query.filters import Filters

# Fixture, by hand: six incidents are labelled MSP (town, dental, nursing, hosting via a repost,
# RMM vendor, outsourcer via a minister). Of those, one provider is an MSP (town), one a break/fix
# shop (nursing), none transitional; relationships are documented for town, dental, nursing and the
# RMM vendor (4). Hosting's only MSP label is a repost, so "reposts ignored" leaves five labelled.


def test_answer_matches_a_hand_count(db):
    a, _ = answer.of(db, Filters())
    assert (a.n, a.labelled.k) == (9, 6)
    assert (a.msp.k, a.msp.n, a.break_fix.k, a.transitional.k, a.documented.k) == (1, 6, 1, 0, 4)


def test_zero_counts_are_kept_in_words(db):
    a, _ = answer.of(db, Filters(ptype=("msp",)))
    text = narrative.answer_sentence(a)
    assert a.break_fix.k == 0 and "and 0 (0%, 95% CI 0–" in text


HAND = {  # reading -> (MSP k, n, break/fix k)
    "published": (1, 6, 1),
    "high_confidence": (1, 4, 0),  # town, hosting, RMM vendor, outsourcer are high
    "alternative": (3, 6, 0),  # nursing -> msp (T13), outsourcer -> msp (T2); hosting -> vendor
    "second_coder": (3, 6, 0),  # the second coder read nursing and the outsourcer as MSPs
    "transitional_as_break_fix": (1, 6, 1),  # no transitional MSP in the fixture
    "unknown_excluded": (1, 6, 1),  # the unknown incident is not labelled
    "originals_only": (1, 5, 1),  # hosting drops out
    "every_copy": (1, 6, 1),
}


def test_each_reading_matches_a_hand_count(db):
    _, items = answer.of(db, Filters())
    got = {r.code: (r.shares["msp"].k, r.shares["msp"].n, r.shares["break_fix"].k) for r in items}
    assert got == HAND
    assert items[0].code == "published"


def test_the_range_sentence_spans_every_reading(db):
    _, items = answer.of(db, Filters())
    assert answer.span(items, "msp") == (pytest.approx(1 / 6), pytest.approx(3 / 6))
    assert narrative.robustness_sentence(items) == (
        "Under every one of the 8 readings of the data, between 17% and 50% of incidents labelled MSP had a "
        "provider assessed as an MSP, and between 0% and 20% a break/fix shop."
    )


def test_kappa_matches_a_hand_computation(db):
    # 7 of 9 agree; chance agreement from the marginals is 11/81, so kappa = (63-11)/(81-11) = 52/70.
    a = agreement.agreement(db)
    assert (a.n, a.agreed, a.disagreements) == (9, 7, 2)
    assert a.kappa == pytest.approx(52 / 70)
    assert a.low < a.kappa < a.high <= 1.0
    assert a.resolved_by == {"A2": 1, "T6": 1}


def test_kappa_is_undefined_without_variation():
    assert agreement.kappa([], []) is None
    assert agreement.kappa(["msp", "msp"], ["msp", "msp"]) is None
    assert agreement.kappa(["msp", "unknown"], ["msp", "unknown"])[0] == pytest.approx(1.0)


def test_one_labelled_incident_reads_in_the_singular(db):
    a, _ = answer.of(db, Filters(q="fixture: towns"))
    text = narrative.answer_sentence(a)
    assert (
        a.n == 1 and text.startswith("The one incident in view was called an MSP attack") and "Of that one, 1 (" in text
    )
    assert "(not a transitional firm" in text and "none of them" not in text
    assert text.endswith("The provider's service relationship with the victims is documented.")
    assert "1 of the 1" not in text


@pytest.mark.parametrize(
    ("f", "start"),
    [
        # healthcare: two incidents, the nursing home's labelled MSP and the other not
        (Filters(sector=("healthcare",)), "Of 2 incidents in view, 1 was called an MSP attack"),
        (Filters(label=("not_msp",)), "Of 3 incidents in view, none was called an MSP attack by any source, so"),
        (Filters(), "Of 9 incidents in view, 6 were called an MSP attack"),
    ],
    ids=["one of two", "none of three", "six of nine"],
)
def test_the_answer_agrees_in_number(db, f, start):
    a, _ = answer.of(db, f)
    text = narrative.answer_sentence(a)
    assert text.startswith(start), text
    assert " 0 were " not in text and " 1 were " not in text and "Of those 1," not in text


def test_one_unlabelled_incident_says_so_plainly(db):
    a, _ = answer.of(db, Filters(q="Fixture: pathology supplier"))  # labelled MSP by no source
    assert (a.n, a.labelled.k) == (1, 0)
    assert narrative.answer_sentence(a) == (
        "The one incident in view was not called an MSP attack by any source, so there is nothing to "
        "compare with what its provider actually was."
    )
