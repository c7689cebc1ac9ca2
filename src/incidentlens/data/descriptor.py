"""Checks on `datapackage.json` itself, before any CSV is read: the shape that the validator,
the loader and the pages read, resource paths that stay inside the data folder, the project's
custom keys (`x-labels`, `x-colours`, `x-gives` ...) in the shape the code reads them, and
display text without markup.

A custom key may be missing (the code falls back to plain codes, grey and no rule checks); one
that is present must have its shape. Each finding names the JSON path it is about, so the
validator can report its line and column; with any finding the CSVs are not checked, since the
checks read the descriptor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from frictionless import FrictionlessException, Schema

from incidentlens.data.markup import markup
from incidentlens.data.schema import LIST_SEPARATOR, OutsideDataFolder, resource_path

JsonPath = tuple[str | int, ...]
# The resources the pages query, and the columns they read as lists.
RESOURCES = ("incidents", "sources", "policy_actions")
LIST_COLUMNS = {
    "incidents": ("countries", "us_states", "victim_sectors"),
    "policy_actions": ("jurisdictions", "provider_types_named", "source_urls"),
}
# Columns the pages show as links: checked as http(s) addresses (markup rules do not apply).
LINK_COLUMNS = {"sources": ("url",), "policy_actions": ("source_urls",)}
# Columns whose x-vocabulary the pages read as the list of codes (filter options, sort orders,
# the policy page's kinds), so it must be there and name every code; elsewhere it is optional.
VOCABULARY_COLUMNS = {
    "incidents": ("provider_type", "victim_sectors", "route", "attack_type", "type_confidence", "type_rule"),
    "sources": ("label_term", "speaker_type"),
    "policy_actions": ("kind",),
}
# Columns the pages compute with: the loader types each column from its declared type.
TYPED_COLUMNS = {
    "incidents": {
        "attack_date": "date",
        "disclosed_date": "date",
        "last_reviewed": "date",
        "downstream_orgs_min": "integer",
        "downstream_orgs_max": "integer",
        "ransom_demand_usd": "number",
    },
    "sources": {"published_date": "date"},
    "policy_actions": {"date": "date"},
}
# Resource and field names become table and column names in SQL.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$")
CREATED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The only cell the loader reads as missing is the empty one.
MISSING = [""]


@dataclass(frozen=True)
class Finding:
    path: JsonPath
    message: str


def _text(value: object) -> str | None:
    """Why a display string is unusable, or None."""
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    found = markup(value)
    return f"holds {found}; display text is shown as written" if found else None


def _map(check: Callable[[object], str | None]) -> Callable[[object], str | None]:
    """A check for an object of code -> value, each value passing `check`."""

    def inner(value: object) -> str | None:
        if not isinstance(value, dict):
            return f"must be an object of code: value, not {type(value).__name__}"
        for code, item in value.items():
            why = _text(code) or check(item)
            if why:
                return f"'{str(code)[:40]}' {why}"
        return None

    return inner


def _colour(value: object) -> str | None:
    return None if isinstance(value, str) and COLOUR.match(value) else "must be a colour like '#0072B2'"


def _codes(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and not _text(v) for v in value):
        return None
    return "must be a list of codes"


def _pair(value: object) -> str | None:
    if isinstance(value, list) and len(value) == 2 and _codes(value) is None:
        return None
    return "must be [alternative type, rule]"


def _separator(value: object) -> str | None:
    return None if value == LIST_SEPARATOR else f"must be '{LIST_SEPARATOR}' (the loader splits lists on it)"


def _regex(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a regular expression"
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


PACKAGE_KEYS: dict[str, Callable[[object], str | None]] = {
    "x-provider-families": _map(_text),
    "x-provider-type-family": _map(_text),
    "x-provider-family-labels": _map(_text),
    "x-provider-family-colours": _map(_colour),
}
FIELD_KEYS: dict[str, Callable[[object], str | None]] = {
    "title": _text,
    "description": _text,
    "x-vocabulary": _map(_text),
    "x-labels": _map(_text),
    "x-phrases": _map(_text),
    "x-colours": _map(_colour),
    "x-gives": _map(_codes),
    "x-requires-alternative": _map(_pair),
    "x-list-separator": _separator,
    "x-item-enum": _codes,
    "x-item-pattern": _regex,
}


def check(raw: object, base: Path) -> list[Finding]:
    """Every problem with the descriptor (empty: the CSVs can be checked against it)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("resources"), list) or not raw["resources"]:
        return [Finding((), "not a data package: expected an object with a non-empty 'resources' list")]
    out = _package(raw)
    names: list[str] = []
    for i, res in enumerate(raw["resources"]):
        found = _resource(res, (("resources", i)), base)
        out += found
        if isinstance(res, dict) and isinstance(res.get("name"), str):
            if res["name"] in names:
                out.append(Finding(("resources", i, "name"), f"resource name '{res['name']}' is used twice"))
            names.append(res["name"])
    for name in RESOURCES:
        if name not in names:
            out.append(Finding(("resources",), f"the dashboard needs a resource named '{name}'"))
    return out or _families(raw)


def _codes_of(field: dict) -> list:
    """A field's codes (its enum or x-item-enum), or [] when it has none in a usable shape."""
    found = field.get("constraints")
    constraints: dict = found if isinstance(found, dict) else {}
    codes = constraints.get("enum") or field.get("x-item-enum") or []
    return codes if isinstance(codes, list) else []


def _families(raw: dict) -> list[Finding]:
    """Every provider type has a family: the pages list the types from x-provider-type-family."""
    incidents = next(r for r in raw["resources"] if r["name"] == "incidents")
    types = next((_codes_of(f) for f in incidents["schema"]["fields"] if f["name"] == "provider_type"), [])
    missing = [code for code in types if code not in raw.get("x-provider-type-family", {})]
    if missing:
        return [
            Finding(
                ("x-provider-type-family",),
                f"x-provider-type-family needs every provider type; missing {', '.join(missing[:5])}",
            )
        ]
    return []


def _package(raw: dict) -> list[Finding]:
    out = []
    for key in ("title", "description"):
        if key in raw and _text(raw[key]):
            out.append(Finding((key,), f"{key} {_text(raw[key])}"))
    if "version" in raw and not (isinstance(raw["version"], str) and VERSION.match(raw["version"])):
        out.append(Finding(("version",), "version must be like 2027.01.0 (letters, digits, '.', '+', '-')"))
    if "created" in raw and not (isinstance(raw["created"], str) and CREATED.match(raw["created"])):
        out.append(Finding(("created",), "created must be a date or datetime like 2026-12-02T00:00:00Z"))
    for key in ("licenses", "contributors"):
        items = raw.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            out.append(Finding((key,), f"{key} must be a list of objects"))
            continue
        for i, item in enumerate(items):
            for name in ("name", "title"):
                if name in item and _text(item[name]):
                    out.append(Finding((key, i, name), f"{key}[{i}].{name} {_text(item[name])}"))
    for key, shape in PACKAGE_KEYS.items():
        if key in raw and shape(raw[key]):
            out.append(Finding((key,), f"{key} {shape(raw[key])}"))
    return out


def _resource(res: object, at: JsonPath, base: Path) -> list[Finding]:
    if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not NAME.match(res["name"]):
        return [Finding(at, "each resource needs a 'name' of lower-case letters, digits and '_'")]
    name = res["name"]
    out = []
    try:
        resource_path(base, res.get("path"))
    except OutsideDataFolder as exc:
        out.append(Finding((*at, "path"), f"resource '{name}': {exc}"))
    for key in ("title", "description"):
        if key in res and _text(res[key]):
            out.append(Finding((*at, key), f"resource '{name}': {key} {_text(res[key])}"))
    schema = res.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        return [*out, Finding((*at, "schema"), f"resource '{name}' needs a 'schema' with a list of 'fields'")]
    fields = schema["fields"]
    if schema.get("missingValues", MISSING) != MISSING:
        out.append(
            Finding(
                (*at, "schema", "missingValues"),
                f"resource '{name}': missingValues must be [\"\"] (only an empty cell is missing)",
            )
        )
    seen: set[str] = set()
    for i, field in enumerate(fields):
        where = (*at, "schema", "fields", i)
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not NAME.match(field["name"]):
            out.append(
                Finding(where, f"resource '{name}': field {i + 1} needs a 'name' of lower-case letters, digits and '_'")
            )
            continue
        if field["name"] in seen:
            out.append(Finding((*where, "name"), f"{name}.{field['name']}: the field name is used twice"))
        seen.add(field["name"])
        out += _field(name, field, where)
    out += _lists(name, fields, (*at, "schema", "fields"))
    if not out:
        out += _frictionless(name, schema, (*at, "schema"))
    return out


def _field(resource: str, field: dict, at: JsonPath) -> list[Finding]:
    label = f"{resource}.{field['name']}"
    out = []
    for key, shape in FIELD_KEYS.items():
        why = shape(field[key]) if key in field else None
        if why:
            out.append(Finding((*at, key), f"{label}: {key} {why}"))
    constraints = field.get("constraints", {})
    if not isinstance(constraints, dict):
        return [*out, Finding((*at, "constraints"), f"{label}: constraints must be an object")]
    if "pattern" in constraints and _regex(constraints["pattern"]):
        out.append(Finding((*at, "constraints", "pattern"), f"{label}: pattern {_regex(constraints['pattern'])}"))
    if "enum" in constraints and _codes(constraints["enum"]):
        out.append(Finding((*at, "constraints", "enum"), f"{label}: enum {_codes(constraints['enum'])}"))
    return out


def _lists(resource: str, fields: list, at: JsonPath) -> list[Finding]:
    """The columns the pages read as lists, as code lists or compute with must be declared so."""
    out = []
    index = {f.get("name"): i for i, f in enumerate(fields) if isinstance(f, dict)}
    for column, kind in TYPED_COLUMNS.get(resource, {}).items():
        if column not in index:
            out.append(Finding(at, f"{resource}.{column}: the dashboard needs this column"))
        elif fields[index[column]].get("type", "string") != kind:
            out.append(
                Finding(
                    (*at, index[column]),
                    f'{resource}.{column}: the dashboard computes with this column; declare "type": "{kind}"',
                )
            )
    for i, field in enumerate(fields):
        if not isinstance(field, dict) or not isinstance(field.get("x-vocabulary"), dict):
            if isinstance(field, dict) and field.get("name") in VOCABULARY_COLUMNS.get(resource, ()):
                out.append(
                    Finding(
                        (*at, i),
                        f"{resource}.{field['name']}: the dashboard lists this column's codes "
                        "from its x-vocabulary; declare one",
                    )
                )
            continue
        missing = [code for code in _codes_of(field) if code not in field["x-vocabulary"]]
        if missing:
            out.append(
                Finding(
                    (*at, i, "x-vocabulary"),
                    f"{resource}.{field['name']}: x-vocabulary needs every "
                    f"code; missing {', '.join(map(str, missing[:5]))}",
                )
            )
    for column in LIST_COLUMNS.get(resource, ()):
        if column not in index:
            out.append(Finding(at, f"{resource}.{column}: the dashboard needs this list column"))
        elif "x-list-separator" not in fields[index[column]]:
            out.append(
                Finding(
                    (*at, index[column]),
                    f"{resource}.{column}: the dashboard reads this column as a "
                    f'list; declare "x-list-separator": "{LIST_SEPARATOR}"',
                )
            )
    return out


def _frictionless(resource: str, schema: dict, at: JsonPath) -> list[Finding]:
    """The Table Schema itself (types, constraints, keys), as frictionless reads it."""
    descriptor = {k: v for k, v in schema.items() if k != "foreignKeys"}
    try:
        Schema.from_descriptor(descriptor)
    except FrictionlessException as exc:
        reasons = "; ".join(r.message for r in exc.reasons) if exc.reasons else exc.error.message
        return [Finding(at, f"resource '{resource}': {reasons}")]
    return []
