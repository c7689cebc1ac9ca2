"""The data package descriptor (`data/datapackage.json`) is the single source of truth.

Everything that needs a column name, a vocabulary or a description reads it from here, so the
validator, the loader, the UI and the exports cannot drift apart.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parents[3] / "data"
LIST_SEPARATOR = ";"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where the data lives: an explicit path, else `INCIDENTLENS_DATA`, else the repo's `data/`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("INCIDENTLENS_DATA")
    return Path(env) if env else REPO_DATA


class OutsideDataFolder(ValueError):
    """A resource path that would leave the data folder (absolute, `..`, a URL or a symlink out)."""


def resource_path(base: Path, path: object) -> Path:
    """The file a resource `path` names, refusing anything that is not a plain relative path
    that stays inside `base`, symlinks included."""
    if not isinstance(path, str) or not path or "\\" in path or ":" in path or "\0" in path:
        raise OutsideDataFolder(f"path {path!r} is not a plain relative file name")
    relative = Path(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise OutsideDataFolder(f"path {path!r} leaves the data folder")
    target = base / relative
    if not target.resolve().is_relative_to(base.resolve()):
        raise OutsideDataFolder(f"path {path!r} leads outside the data folder")
    return target


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool
    enum: tuple[str, ...] | None
    pattern: str | None
    is_list: bool
    item_enum: tuple[str, ...] | None
    item_pattern: str | None
    vocabulary: dict[str, str]


@dataclass(frozen=True)
class Package:
    """A parsed descriptor: resources, fields and the provider-type families."""

    raw: dict

    @property
    def version(self) -> str:
        return self.raw.get("version", "unversioned")

    @property
    def created(self) -> str:
        """Release date (YYYY-MM-DD) from the descriptor's `created` datetime."""
        return str(self.raw.get("created", ""))[:10]

    @property
    def title(self) -> str:
        return self.raw.get("title", "IncidentLens")

    @property
    def license(self) -> str:
        licenses = self.raw.get("licenses") or [{}]
        return licenses[0].get("name", "")

    def resource(self, name: str) -> dict:
        for res in self.raw["resources"]:
            if res["name"] == name:
                return res
        raise KeyError(name)

    def resource_names(self) -> list[str]:
        return [r["name"] for r in self.raw["resources"]]

    def fields(self, resource: str) -> list[Field]:
        out = []
        for f in self.resource(resource)["schema"]["fields"]:
            c = f.get("constraints", {})
            out.append(
                Field(
                    name=f["name"],
                    type=f.get("type", "string"),
                    description=f.get("description", ""),
                    required=bool(c.get("required")),
                    enum=tuple(c["enum"]) if "enum" in c else None,
                    pattern=c.get("pattern"),
                    is_list="x-list-separator" in f,
                    item_enum=tuple(f["x-item-enum"]) if "x-item-enum" in f else None,
                    item_pattern=f.get("x-item-pattern"),
                    vocabulary=dict(f.get("x-vocabulary", {})),
                )
            )
        return out

    def field(self, resource: str, name: str) -> Field:
        for f in self.fields(resource):
            if f.name == name:
                return f
        raise KeyError(f"{resource}.{name}")

    def columns(self, resource: str) -> list[str]:
        return [f.name for f in self.fields(resource)]

    def vocabulary(self, resource: str, name: str) -> dict[str, str]:
        return self.field(resource, name).vocabulary

    @property
    def type_family(self) -> dict[str, str]:
        return dict(self.raw.get("x-provider-type-family", {}))

    @property
    def families(self) -> dict[str, str]:
        return dict(self.raw.get("x-provider-families", {}))

    @cached_property
    def _labels(self) -> dict[str, str]:
        """Every code's display label: field `x-labels` and the provider families' labels."""
        out: dict[str, str] = {}
        for res in self.raw.get("resources", []):
            for f in res.get("schema", {}).get("fields", []):
                out.update({k: v for k, v in (f.get("x-labels") or {}).items() if k not in out})
        out.update({k: v for k, v in (self.raw.get("x-provider-family-labels") or {}).items() if k not in out})
        return out

    def _custom(self, resource: str, name: str, key: str) -> dict[str, str]:
        """A field's custom key (`x-colours`, `x-phrases` …); empty when the package lacks it."""
        for res in self.raw.get("resources", []):
            if res.get("name") == resource:
                for f in res.get("schema", {}).get("fields", []):
                    if f.get("name") == name:
                        return dict(f.get(key) or {})
        return {}

    @cached_property
    def _colours(self) -> dict[str, str]:
        return {
            **self._custom("incidents", "provider_type", "x-colours"),
            **(self.raw.get("x-provider-family-colours") or {}),
        }

    @cached_property
    def rule_types(self) -> dict[str, tuple[str, ...]]:
        """Which provider types each codebook T rule gives (`type_rule` field, `x-gives`)."""
        return {k: tuple(v) for k, v in self._custom("incidents", "type_rule", "x-gives").items()}

    @cached_property
    def required_alternatives(self) -> dict[str, tuple[str, str]]:
        """Rules that require an alternative coding: rule -> (alt_provider_type, alt_rule)."""
        found = self._custom("incidents", "type_rule", "x-requires-alternative")
        return {k: (v[0], v[1]) for k, v in found.items()}

    def label(self, code: str) -> str:
        """Display label of a vocabulary code; a readable fallback for codes without one."""
        return self._labels.get(code) or fallback_label(str(code))

    def colour(self, code: str) -> str:
        """Chart colour of a provider type or family; neutral grey for any other code."""
        return self._colours.get(code, NEUTRAL_COLOUR)

    def phrase(self, code: str) -> str:
        """How a provider type reads in a sentence ("an IT outsourcer", "public shared IT")."""
        return self._custom("incidents", "provider_type", "x-phrases").get(code) or self.label(code).lower()


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Package:
    with open(path, encoding="utf-8") as fh:
        return Package(json.load(fh))


def load_package(directory: str | os.PathLike | None = None) -> Package:
    """Read `datapackage.json` from a data directory (cached until the file changes)."""
    path = data_dir(directory) / "datapackage.json"
    return _load(str(path), path.stat().st_mtime)


NEUTRAL_COLOUR = "#999999"


def fallback_label(code: str) -> str:
    """`break_fix` -> `Break fix`: for a code the package gives no label (a user's own data)."""
    return code.replace("_", " ").capitalize()


def humanise(code: str) -> str:
    """The display label of a vocabulary code, from the active data package's `x-labels`."""
    return load_package().label(code)
