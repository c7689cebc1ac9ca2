"""One value type for "what the user is looking at": parsed from a URL or the command line,
canonicalised, turned back into a link, described in words, and compiled to SQL.

Unknown keys are ignored and bad values dropped with a note, so a hostile or stale link always
opens a working page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from incidentlens.data.schema import Package, humanise

MAX_VALUE = 500  # characters kept from any one parameter
MAX_ITEMS = 60
YEAR_MIN, YEAR_MAX = 1990, 2100
NOT_MSP = "not_msp"
CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Key:
    """One filter key, declared once: parsing, SQL, words, sidebar, CLI and README read it.

    `vocabulary` names the (resource, field) whose codes the key accepts, or "families";
    None means two-letter codes (countries, states). `phrase` reads the chosen values in a
    sentence ("{values}" is replaced by their labels, "{lower}" by the same in lower case)."""

    name: str
    label: str
    column: str
    list_column: bool
    vocabulary: tuple[str, str] | str | None
    phrase: str
    help: str

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")


# One key per two lines, unformatted, so that adding a filter stays a one-entry diff.
# fmt: off
KEYS: tuple[Key, ...] = (
    Key("ptype", "Provider assessed as", "provider_type", False, ("incidents", "provider_type"),
        "whose provider was assessed as {values}", "assessed provider types, e.g. msp,break_fix"),
    Key("family", "Provider family", "provider_family", False, "families",
        "in the provider family {values}", "provider families, e.g. managed_it"),
    Key("label", "Label used by a source", "label_terms", True, ("sources", "label_term"),
        "labelled {values} by at least one source", "label terms a source used, or not_msp"),
    Key("labelled_by", "Labelled MSP by (who said it)", "msp_label_by", True, ("sources", "speaker_type"),
        "labelled MSP by at least one {lower} speaker", "who used the MSP label, e.g. government"),
    Key("sector", "Victim sector", "victim_sectors", True, ("incidents", "victim_sectors"),
        "in the {lower} sector", "victim sectors, e.g. dental"),
    Key("country", "Country", "countries", True, None,
        "with victims in {values}", "ISO country codes, e.g. US,GB"),
    Key("state", "US state", "us_states", True, None,
        "in the US state(s) {values}", "US state codes, e.g. TX"),
    Key("route", "Route to victims", "route", False, ("incidents", "route"),
        "where the route was: {lower}", "routes, e.g. provider_tools_abused"),
    Key("attack", "Attack type", "attack_type", False, ("incidents", "attack_type"),
        "involving {lower}", "attack types, e.g. ransomware"),
    Key("conf", "Coding confidence", "type_confidence", False, ("incidents", "type_confidence"),
        "with {lower}-confidence coding", "coding confidence: high, medium, low"),
)
# fmt: on
BY_NAME = {k.name: k for k in KEYS}
LIST_KEYS = tuple(k.name for k in KEYS)
ALL_KEYS = ("years", *LIST_KEYS, "q")


@dataclass(frozen=True, init=False)
class Filters:
    """What the user is looking at: a year range, free text, and chosen values per list key."""

    years: tuple[int, int] | None
    q: str
    chosen: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, years: tuple[int, int] | None = None, q: str = "", **lists: tuple[str, ...]):
        unknown = set(lists) - set(LIST_KEYS)
        if unknown:
            raise TypeError(f"unknown filter key(s): {', '.join(sorted(unknown))}")
        object.__setattr__(self, "years", tuple(years) if years else None)
        object.__setattr__(self, "q", q)
        object.__setattr__(self, "chosen", tuple((k, tuple(sorted(set(lists[k])))) for k in LIST_KEYS if lists.get(k)))

    def __getattr__(self, name: str) -> tuple[str, ...]:
        if name in BY_NAME:
            return dict(self.chosen).get(name, ())
        raise AttributeError(name)

    def __reduce__(self):
        return (_rebuild, (self.years, self.q, self.chosen))

    @property
    def is_empty(self) -> bool:
        return self == Filters()

    def with_(self, **changes) -> Filters:
        """A copy with some keys changed (an empty tuple clears a key)."""
        current = {"years": self.years, "q": self.q, **dict(self.chosen)}
        return Filters(**{**current, **changes})

    # ---- serialisation -------------------------------------------------------------------
    def to_params(self) -> dict[str, str]:
        """Canonical query parameters: only non-default keys, values sorted and comma-joined."""
        out: dict[str, str] = {}
        if self.years:
            lo, hi = self.years
            out["years"] = str(lo) if lo == hi else f"{lo}-{hi}"
        for key, values in self.chosen:
            out[key] = ",".join(values)
        if self.q:
            out["q"] = self.q
        return out

    def to_query_string(self) -> str:
        return urlencode(self.to_params())

    # ---- SQL -------------------------------------------------------------------------------
    def where(self) -> tuple[str, list]:
        """A WHERE clause over `incidents` with every value as a bound parameter; column names
        come only from the registry."""
        clauses: list[str] = []
        params: list = []
        if self.years:
            clauses.append("attack_year BETWEEN ? AND ?")
            params += list(self.years)
        for name, values in self.chosen:
            key = BY_NAME[name]
            if name == "label" and NOT_MSP in values:
                terms = [t for t in values if t != NOT_MSP]
                parts = [_any_of(key.column, terms, params)] if terms else []
                clauses.append("(" + " OR ".join([*parts, "NOT labelled_msp"]) + ")")
            elif key.list_column:
                clauses.append(_any_of(key.column, values, params))
            else:
                clauses.append(f"list_contains(?::VARCHAR[], {key.column})")
                params.append(list(values))
        if self.q:
            clauses.append("contains(search_text, ?)")  # lower-cased title, summary, provider, id
            params.append(self.q.lower())
        return (" AND ".join(clauses) or "TRUE"), params

    # ---- words -----------------------------------------------------------------------------
    def describe(self, package: Package | None = None) -> str:
        """The filter as a phrase read after 'Of 12', e.g. 'incidents from 2019–2021, in the dental
        sector, with victims in US'."""
        if self.is_empty:
            return "all incidents"
        parts = []
        if self.years:
            lo, hi = self.years
            parts.append(f"from {lo}" if lo == hi else f"from {lo}–{hi}")
        for name, values in self.chosen:
            if name == "label" and NOT_MSP in values:
                terms = [t for t in values if t != NOT_MSP]
                said = [_phrase(BY_NAME[name], terms)] if terms else []
                parts.append(" or ".join([*said, "never labelled MSP"]))
            else:
                parts.append(_phrase(BY_NAME[name], values))
        if self.q:
            parts.append(f'matching "{self.q}"')
        return "incidents " + ", ".join(parts)


def _rebuild(years, q, chosen) -> Filters:
    return Filters(years, q, **dict(chosen))


def _phrase(key: Key, values) -> str:
    names = _names(values)
    return key.phrase.format(values=names, lower=names.lower())


def _names(values) -> str:
    labels = [v if CODE.match(v) else humanise(v) for v in values]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _any_of(column: str, values, params: list) -> str:
    """`column` (a list) holds any of `values`: one list_contains per value, about 3x faster in
    DuckDB than list_has_any with a list parameter."""
    params.extend(values)
    return "(" + " OR ".join(f"list_contains({column}, ?)" for _ in values) + ")"


@dataclass(frozen=True)
class Parsed:
    filters: Filters
    notes: tuple[str, ...]


def vocabulary(key: Key, package: Package) -> dict[str, str]:
    """The codes a key accepts with their descriptions ({} for pattern-checked keys)."""
    if key.vocabulary == "families":
        return package.families
    if isinstance(key.vocabulary, tuple):
        try:
            return package.vocabulary(*key.vocabulary)
        except KeyError:
            return {}
    return {}


def allowed_values(package: Package) -> dict[str, set[str]]:
    """The vocabulary each list key accepts (country and state are checked by pattern)."""
    allowed = {k.name: set(vocabulary(k, package)) for k in KEYS if k.vocabulary is not None}
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


def parse(params: Mapping, package: Package, year_bounds: tuple[int, int] | None = None) -> Parsed:
    """Read filters from URL/CLI parameters; never raises on bad input.

    With `year_bounds` (the data's first and last year) a year range is moved to the nearest
    range inside them, with a note, so a widget bounded by the data can always show it."""
    notes = list(repeated(params, ALL_KEYS))
    allowed = allowed_values(package)
    result: dict = {}
    for key in LIST_KEYS:
        if key not in params:
            continue
        kept: list[str] = []
        dropped: list[str] = []
        for value in _values(params[key]):
            by_pattern = BY_NAME[key].vocabulary is None
            norm = value.upper() if by_pattern else value.lower()
            ok = CODE.match(norm) if by_pattern else norm in allowed[key]
            (kept if ok else dropped).append(norm if ok else value)
        if dropped:
            notes.append(f"Ignored unknown {key} value(s): {', '.join(_short(d) for d in dropped[:5])}.")
        if kept:
            result[key] = tuple(sorted(set(kept)))
    if "years" in params:
        years, note = _years(params["years"], year_bounds)
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


def repeated(params: Mapping, keys) -> tuple[str, ...]:
    """A note for each of `keys` that the parameters give more than once: list keys combine
    every value; any other key uses its last value."""
    notes = []
    for key in keys:
        raw = params.get(key)
        if isinstance(raw, (list, tuple)) and len(raw) > 1:
            use = "all its values are combined" if key in BY_NAME else f"the last, {_short(str(raw[-1]))}, is used"
            notes.append(f"The link gives {key} {len(raw)} times; {use}.")
    return tuple(notes)


def _short(value: str) -> str:
    return repr(value if len(value) <= 30 else value[:27] + "...")


def _years(raw, bounds: tuple[int, int] | None) -> tuple[tuple[int, int] | None, str | None]:
    text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw)[:40].strip()
    match = re.fullmatch(r"([0-9]{4})(?:\s*[-–:]\s*([0-9]{4}))?", text)
    if not match:
        return None, f"Ignored years={_short(text)}: use a year or a range like 2019-2023."
    asked = int(match.group(1)), int(match.group(2) or match.group(1))
    lo, hi = sorted(asked)
    notes = [f"Read years={_short(text)} as {lo}-{hi}."] if asked[0] > asked[1] else []
    if bounds is None:
        if not (YEAR_MIN <= lo and hi <= YEAR_MAX):
            return None, f"Ignored years={_short(text)}: years must be between {YEAR_MIN} and {YEAR_MAX}."
        return (lo, hi), " ".join(notes) or None
    first, last = bounds
    shown = min(max(lo, first), last), max(min(hi, last), first)
    if shown != (lo, hi):
        span = f"{shown[0]}" if shown[0] == shown[1] else f"{shown[0]}-{shown[1]}"
        notes.append(f"The data covers {first}-{last}, so {span} is shown, the nearest to years={_short(text)}.")
    return (None if shown == (first, last) else shown), " ".join(notes) or None
