"""Takeaway sentences and citation text generated from the numbers, never hard-coded."""

from __future__ import annotations

import datetime as dt

from incidentlens import links
from incidentlens.data.schema import load_package
from incidentlens.query.answer import Answer, Reading, span
from incidentlens.query.queries import Headline
from incidentlens.query.stats import Share, interval


def _managed() -> tuple[str, ...]:
    """Provider types in the managed-IT family, from the data package."""
    return tuple(code for code, fam in load_package().type_family.items() if fam == "managed_it")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def incidents(k: int) -> str:
    """'1 incident', '2 incidents', '100,000 incidents': a narrow filter often leaves one."""
    return f"{k} incident" if k == 1 else f"{k:,} incidents"


def sources(k: int) -> str:
    """'1 source', '2 sources'."""
    return f"{k} source" if k == 1 else f"{k:,} sources"


def listing(items: list[str], conj: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or 'a, b or c')."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conj} {items[-1]}"


def were(k: int) -> str:
    """'1 of 5 incidents was', '2 of 5 were': the verb agrees with the count, not with the total."""
    return "was" if k == 1 else "were"


def labelled_attacks(k: int) -> str:
    """'1 incident publicly labelled an MSP attack', '3 incidents publicly labelled MSP attacks'."""
    return "1 incident publicly labelled an MSP attack" if k == 1 else f"{k:,} incidents publicly labelled MSP attacks"


def matching(k: int) -> str:
    """'**1** incident matches', '**3** incidents match' (Markdown)."""
    return f"**{k}** incident matches" if k == 1 else f"**{k:,}** incidents match"


def pick_limit(limit: int, k: int) -> str:
    """Why the record picker's list is shorter than the number of matches."""
    return (
        f"The list holds the newest {limit:,} of the {k:,} incidents that match, so typing searches only "
        "those. To reach the others, narrow the filters or search in the sidebar; the table below links "
        "every one."
    )


def takeaways(h: Headline) -> list[str]:
    """Three or four plain sentences for policy staff, each carrying its n."""
    if h.n == 0:
        return ["No incident matches this filter. Widen the filter to see figures."]
    if h.n == 1:
        first = "The one incident in view " + (
            "was called an MSP attack by at least one source"
            if h.labelled.k
            else "was not called an MSP attack by any source"
        )
    else:
        first = (
            f"{h.labelled.k} of {incidents(h.n)} in view ({_pct(h.labelled.share)}) {were(h.labelled.k)} "
            "called an MSP attack by at least one source"
        )
    out = [first + " (a repost counts once, for its original)."]
    n_lab = h.labelled.k
    if n_lab:
        msp = h.labelled_share("msp")
        managed_types = _managed()
        managed = sum(t.share.k for t in h.labelled_by_type if t.code in managed_types)
        other = sorted(
            (t for t in h.labelled_by_type if t.code not in managed_types and t.share.k), key=lambda t: -t.share.k
        )
        those = "Of that one" if n_lab == 1 else f"Of those {n_lab}"
        kind = "a managed-IT provider" if managed == 1 else "managed-IT providers"
        out.append(
            f"{those}, {_n_pct(msp)} involved a provider assessed as an MSP; "
            f"{managed} ({_pct(managed / n_lab)}) {were(managed)} {kind} of any kind (MSP, MSSP, "
            "outsourcer or public shared IT)."
        )
        tied = [t for t in other if t.share.k == other[0].share.k]  # a tie is named, not settled by order
        if tied:
            s, each = tied[0].share, " each" if len(tied) > 1 else ""
            groups = "groups behind the MSP label, tied" if each else "group behind the MSP label"
            out.append(
                f"The largest other {groups}: {_providers([t.code for t in tied])} "
                f"({s.k} of {n_lab}{each}, {_pct(s.share)}{each})."
            )
    unknown = next(t.share for t in h.by_type if t.code == "unknown")
    if h.n == 1:
        assessed = next(t.code for t in h.by_type if t.share.k)
        out.append(
            "The evidence does not establish what kind of provider it was; it stays in every count as 'unknown'."
            if unknown.k
            else f"Its provider was assessed as {load_package().phrase(assessed)}."
        )
    else:
        out.append(
            f"For {unknown.k} of {incidents(h.n)} ({_pct(unknown.share)}) the evidence does not establish "
            "what kind of provider it was; "
            f"{'it stays' if unknown.k == 1 else 'they stay'} in every count as 'unknown'."
        )
    if h.labelled.k and h.labelled.k < 10:
        out.append("Fewer than 10 labelled-MSP incidents are in view: the intervals are wide.")
    return out


def _providers(codes: list[str]) -> str:
    """'providers assessed as a software vendor or a cloud or hosting provider', 'providers of
    unknown type' ('assessed as' does not fit 'unknown')."""
    known = [load_package().phrase(c) for c in codes if c != "unknown"]
    parts = [f"providers assessed as {listing(known, 'or')}"] if known else []
    return " or ".join([*parts, *(["providers of unknown type"] if "unknown" in codes else [])])


def _source(h: Headline, permalink: str, today: dt.date | None) -> str:
    today = today or dt.date.today()
    return f"Source: IncidentLens dataset v{h.version} (accessed {today.isoformat()}), {links.cite(permalink)}."


def _ci(share) -> str:
    if share.share is None:
        return "n/a"
    return f"{_pct(share.share)}, 95% CI {interval(share.low, share.high)}"


def cite_labelled(h: Headline, permalink: str, today: dt.date | None = None) -> str:
    """A copyable sentence for the labelled-MSP headline figure."""
    return (
        f"Of {incidents(h.n)} ({h.filter_words}), {h.labelled.k} ({_ci(h.labelled)}) {were(h.labelled.k)} "
        f"publicly labelled {'an MSP attack' if h.labelled.k == 1 else 'MSP attacks'} by at least one source. "
        f"{_source(h, permalink, today)}"
    )


def cite_type(h: Headline, code: str, permalink: str, today: dt.date | None = None) -> str:
    """'Of N incidents publicly labelled MSP attacks in <filter>, K (P%, 95% CI a–b%) involved …'"""
    s = h.labelled_share(code)
    phrase = load_package().phrase(code)
    subject = "a provider whose type is unknown" if code == "unknown" else f"a provider assessed as {phrase}"
    return (
        f"Of {labelled_attacks(h.labelled.k)} ({h.filter_words}), {s.k} "
        f"({_ci(s)}) involved {subject}. {_source(h, permalink, today)}"
    )


def dataset_citation(version: str, released: str, today: dt.date | None = None) -> dict[str, str]:
    today = today or dt.date.today()
    year = released[:4] if released else str(today.year)
    apa = (
        f"IncidentLens contributors ({year}). IncidentLens: IT-provider-route cyber incidents and "
        f"how the provider was labelled (Version {version}) [Data set]. CC BY 4.0. "
        f"Accessed {today.isoformat()}."
    )
    bibtex = (
        f"@misc{{incidentlens_{version.replace('.', '_')},\n"
        f"  author = {{{{IncidentLens contributors}}}},\n"
        "  title = {IncidentLens: IT-provider-route cyber incidents and how the provider was labelled},\n"
        f"  year = {{{year}}},\n  version = {{{version}}},\n"
        f"  note = {{Data set, CC BY 4.0, accessed {today.isoformat()}}}\n}}"
    )
    return {"apa": apa, "bibtex": bibtex}


def repost_note(source) -> str:
    """Rule S1 in words, for a source row: a repost counts once, for its original outlet."""
    if not source.repost:
        return ""
    counted = "counted for it" if source.counted else "not counted again: the original is recorded"
    return f" · repost of {source.repost_of} ({counted})"


def label_credit(source) -> str:
    """Who called the provider what (rule L2), in plain text: the page escapes it."""
    label = load_package().label(source.label_term)
    if source.label_term == "unnamed":
        return "does not characterise the provider"
    words = f" (“{source.label_text}”)" if source.label_text else ""
    speaker = str(source.speaker or "").strip()
    if not speaker or speaker.lower() == "own voice":
        return f"called the provider {label}{words} in its own voice"
    return f"called the provider {label}{words}: said by {speaker} ({load_package().label(source.speaker_type)})"


def _n_pct(s: Share) -> str:
    """'9 (29%, 95% CI 16–47%)': the count first, never truncated; zero counts kept."""
    return f"{s.k}" if s.share is None else f"{s.k} ({_ci(s)})"


def answer_sentence(a: Answer) -> str:
    """The break/fix question answered in one paragraph a witness can read aloud."""
    if a.n == 0:
        return "No incident matches this filter. Widen the filter to see the answer."
    k = a.labelled.k
    if a.n == 1 and k == 0:
        return (
            "The one incident in view was not called an MSP attack by any source, so there is "
            "nothing to compare with what its provider actually was."
        )
    if k == 0:
        return (
            f"Of {a.n} incidents in view, none was called an MSP attack by any source, so there is "
            "nothing to compare with what the providers actually were."
        )
    if a.n == 1:
        head = "The one incident in view was called an MSP attack by at least one source."
    else:
        head = f"Of {a.n} incidents in view, {k} {were(k)} called an MSP attack by at least one source."
    t = a.transitional.k
    if a.msp.k == 1:
        firms = "a transitional firm" if t else "not a transitional firm"
    else:
        firms = (
            "none of them a transitional firm"
            if t == 0
            else ("1 of them a transitional firm" if t == 1 else f"{t} of them transitional firms")
        )
    transitional = f" ({firms} still moving from break/fix)" if a.msp.k else ""
    those = "Of that one" if k == 1 else f"Of those {k}"
    documented = (
        f"is {'' if a.documented.k else 'not '}documented"
        if k == 1
        else f"is documented for {a.documented.k} of the {k}"
    )
    return (
        f"{head} {those}, {_n_pct(a.msp)} involved a provider assessed as an MSP{transitional}, "
        f"and {_n_pct(a.break_fix)} a break/fix shop. The provider's service relationship with "
        f"the victims {documented}."
    )


def robustness_sentence(items: list[Reading]) -> str:
    """The range a witness can quote: the lowest and highest share across every reading."""
    ranges = []
    for measure in ("msp", "break_fix"):
        rng = span(items, measure)
        if rng is None:
            return "No reading has an incident labelled MSP to compare."
        lo, hi = (round(x * 100) for x in rng)
        ranges.append(f"{lo}%" if lo == hi else f"between {lo}% and {hi}%")
    return (
        f"Under every one of the {len(items)} readings of the data, {ranges[0]} of incidents labelled "
        f"MSP had a provider assessed as an MSP, and {ranges[1]} a break/fix shop."
    )


def cite_answer(a: Answer, h: Headline, permalink: str, today: dt.date | None = None) -> str:
    """The answer sentence with its filter, dataset version and permalink, ready to paste."""
    return f"{answer_sentence(a)} ({a.filter_words}.) {_source(h, permalink, today)}"


def robustness_title(items: list[Reading]) -> str:
    """A chart title short enough for the canvas: both ranges, in points."""
    parts = []
    for measure, words in (("msp", "assessed as MSPs"), ("break_fix", "break/fix shops")):
        rng = span(items, measure)
        if rng is None:
            return "No incident labelled MSP to compare"
        lo, hi = (round(x * 100) for x in rng)
        parts.append(f"{lo}%" if lo == hi else f"{lo}–{hi}%")
        parts[-1] += f" {words}"
    return f"Across {len(items)} readings: {parts[0]}, {parts[1]}"
