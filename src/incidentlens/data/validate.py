"""Check the curated CSVs against `datapackage.json` and the cross-row rules.

Per-cell checks (types, enums, patterns, required, unique, primary keys) are delegated to
frictionless, the reference implementation of the Table Schema spec the descriptor is written
in. Structure (encoding, quoting, ragged rows, header) and cross-row rules are checked here
first, because they need exact line numbers and because frictionless cannot see them.
Every problem is reported as `FILE:LINE:COLUMN: message`; nothing raises.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from frictionless import Resource, Schema

from incidentlens.data import descriptor, rules
from incidentlens.data.markup import changelog_markup, markup
from incidentlens.data.schema import (
    LIST_SEPARATOR,
    OutsideDataFolder,
    Package,
    data_dir,
    load_package,
    resource_path,
)

MAX_CELL = 20_000
# Bidi overrides and isolates can make text render differently from what it contains.
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        # Quoted cells may hold newlines; escape them so one problem is always one line.
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{self.file}:{self.line}:{self.column}: {message}"


@dataclass
class Table:
    """A CSV read for validation: its rows as dicts and the line each row starts on."""

    name: str
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    record_lines: list[int] = field(default_factory=list)  # every data record, skipped ones too
    skipped: set[int] = field(default_factory=set)  # lines of blank or ragged records
    skipped_keys: set[str] = field(default_factory=set)  # first cells of ragged records


def validate(directory=None, today: dt.date | None = None) -> list[Problem]:
    """Validate every resource in the package; an empty list means valid."""
    base = data_dir(directory)
    try:
        pkg = load_package(directory)
        text = (base / "datapackage.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return [Problem("datapackage.json", 1, 1, "file not found")]
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return [Problem("datapackage.json", 1, 1, f"not valid JSON: {str(exc)[:200]}")]
    findings = descriptor.check(pkg.raw, base)
    at = _json_positions(text) if findings else {}
    problems = [Problem("datapackage.json", *_nearest(at, f.path), f.message) for f in findings]
    if problems:
        return sorted(set(problems))
    today = today or dt.date.today()
    tables: dict[str, Table] = {}
    for name in pkg.resource_names():
        res = pkg.resource(name)
        table, found = _read(resource_path(base, res["path"]), res["path"], pkg.columns(name))
        problems += found
        if table is None:
            continue
        tables[name] = table
        problems += _cells(base, res, table)
        problems += _rules(pkg, name, table, today)
    problems += _cross(tables, pkg)
    problems += _changelog(base)
    return sorted(set(problems))


JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _changelog(base: Path) -> list[Problem]:
    """CHANGELOG.md, which the Methodology page renders as Markdown: inside the folder, UTF-8, and
    without images, HTML, directives or links to anything but web pages."""
    name = "CHANGELOG.md"
    if not (base / name).exists() and not (base / name).is_symlink():
        return []
    try:
        raw = resource_path(base, name).read_bytes()
    except OutsideDataFolder:
        return [Problem(name, 1, 1, "links to a file outside the data folder")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [Problem(name, line, 1, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
    out = []
    for number, content in enumerate(text.splitlines(), start=1):
        found = changelog_markup(content)
        if found:
            out.append(Problem(name, number, 1, f"holds {found}; the Methodology page shows this file"))
    return out


def _json_positions(text: str) -> dict[descriptor.JsonPath, tuple[int, int]]:
    """(line, column) of every key and array item in a JSON text that parses."""
    out: dict[descriptor.JsonPath, tuple[int, int]] = {}
    # Open containers: their path, and the next array index or the current object key.
    paths: list[descriptor.JsonPath] = []
    slots: list[int | str | None] = []
    want_key = False
    for match in JSON_TOKEN.finditer(text):
        token, at = match.group(), match.start()
        if token in ",:":
            want_key = token == "," and bool(slots) and not isinstance(slots[-1], int)
        elif token in "}]":
            paths.pop()
            slots.pop()
        elif want_key:
            key: str = json.loads(token)
            slots[-1] = key
            want_key = False
            line = text.count("\n", 0, at) + 1
            out.setdefault((*paths[-1], key), (line, at - text.rfind("\n", 0, at)))
        else:
            here: descriptor.JsonPath = ()
            if slots and isinstance(slots[-1], int):  # an array item
                here = (*paths[-1], slots[-1])
                line = text.count("\n", 0, at) + 1
                out.setdefault(here, (line, at - text.rfind("\n", 0, at)))
                slots[-1] += 1
            elif slots and slots[-1] is not None:  # an object's value
                here = (*paths[-1], slots[-1])
            if token in "{[":
                paths.append(here)
                slots.append(None if token == "{" else 0)
                want_key = token == "{"
    return out


def _nearest(at: dict[descriptor.JsonPath, tuple[int, int]], path: descriptor.JsonPath) -> tuple[int, int]:
    """Where `path` is in the file, or its nearest enclosing key that is."""
    while path and path not in at:
        path = path[:-1]
    return at.get(path, (1, 1))


def _read(path: Path, label: str, columns: list[str]) -> tuple[Table | None, list[Problem]]:
    """Parse a CSV strictly; return None when it cannot be read at all."""
    if not path.is_file():
        return None, [Problem(label, 1, 1, "file not found")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(label, line, col, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
    if text.startswith("\ufeff"):
        return None, [Problem(label, 1, 1, "file starts with a byte-order mark; save as UTF-8 without BOM")]
    if not text.strip():
        return None, [Problem(label, 1, 1, "file is empty; expected a header row")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            records.append((last + 1, record))
            last = reader.line_num
    except csv.Error as exc:
        return None, [Problem(label, last + 1, 1, f"malformed CSV: {exc}")]
    problems: list[Problem] = []
    header = records[0][1]
    if header != columns:
        problems += _header(label, header, columns)
        return None, problems
    table = Table(label, header)
    for line, record in records[1:]:
        table.record_lines.append(line)
        if not any(cell.strip() for cell in record):
            problems.append(Problem(label, line, 1, "blank row"))
            table.skipped.add(line)
            continue
        if len(record) != len(columns):
            problems.append(
                Problem(
                    label,
                    line,
                    min(len(record), len(columns)) + 1,
                    f"row has {len(record)} cells; the header has {len(columns)}",
                )
            )
            table.skipped.add(line)
            table.skipped_keys.add(record[0])
            continue
        table.rows.append(dict(zip(columns, record)))
        table.lines.append(line)
    return table, problems


def _header(label: str, header: list[str], columns: list[str]) -> list[Problem]:
    out = []
    for i, expected in enumerate(columns):
        got = header[i] if i < len(header) else None
        if got != expected:
            what = "missing" if got is None else f"is '{got}'"
            out.append(Problem(label, 1, i + 1, f"header column {i + 1} {what}; expected '{expected}'"))
    for i in range(len(columns), len(header)):
        out.append(Problem(label, 1, i + 1, f"unexpected extra header column '{header[i]}'"))
    return out


def _cells(base: Path, res: dict, table: Table) -> list[Problem]:
    """Run frictionless over a structurally sound file and map its errors to lines."""
    # Foreign keys are checked in _cross(); frictionless refuses them on a lone resource.
    descriptor = {k: v for k, v in res["schema"].items() if k != "foreignKeys"}
    schema = Schema.from_descriptor(descriptor)
    resource = Resource(path=res["path"], basepath=str(base), schema=schema, format="csv", encoding="utf-8")
    report = resource.validate()
    col_of = {name: i + 1 for i, name in enumerate(table.header)}
    # frictionless counts records by position (header = 1); map positions to start lines and
    # leave out records already reported as blank or ragged.
    lines = {i + 2: line for i, line in enumerate(table.record_lines) if line not in table.skipped}
    out = []
    for task in report.tasks:
        for err in task.errors:
            row = getattr(err, "row_number", None)
            if err.type in {"extra-cell", "missing-cell", "blank-row"} or row not in lines:
                continue
            name = getattr(err, "field_name", "") or ""
            cell = getattr(err, "cell", "")
            out.append(Problem(table.name, lines[row], col_of.get(name, 1), _message(err.type, name, cell, err.note)))
    return out


def _message(kind: str, name: str, cell: str, note: str) -> str:
    shown = cell if len(cell) <= 60 else cell[:57] + "..."
    if kind == "type-error":
        return f"{name}: '{shown}' is not a valid {note.removeprefix('type is ').strip(chr(34)).split('/')[0]}"
    if kind in {"unique-error", "primary-key"}:
        return f"{name or 'key'}: duplicate value '{shown}' ({note})"
    if "enum" in note:
        return f"{name}: '{shown}' is not an allowed value ({note})"
    return f"{name}: '{shown}' breaks {note}"


def _rules(pkg: Package, name: str, table: Table, today: dt.date) -> list[Problem]:
    """Rules frictionless cannot express: list items, control characters, URLs, dates."""
    fields = pkg.fields(name)
    col_of = {f.name: i + 1 for i, f in enumerate(fields)}
    links = descriptor.LINK_COLUMNS.get(name, ())
    out = []
    for row, line in zip(table.rows, table.lines):
        for f in fields:
            value = row[f.name]
            at = (table.name, line, col_of[f.name])
            if len(value) > MAX_CELL:
                out.append(Problem(*at, f"{f.name}: cell is {len(value)} characters; the limit is {MAX_CELL}"))
            bad = _bad_char(value)
            if bad:
                out.append(Problem(*at, f"{f.name}: contains control or bidi character U+{ord(bad):04X}"))
            if f.is_list and value:
                out += _list_items(at, f, value)
            if value and f.name in links:
                out += [p for item in (value.split(LIST_SEPARATOR) if f.is_list else [value]) for p in _url(at, item)]
            elif value and (found := markup(value)):
                out.append(Problem(*at, f"{f.name}: holds {found}; text is shown as written, so leave markup out"))
            if value and f.type in ("integer", "number") and (why := _number(f.type, value)):
                out.append(Problem(*at, f"{f.name}: '{value[:40]}' {why}"))
            if f.type == "date" and value:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                    out.append(Problem(*at, f"{f.name}: '{value[:40]}' is not a YYYY-MM-DD date"))
                elif (day := _date(value)) and day > today:
                    out.append(Problem(*at, f"{f.name}: {value} is in the future"))
        out += _row_rules(name, row, line, col_of, table.name)
        out += _codebook(pkg, name, row, line, col_of, table.name)
    return out


INT64 = 2**63


def _number(kind: str, value: str) -> str | None:
    """Numbers as the loader reads them: plain digits, inside a 64-bit integer or a finite double."""
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return "is not an integer written as plain digits (like 1200)"
        if len(value.lstrip("-")) > 19 or not -INT64 <= int(value) < INT64:
            return f"is out of range: integers go up to {INT64 - 1}"
        return None
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return "is not a number written as plain digits (like 1500000 or 2.5)"
    if len(value) > 30:
        return "has more than 30 characters: write it with fewer digits"
    return None


def _bad_char(value: str) -> str | None:
    for ch in value:
        if ch in BIDI or (unicodedata.category(ch) == "Cc" and ch not in "\n"):
            return ch
    return None


def _list_items(at: tuple[str, int, int], f, value: str) -> list[Problem]:
    out = []
    items = value.split(LIST_SEPARATOR)
    for item in items:
        if item != item.strip() or not item:
            out.append(Problem(*at, f"{f.name}: empty or padded item in '{value}' (separate with ';' and no spaces)"))
        elif f.item_enum and item not in f.item_enum:
            out.append(Problem(*at, f"{f.name}: '{item}' is not an allowed value"))
        elif f.item_pattern and not re.fullmatch(f.item_pattern, item):
            out.append(Problem(*at, f"{f.name}: '{item}' does not match {f.item_pattern}"))
    if len(set(items)) != len(items):
        out.append(Problem(*at, f"{f.name}: repeated item in '{value}'"))
    return out


def _url(at: tuple[str, int, int], value: str) -> list[Problem]:
    try:
        parts = urlsplit(value)
    except ValueError:
        return [Problem(*at, f"url: '{value[:60]}' cannot be parsed")]
    if parts.scheme not in {"http", "https"}:
        return [Problem(*at, f"url: only http and https links are allowed, got '{value[:60]}'")]
    if not parts.hostname or any(c.isspace() for c in value):
        return [Problem(*at, f"url: '{value[:60]}' has no host or contains spaces")]
    return []


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _row_rules(name: str, row: dict, line: int, col_of: dict, label: str) -> list[Problem]:
    out = []
    if name == "incidents":
        lo, hi = _int(row["downstream_orgs_min"]), _int(row["downstream_orgs_max"])
        if lo is not None and hi is not None and lo > hi:
            out.append(
                Problem(
                    label,
                    line,
                    col_of["downstream_orgs_min"],
                    f"downstream_orgs_min ({lo}) is greater than downstream_orgs_max ({hi})",
                )
            )
        attack, disclosed = _date(row["attack_date"]), _date(row["disclosed_date"])
        if attack and disclosed and disclosed < attack:
            out.append(
                Problem(
                    label, line, col_of["disclosed_date"], f"disclosed_date {disclosed} is before attack_date {attack}"
                )
            )
    return out


INCIDENT_RULE_COLUMNS = {
    "type_rule",
    "alt_provider_type",
    "alt_rule",
    "service_relationship",
    "relationship_source_id",
    "route",
    "provider_maturity",
    "countries",
}
SOURCE_RULE_COLUMNS = {"speaker", "speaker_type", "source_type", "label_term", "label_text", "is_repost", "repost_of"}


def _codebook(pkg: Package, name: str, row: dict, line: int, col_of: dict, label: str) -> list[Problem]:
    """The codebook's mechanical rules, where the package has the columns they read."""
    if name == "incidents" and INCIDENT_RULE_COLUMNS <= row.keys():
        found = rules.incident(row, pkg)
    elif name == "sources" and SOURCE_RULE_COLUMNS <= row.keys():
        found = rules.source(row)
    else:
        return []
    return [Problem(label, line, col_of[column], message) for column, message in found]


def _cross(tables: dict[str, Table], pkg: Package) -> list[Problem]:
    """Foreign keys, every incident sourced, no duplicate URL within an incident."""
    inc, src = tables.get("incidents"), tables.get("sources")
    if inc is None or src is None:
        return []
    out = []
    ids = {row["incident_id"] for row in inc.rows} | inc.skipped_keys
    col = {n: i + 1 for i, n in enumerate(src.header)}
    seen: dict[tuple[str, str], int] = {}
    sourced = set()
    for row, line in zip(src.rows, src.lines):
        iid = row["incident_id"]
        if iid not in ids:
            out.append(Problem(src.name, line, col["incident_id"], f"incident_id '{iid}' is not in incidents.csv"))
        sourced.add(iid)
        key = (iid, row["url"].strip())
        if key in seen:
            out.append(Problem(src.name, line, col["url"], f"url repeats line {seen[key]} for incident '{iid}'"))
        else:
            seen[key] = line
        if not row["source_id"].startswith(iid + "#"):
            out.append(Problem(src.name, line, col["source_id"], f"source_id should start with '{iid}#'"))
    if "relationship_source_id" in inc.header:
        owner = {row["source_id"]: row["incident_id"] for row in src.rows}
        column = inc.header.index("relationship_source_id") + 1
        for i, message in rules.relationship_sources(inc.rows, owner):
            out.append(Problem(inc.name, inc.lines[i], column, message))
    agreement = tables.get("coding_agreement")
    if agreement is not None and {"coder1_type", "agree"} <= set(agreement.header):
        valid = set(pkg.field("incidents", "provider_type").enum or ())
        published = {row["incident_id"]: row["provider_type"] for row in inc.rows if row["provider_type"] in valid}
        col_of = {n: i + 1 for i, n in enumerate(agreement.header)}
        for i, field, message in rules.agreement(agreement.rows, published):
            out.append(Problem(agreement.name, agreement.lines[i], col_of[field], message))
        coded = {row["incident_id"] for row in agreement.rows}
        for row, line in zip(agreement.rows, agreement.lines):
            if row["incident_id"] not in ids:
                out.append(
                    Problem(agreement.name, line, 1, f"incident_id '{row['incident_id']}' is not in incidents.csv")
                )
        for row, line in zip(inc.rows, inc.lines):
            if row["incident_id"] not in coded:
                out.append(
                    Problem(
                        inc.name,
                        line,
                        1,
                        f"rule A1: incident '{row['incident_id']}' has no second coding in coding_agreement.csv",
                    )
                )
    for row, line in zip(inc.rows, inc.lines):
        if row["incident_id"] not in sourced:
            out.append(Problem(inc.name, line, 1, f"incident '{row['incident_id']}' has no source in sources.csv"))
    return out
