"""Compare two slices of the data: the share of one provider type in each, the difference, and
Newcombe's 95% interval for it. Slices are written like URL filters (`labelled_by=government`)
and apply on top of the active filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from incidentlens.data.database import Database
from incidentlens.data.schema import Package, humanise
from incidentlens.query import queries
from incidentlens.query.filters import BY_NAME, Filters, parse
from incidentlens.query.stats import Difference, difference, signed_points

MAX_SLICE = 500
EUROPE = "AT,BE,CH,DE,DK,ES,FI,FR,GB,IE,IT,NL,NO,PL,SE"
PRESETS: dict[str, tuple[str, str]] = {
    "Labelled MSP by trade press vs by mainstream media": ("labelled_by=trade_press", "labelled_by=mainstream_media"),
    "Labelled MSP vs never labelled MSP": ("label=msp", "label=not_msp"),
    "Before vs after the Five Eyes MSP advisory (2017–2021 vs 2022–2025)": ("years=2017-2021", "years=2022-2025"),
    "US vs Europe": ("country=US", f"country={EUROPE}"),
}


@dataclass(frozen=True)
class Slice:
    text: str
    filters: Filters
    notes: tuple[str, ...]


def parse_slice(text: str, package: Package) -> Slice:
    """`labelled_by=government&years=2019-2021` -> the filters of that slice (never raises)."""
    text = (text or "")[:MAX_SLICE]
    parsed = parse(parse_qs(text, keep_blank_values=False), package)
    return Slice(text, parsed.filters, parsed.notes)


def combine(base: Filters, part: Filters) -> Filters:
    """The base filters with every key the slice sets replaced by the slice's value."""
    changes: dict = dict(part.chosen)
    if part.years:
        changes["years"] = part.years
    if part.q:
        changes["q"] = part.q
    return base.with_(**changes)


def _keys(f: Filters) -> list[str]:
    return [*(["years"] if f.years else []), *(name for name, _ in f.chosen), *(["q"] if f.q else [])]


def replaced_note(base: Filters, a: Filters, b: Filters, package: Package | None = None) -> str:
    """Which of the view's filters the groups replace ('' when none), so a reader does not take
    "2017–2021 vs 2022–2025" for slices of a view of 2019–2021."""
    own = {"A": set(_keys(a)), "B": set(_keys(b))}
    keys = [k for k in _keys(base) if k in own["A"] | own["B"]]
    if not keys:
        return ""
    names = [{"years": "years", "q": "search text"}.get(k) or BY_NAME[k].label.lower() for k in keys]
    who = [g for g in own if own[g] & set(keys)]
    if len(who) == 1:
        subject = f"Group {who[0]} sets its"
    else:
        subject = "Both groups set their" if all(set(keys) <= own[g] for g in own) else "The groups set their"
    view = Filters(
        years=base.years if "years" in keys else None,
        q=base.q if "q" in keys else "",
        **{k: v for k, v in base.chosen if k in keys},
    )
    what = " and ".join(names)
    return (
        f"{subject} own {what} in place of the view's filter ({view.describe(package).removeprefix('incidents ')}); "
        "every other filter of the view still applies."
    )


@dataclass(frozen=True)
class Comparison:
    code: str
    a_words: str
    b_words: str
    result: Difference
    shared: int = 0  # incidents in both groups ("US vs Europe": victims on both sides)

    def sentence(self) -> str:
        a, b, r = self.result.a, self.result.b, self.result
        what = humanise(self.code)
        if r.diff is None or r.low is None or r.high is None:
            return f"Cannot compare: one of the groups has no incidents ({a.n} vs {b.n})."
        flag = " Small sample: read with care." if r.small_sample else ""
        return (
            f"{what}: {a.k} of {a.n}, {a.percent()}, in A vs {b.k} of {b.n}, {b.percent()}, in B; "
            f"difference {signed_points(r.diff)} points (95% CI {signed_points(r.low)} to {signed_points(r.high)})."
            + flag
            + self.shared_note()
        )

    def shared_note(self) -> str:
        """Newcombe's interval is for two separate groups. Incidents in both make the two shares
        move together, which narrows the true uncertainty of the difference: the interval errs wide."""
        if not self.shared:
            return ""
        one = self.shared == 1
        return (
            f" {self.shared:,} {'incident is' if one else 'incidents are'} in both groups; the interval "
            "assumes separate groups, so with shared incidents it is, if anything, too wide."
        )

    def as_dict(self) -> dict:
        return {
            "provider_type": self.code,
            "group_a": self.a_words,  # not "a": the difference's own "a" (its share) would replace it
            "group_b": self.b_words,
            "shared_incidents": self.shared,
            **self.result.as_dict(),
        }


def compare(db: Database, base: Filters, a: Filters, b: Filters, code: str) -> Comparison:
    """Share of incidents whose provider was assessed as `code`, in slice A and slice B."""
    fa, fb = combine(base, a), combine(base, b)

    def count(f: Filters) -> tuple[int, int]:
        return queries.count(db, f.with_(ptype=(code,))), queries.count(db, f)

    (ka, na), (kb, nb) = count(fa), count(fb)
    (wa, pa), (wb, pb) = fa.where(), fb.where()
    shared = int(db.scalar(f"SELECT count(*) FROM incidents WHERE ({wa}) AND ({wb})", [*pa, *pb]))
    pkg = db.package
    return Comparison(code, fa.describe(pkg), fb.describe(pkg), difference(ka, na, kb, nb), shared)
