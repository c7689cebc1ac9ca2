"""One value type for "what the user is looking at": parsed from a URL or the command line,
canonicalised, turned back into a link, described in words, and compiled to SQL.

Unknown keys are ignored and bad values dropped with a note, so a hostile or stale link always
opens a working page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from incidentlens.data.schema import Package, humanise

MAX_VALUE = 500  # characters kept from any one parameter
MAX_ITEMS = 60
YEAR_MIN, YEAR_MAX = 1990, 2100
NOT_MSP = "not_msp"

LIST_KEYS = ("ptype", "family", "label", "labelled_by", "sector", "country", "state", "route", "attack", "conf")
ALL_KEYS = ("years", *LIST_KEYS, "q")

# key -> (resource, field) whose vocabulary bounds it
VOCAB_FIELDS = {
    "ptype": ("incidents", "provider_type"),
    "label": ("sources", "label_term"),
    "labelled_by": ("sources", "source_type"),
    "sector": ("incidents", "victim_sectors"),
    "route": ("incidents", "route"),
    "attack": ("incidents", "attack_type"),
    "conf": ("incidents", "type_confidence"),
}
CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Filters:
    years: tuple[int, int] | None = None
    ptype: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    label: tuple[str, ...] = ()
    labelled_by: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    attack: tuple[str, ...] = ()
    conf: tuple[str, ...] = ()
    q: str = ""

    @property
    def is_empty(self) -> bool:
        return self == Filters()

    def with_(self, **changes) -> Filters:
        """A copy with some fields changed, canonicalised (sorted, de-duplicated)."""
        clean = {k: tuple(sorted(set(v))) if k in LIST_KEYS else v for k, v in changes.items()}
        return replace(self, **clean)

    # ---- serialisation -------------------------------------------------------------------
    def to_params(self) -> dict[str, str]:
        """Canonical query parameters: only non-default keys, values sorted and comma-joined."""
        out: dict[str, str] = {}
        if self.years:
            lo, hi = self.years
            out["years"] = str(lo) if lo == hi else f"{lo}-{hi}"
        for key in LIST_KEYS:
            values = getattr(self, key)
            if values:
                out[key] = ",".join(values)
        if self.q:
            out["q"] = self.q
        return out

    def to_query_string(self) -> str:
        return urlencode(self.to_params())

    # ---- SQL -------------------------------------------------------------------------------
    def where(self) -> tuple[str, list]:
        """A WHERE clause over `incidents` with every value as a bound parameter."""
        clauses: list[str] = []
        params: list = []
        if self.years:
            clauses.append("attack_year BETWEEN ? AND ?")
            params += list(self.years)
        for key, column in (("ptype", "provider_type"), ("family", "provider_family"),
                            ("route", "route"), ("attack", "attack_type"), ("conf", "type_confidence")):
            if getattr(self, key):
                clauses.append(f"list_contains(?::VARCHAR[], {column})")
                params.append(list(getattr(self, key)))
        for key, column in (("sector", "victim_sectors"), ("country", "countries"), ("state", "us_states")):
            if getattr(self, key):
                clauses.append(_any_of(column, getattr(self, key), params))
        if self.label:
            terms = [t for t in self.label if t != NOT_MSP]
            parts = []
            if terms:
                parts.append(_any_of("label_terms", terms, params))
            if NOT_MSP in self.label:
                parts.append("NOT labelled_msp")
            clauses.append("(" + " OR ".join(parts) + ")")
        if self.labelled_by:
            clauses.append(_any_of("msp_label_by", self.labelled_by, params))
        if self.q:
            clauses.append("contains(search_text, ?)")  # lower-cased title, summary, provider, id
            params.append(self.q.lower())
        return (" AND ".join(clauses) or "TRUE"), params

    # ---- words -----------------------------------------------------------------------------
    def describe(self, package: Package | None = None) -> str:
        """The filter as a phrase, e.g. 'dental incidents in US, 2019–2021, labelled MSP by ...'."""
        def names(values) -> str:
            labels = [v if CODE.match(v) else humanise(v) for v in values]
            return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]

        head = f"{names(self.sector).lower()} incidents" if self.sector else "incidents"
        if self.is_empty:
            return "all incidents"
        parts = [head]
        if self.country:
            parts.append(f"with victims in {names(self.country)}")
        if self.state:
            parts.append(f"in the US state(s) {names(self.state)}")
        if self.years:
            lo, hi = self.years
            parts.append(f"{lo}" if lo == hi else f"{lo}–{hi}")
        if self.ptype:
            parts.append(f"whose provider was assessed as {names(self.ptype)}")
        if self.family:
            parts.append(f"in the provider family {names(self.family)}")
        if self.label:
            terms = [t for t in self.label if t != NOT_MSP]
            said = []
            if terms:
                said.append(f"labelled {names(terms)} by at least one source")
            if NOT_MSP in self.label:
                said.append("never labelled MSP")
            parts.append(" or ".join(said))
        if self.labelled_by:
            kinds = names([humanise(v).lower() for v in self.labelled_by]).lower()
            parts.append(f"labelled MSP by at least one {kinds} source")
        if self.route:
            parts.append(f"where the route was {names(self.route).lower()}")
        if self.attack:
            parts.append(f"involving {names(self.attack).lower()}")
        if self.conf:
            parts.append(f"with {names(self.conf).lower()}-confidence coding")
        if self.q:
            parts.append(f'matching "{self.q}"')
        return ", ".join(parts)


def _any_of(column: str, values, params: list) -> str:
    """`column` (a list) holds any of `values`: one list_contains per value, about 3x faster in
    DuckDB than list_has_any with a list parameter."""
    params.extend(values)
    return "(" + " OR ".join(f"list_contains({column}, ?)" for _ in values) + ")"


@dataclass(frozen=True)
class Parsed:
    filters: Filters
    notes: tuple[str, ...]


def allowed_values(package: Package) -> dict[str, set[str]]:
    """The vocabulary each list key accepts (country and state are checked by pattern)."""
    allowed = {key: set(package.vocabulary(*where)) for key, where in VOCAB_FIELDS.items()}
    allowed["family"] = set(package.families)
    allowed["label"].add(NOT_MSP)
    return allowed


def _values(raw) -> list[str]:
    values = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        out += [v.strip() for v in str(value)[:MAX_VALUE].split(",") if v.strip()]
    return out[:MAX_ITEMS]


def parse(params: Mapping, package: Package) -> Parsed:
    """Read filters from URL/CLI parameters; never raises on bad input."""
    notes: list[str] = []
    allowed = allowed_values(package)
    result: dict = {}
    for key in LIST_KEYS:
        if key not in params:
            continue
        kept, dropped = [], []
        for value in _values(params[key]):
            norm = value.upper() if key in ("country", "state") else value.lower()
            ok = CODE.match(norm) if key in ("country", "state") else norm in allowed[key]
            (kept if ok else dropped).append(norm if ok else value)
        if dropped:
            notes.append(f"Ignored unknown {key} value(s): {', '.join(_short(d) for d in dropped[:5])}.")
        if kept:
            result[key] = tuple(sorted(set(kept)))
    if "years" in params:
        years, note = _years(params["years"])
        if note:
            notes.append(note)
        if years:
            result["years"] = years
    if "q" in params:
        raw = params["q"]
        text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw or "")
        cleaned = "".join(ch for ch in text if ch.isprintable())[:200].strip()
        if len(text) > 200:
            notes.append("The search text was shortened to 200 characters.")
        if cleaned:
            result["q"] = cleaned
    return Parsed(Filters(**result), tuple(notes))


def _short(value: str) -> str:
    return repr(value if len(value) <= 30 else value[:27] + "...")


def _years(raw) -> tuple[tuple[int, int] | None, str | None]:
    text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw)[:40].strip()
    match = re.fullmatch(r"(\d{4})(?:\s*[-–:]\s*(\d{4}))?", text)
    if not match:
        return None, f"Ignored years={_short(text)}: use a year or a range like 2019-2023."
    lo = int(match.group(1))
    hi = int(match.group(2) or lo)
    if not (YEAR_MIN <= lo <= YEAR_MAX and YEAR_MIN <= hi <= YEAR_MAX):
        return None, f"Ignored years={_short(text)}: years must be between {YEAR_MIN} and {YEAR_MAX}."
    if lo > hi:
        return (hi, lo), f"Read years={text} as {hi}-{lo}."
    return (lo, hi), None

