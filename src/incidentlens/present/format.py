"""Single values in words: dates, ranges, shares, codes as labels, and the correction text.

Pure functions, so a value reads the same on every page and in every test; labels always come
from the data package, never from tables kept in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import numpy as np
import pandas as pd

from incidentlens.data.schema import Field, Package, fallback_label
from incidentlens.present import narrative
from incidentlens.query.compare import Comparison
from incidentlens.query.policy import WINDOW_YEARS, Windows
from incidentlens.query.queries import OTHER_LABELS
from incidentlens.query.stats import interval, signed_points

EMPTY = "—"
NO_NAME = "no name given"
CAPITAL_CODE = re.compile(r"^[A-Z]{2}$")


def is_blank(value: Any) -> bool:
    """None, NaN, NA, NaT and empty text all mean "not recorded"."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) == 0
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return value == "" or (isinstance(value, float) and np.isnan(value))


def date(value: Any) -> str:
    """YYYY-MM-DD, or a dash when no date is recorded."""
    if is_blank(value):
        return EMPTY
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def date_as_known(value: Any, precision: Any) -> str:
    """A date only as precisely as it is known (an attack, a government action): a month-precision
    date is stored as the 1st and would otherwise read as that day ('2013-07-01' for 'from about
    July 2013')."""
    if is_blank(value):
        return EMPTY
    day = pd.Timestamp(value)
    return {
        "year": f"{day:%Y}",
        "month": f"{day:%B %Y}",
        "week": f"week of {day:%Y-%m-%d}",
    }.get(str(precision), f"{day:%Y-%m-%d}")


def quarter(day: Any) -> str:
    """'2019 Q4': how the Policy timeline names a quarter, in its summary and its table."""
    ts = pd.Timestamp(day)
    return f"{ts.year} Q{ts.quarter}"


def count_range(low: Any, high: Any) -> str:
    """Counts are ranges in the data (methodology, "Counts as ranges"): '22–23', '22' when both
    ends agree, 'at least 110' when a source gave only a floor (the minimum alone), 'up to 1,300'
    for the maximum alone, 'unknown' when neither: a blank is not zero."""
    lo, hi = ("" if is_blank(v) else f"{int(v):,}" for v in (low, high))
    if lo and hi:
        return lo if lo == hi else f"{lo}–{hi}"
    return f"at least {lo}" if lo else f"up to {hi}" if hi else "unknown"


def pct(share: float | None) -> str:
    """'27%', or 'n/a' for an empty base."""
    return "n/a" if share is None or pd.isna(share) else f"{share * 100:.0f}%"


def share_cell(k: int, share: float | None, low: float | None, high: float | None) -> str:
    """'3 (25%, 95% CI 9–53%)' for a table cell; a dash when the base is empty."""
    if share is None or pd.isna(share):
        return EMPTY
    return f"{k} ({pct(share)}, 95% CI {interval(low, high)})"


def points(diff: float | None) -> str:
    """A difference of shares in percentage points: '+26 pts'."""
    return "n/a" if diff is None else f"{signed_points(diff)} pts"


def points_range(low: float, high: float) -> str:
    """An interval of differences: '+12 to +43 pts'."""
    return f"{signed_points(low)} to {signed_points(high)} pts"


def rounding_note(a: float | None, b: float | None, diff: float | None) -> str:
    """Why 28% and 4% can differ by +25 points: the difference is of the unrounded shares (28.1%
    and 3.5%). Empty when the rounded shares already give the difference shown."""
    if a is None or b is None or diff is None or round(a * 100) - round(b * 100) == round(diff * 100):
        return ""
    return f"Taken before rounding: {a * 100:.1f}% − {b * 100:.1f}% = {diff * 100:+.1f} points."


def undated_note(undated: int, total: int) -> str:
    """What the label timeline leaves out: sources without a publication date."""
    if undated == 0:
        return "Every source, in order of publication."
    if undated == total:
        return "No source in this record has a publication date, so there is no timeline."
    verb = "has no date and is" if undated == 1 else "have no date and are"
    return f"Dated sources in order of publication; {undated} of {total} {verb} listed above only."


def under_tab(markdown: str) -> str:
    """A document shown under the page's own title, in a tab that names it: its title line goes
    and every other heading steps down a level, so the page keeps one h1 and the document's
    sections read as parts of it (fenced code is left as it is)."""
    lines, fenced = [], False
    for i, line in enumerate(markdown.splitlines()):
        fenced ^= line.lstrip().startswith("```")
        heading = not fenced and re.match(r"#{1,5} ", line)
        if heading and i == 0 and line.startswith("# "):
            continue
        lines.append("#" + line if heading else line)
    return "\n".join(lines).lstrip("\n")


def label(package: Package, code: Any) -> str:
    """A code's label from the data package; two-letter place codes without one stay as written."""
    text = str(code)
    found = package.label(text)
    return text if CAPITAL_CODE.match(text) and found == fallback_label(text) else found


def labels(package: Package, codes: Iterable) -> str:
    """A list of codes as their labels, comma-separated; a dash for none."""
    words = [label(package, c) for c in (codes if codes is not None else ())]
    return ", ".join(words) or EMPTY


def provider_name(name: Any) -> str:
    return NO_NAME if is_blank(name) else str(name)


# Fields holding the codes of another field (provider_type, type_rule), checked by the validator.
SHARED_CODES = ("alt_provider_type", "alt_rule")


def field_value(package: Package, field: Field, value: Any) -> str:
    """One field of a record in words: coded values as labels, dates as dates, lists joined."""
    coded = bool(field.enum or field.item_enum or field.vocabulary) or field.name in SHARED_CODES
    if field.is_list:
        items = [] if value is None else list(value)
        return ", ".join(label(package, v) if coded or CAPITAL_CODE.match(str(v)) else str(v) for v in items) or EMPTY
    if is_blank(value):
        return NO_NAME if field.name == "provider_name" else EMPTY
    if field.type == "date":
        return date(value)
    if coded:
        return label(package, value)
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


ACRONYMS = {"id": "ID", "it": "IT", "msp": "MSP", "url": "URL", "us": "US", "usd": "USD"}


def field_name(field: Field) -> str:
    """A column name as words ('downstream_orgs_min' -> 'Downstream orgs min', 'us_states' -> 'US
    states'): readers meet these names in the record and the correction text."""
    text = " ".join(ACRONYMS.get(w, w) for w in field.name.split("_"))
    return text[:1].upper() + text[1:]


def coding_notes(record: dict, package: Package, sources: pd.DataFrame) -> list[str]:
    """How the provider type was decided: the codebook rule, any alternative coding, and the
    documented service relationship with the source that documents it."""
    notes = []
    if not is_blank(record.get("type_rule")):
        notes.append(f"Decided by codebook rule {label(package, record['type_rule'])}.")
    if not is_blank(record.get("alt_provider_type")):
        rule = record.get("alt_rule")
        by = "" if is_blank(rule) else f" (by rule {label(package, rule)})"
        notes.append(f"Alternative coding: {label(package, record['alt_provider_type'])}{by}.")
    relationship = record.get("service_relationship")
    if not is_blank(relationship):
        found = sources[sources["source_id"] == record.get("relationship_source_id")]
        by = (
            ""
            if found.empty
            else (f", documented by {found.iloc[0]['publisher']} ({date(found.iloc[0]['published_date'])})")
        )
        notes.append(f"Service relationship: {label(package, relationship)}{by}.")
    return notes


def source_entry(source: Any, package: Package, documents_relationship: bool) -> str:
    """A source's line after its publisher: kind, date, repost note, and who called the provider what."""
    kind = label(package, source.source_type)
    relationship = " · documents the service relationship" if documents_relationship else ""
    when = "no date" if is_blank(source.published_date) else date(source.published_date)
    return f"({kind}, {when}{narrative.repost_note(source)}{relationship}) — {narrative.label_credit(source)}"


def action_facts(action: Any, package: Package) -> str:
    """'Body · where · kind · status' for one government action."""
    when = date_as_known(action["date"], action["date_precision"])
    return (
        f"{action['body']} · {', '.join(action['jurisdictions'])} · {label(package, action['kind'])} · "
        f"status: {label(package, action['status']).lower()} · {when}"
    )


def window_sentence(action: Any, before: int, after: int, w: Windows, either: pd.DataFrame) -> str:
    """How many incidents in the action's jurisdiction fell in the windows either side of it, the
    windows as inclusive days, and which incidents are on neither side because of their dates."""
    last = dt.timedelta(days=1)
    years = WINDOW_YEARS
    out = [
        f"Incidents with victims in {', '.join(action['jurisdictions'])}: {before:,} in the {years} years "
        f"before ({w.before_start:%Y-%m-%d} to {w.before_end - last:%Y-%m-%d}) and {after:,} in the {years} "
        f"years after ({w.after_start:%Y-%m-%d} to {w.after_end - last:%Y-%m-%d})."
    ]
    precision = str(action["date_precision"])
    if precision != "day":
        known = date_as_known(action["date"], precision)
        out.append(
            f"The action is dated only to the {precision} ({known}): an incident of {known} could be on "
            f"either side of it, so the window before ends as that {precision} begins and the window after "
            "starts as it ends."
        )
    if len(either):
        named = [
            f"“{r.title}” ({date_as_known(r.attack_date, r.attack_date_precision)})"  # titles may hold ";"
            for r in either.head(5).itertuples()
        ]
        more = f"; and {len(either) - 5:,} more" if len(either) > 5 else ""
        one = len(either) == 1
        out.append(
            f"{narrative.incidents(len(either))} in the jurisdiction {'is' if one else 'are'} counted on neither side, "
            f"because {'its date' if one else 'their dates'} could fall on either side of a window's edge: "
            + "; ".join(named)
            + more
            + "."
        )
    return " ".join(out)


def comparison_problem(c: Comparison) -> str | None:
    """Why a comparison has no difference to show, in words a reader can act on; None when it has."""
    r = c.result
    if r.diff is not None and r.low is not None:
        return None
    empty = [
        f"group {name} ({words})" for name, words, n in (("A", c.a_words, r.a.n), ("B", c.b_words, r.b.n)) if n == 0
    ]
    if not empty:
        return (
            f"This comparison cannot be computed: the 95% interval is undefined for {r.a.k} of {r.a.n} "
            f"against {r.b.k} of {r.b.n}. Widen the sidebar filters, or pick another comparison."
        )
    names = " and ".join(g.split(" (")[0] for g in empty)
    return (
        f"This comparison cannot be computed: no incident in view falls in {' or '.join(empty)}, "
        f"and a share of nothing is undefined. Widen the sidebar filters or the filter of {names}, "
        "or pick another comparison."
    )


FLOW_READING = (
    "Left: the label a source used for the provider. Right: what the provider was assessed as, "
    "from evidence. Band widths count incidents."
)


def flow_note(full: pd.DataFrame, grouped: pd.DataFrame, package: Package, share: float) -> str:
    """How to read the label-to-reality flow, and which labels it draws together as one node."""
    merged = sorted(set(full["label_term"]) - set(grouped["label_term"]), key=lambda c: label(package, c))
    if not merged:
        return FLOW_READING
    return (
        f"{FLOW_READING} {label(package, OTHER_LABELS)} groups {', '.join(label(package, c) for c in merged)}: "
        f"each was used for fewer than {pct(share)} of the incidents in view. The table view lists every label."
    )


@dataclass(frozen=True)
class Destination:
    """Where a correction goes: an instruction, and a link that opens it ready to send ('' if none)."""

    how: str
    link: str


def destination(setting: str, subject: str, body: str) -> Destination:
    """From the configured address (an e-mail address or an issue-tracker URL) to a ready link."""
    target = setting.strip()
    if re.fullmatch(r"[^@\s/]+@[^@\s/]+\.[^@\s/]+", target):
        query = f"subject={quote(subject)}&body={quote(body)}"
        return Destination(f"Send it by e-mail to {target}.", f"mailto:{target}?{query}")
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.hostname:
        if parts.hostname == "github.com" and parts.path.rstrip("/").endswith("/issues"):
            new = f"{target.rstrip('/')}/new?" + urlencode({"title": subject, "body": body})
            return Destination(f"A new issue at {target}: the button fills in the text; check it and submit.", new)
        return Destination(f"Open a new issue at {target} and paste the text.", target)
    return Destination(
        "Open a new issue in the IncidentLens repository's issue tracker and paste the text "
        "(CONTRIBUTING.md, 'Correct an incident', says how corrections are checked).",
        "",
    )


def correction_text(
    version: str, incident_id: str, title: str, link: str, field: Field, current: str, proposed: str, evidence: str
) -> str:
    """The text a reader sends: what to change, from what, to what, and the public source."""
    return (
        f"Correction for the IncidentLens dataset v{version}\n"
        f"Incident: {title} ({incident_id})\nRecord: {link}\n"
        f"Field: {field_name(field)} ({field.name}): {field.description}\n"
        f"Current value: {current}\n"
        f"Proposed value: {proposed.strip() or '(please fill in)'}\n"
        f"Public source for the change: {evidence.strip() or '(please add a link)'}\n"
        f"Prepared on {dt.date.today().isoformat()} from the record page."
    )
