"""The data package descriptor (`data/datapackage.json`) is the single source of truth.

Everything that needs a column name, a vocabulary or a description reads it from here, so the
validator, the loader, the UI and the exports cannot drift apart.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parents[3] / "data"
LIST_SEPARATOR = ";"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where the data lives: an explicit path, else `INCIDENTLENS_DATA`, else the repo's `data/`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("INCIDENTLENS_DATA")
    return Path(env) if env else REPO_DATA


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
        return dict(self.raw["x-provider-type-family"])

    @property
    def families(self) -> dict[str, str]:
        return dict(self.raw["x-provider-families"])


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Package:
    with open(path, encoding="utf-8") as fh:
        return Package(json.load(fh))


def load_package(directory: str | os.PathLike | None = None) -> Package:
    """Read `datapackage.json` from a data directory (cached until the file changes)."""
    path = data_dir(directory) / "datapackage.json"
    return _load(str(path), path.stat().st_mtime)


def humanise(code: str) -> str:
    """`break_fix` -> `Break fix`: a readable fallback label for a vocabulary code."""
    special = {
        "msp": "MSP",
        "mssp": "MSSP",
        "break_fix": "Break/fix",
        "consultant_var": "Consultant / reseller",
        "it_outsourcer": "IT outsourcer",
        "public_shared_it": "Public shared IT",
        "cloud_hosting": "Cloud / hosting",
        "non_it_supplier": "Non-IT supplier",
        "software_vendor": "Software vendor",
        "managed_it": "Managed IT",
        "reactive_project": "Reactive / project IT",
        "product_platform": "Product / platform",
        "non_it": "Non-IT",
        "it_provider_generic": "IT provider (generic)",
        "it_consultant": "IT consultant",
        "contractor_supplier": "Contractor / supplier",
        "mixed_or_hedged": "Mixed or hedged",
        "it_services": "IT services",
    }
    if code in special:
        return special[code]
    return code.replace("_", " ").capitalize()
