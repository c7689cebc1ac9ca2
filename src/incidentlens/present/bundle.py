"""A citable, self-describing zip of the rows matching a filter: the curated CSVs (exact
original cells, rows filtered), the same as Parquet, a datapackage.json describing exactly
those files, CITATION.cff and a README.

The curated CSVs are the exact data, because that is what the descriptor describes and a citation
refers to, so a cell may start with `=`, `+`, `-` or `@`. For spreadsheets the bundle carries a
second copy of each table under `spreadsheet/`, made safe like the other CSV downloads (an
apostrophe before such a text cell; numbers untouched), and the README says which is which."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import zipfile

import pandas as pd

from incidentlens import links
from incidentlens.data.database import Database
from incidentlens.data.schema import resource_path
from incidentlens.data.spreadsheet import neutralise
from incidentlens.present import exports, narrative
from incidentlens.query import queries
from incidentlens.query.filters import Filters


def _filtered_rows(db: Database, resource: str, keep: set[str] | None) -> tuple[list[str], list[dict[str, str]]]:
    """The resource's header and the rows whose incident_id is in `keep` (None keeps all)."""
    path = resource_path(db.directory, db.package.resource(resource)["path"])
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), [r for r in reader if keep is None or r["incident_id"] in keep]


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _spreadsheet_safe(db: Database, resource: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with every text cell that a spreadsheet would run as a formula neutralised."""
    numbers = {f.name for f in db.package.fields(resource) if f.type in ("integer", "number")}
    return [{k: v if k in numbers else neutralise(v) for k, v in row.items()} for row in rows]


SPREADSHEET = "spreadsheet"
SPREADSHEET_NOTE = (
    "## CSV files and spreadsheets\n"
    "The CSV files at the top of the bundle hold every cell exactly as published: that is what "
    "`datapackage.json` describes and what a citation refers to. So a text cell may start with `=`, `+`, "
    "`-` or `@`, and a spreadsheet program that opens such a file directly may run that cell as a formula. "
    f"To open the tables in a spreadsheet, use the copies in `{SPREADSHEET}/`: the same rows, with an "
    "apostrophe before every text cell that starts with `=`, `+`, `-`, `@`, a tab or a CR (numbers are "
    "left as they are). For analysis in R, Python or a database, use the exact files or the Parquet copies."
)


def citation_cff(db: Database, today: dt.date) -> str:
    pkg = db.package
    return (
        "cff-version: 1.2.0\n"
        "message: If you use this dataset, please cite it as below.\n"
        "type: dataset\n"
        f'title: "{pkg.title}"\n'
        "authors:\n  - name: IncidentLens contributors\n"
        f'version: "{pkg.version}"\n'
        f'date-released: "{pkg.created or today.isoformat()}"\n'
        "license: CC-BY-4.0\n"
    )


def build(db: Database, f: Filters, permalink: str, today: dt.date | None = None) -> bytes:
    today = today or dt.date.today()
    ids = set(queries.incidents(db, f, ["incident_id"])["incident_id"])
    meta = exports.metadata(db, f)
    files: dict[str, bytes] = {}
    descriptor = copy.deepcopy(db.package.raw)
    descriptor["x-filter"] = {
        "description": meta["filter"],
        "query": meta["query"],
        "permalink": permalink,
        "local_copy": links.is_local(permalink),
        "exported": today.isoformat(),
        "incidents": len(ids),
    }
    parquet = {}
    for res in db.package.resource_names():
        keep = None if res == "policy_actions" else ids
        header, rows = _filtered_rows(db, res, keep)
        name = db.package.resource(res)["path"]
        files[name] = _csv(header, rows)
        files[f"{SPREADSHEET}/{name}"] = _csv(header, _spreadsheet_safe(db, res, rows))
        frame = pd.DataFrame(rows, columns=header, dtype="string")
        files[name.replace(".csv", ".parquet")] = exports.parquet_bytes(frame, meta)
        parquet[res] = name.replace(".csv", ".parquet")
    descriptor["x-parquet"] = parquet
    files["datapackage.json"] = json.dumps(descriptor, indent=2, ensure_ascii=False).encode()
    files["CITATION.cff"] = citation_cff(db, today).encode()
    cite = narrative.dataset_citation(db.version, db.package.created, today)
    local = f"\n**Note:** {links.LOCAL_NOTE}. {links.HOW_TO_SET}\n" if links.is_local(permalink) else ""
    empty = (
        ""
        if ids
        else ("\n**This filter matches no incident**, so incidents.csv and sources.csv hold only their header rows.\n")
    )
    files["README.md"] = (
        f"# IncidentLens data bundle\n\nDataset version: {db.version}\n\nFilter: {meta['filter']}\n\n"
        f"Incidents: {len(ids)}\n\nView online: {permalink}\n{local}{empty}\n"
        "## Files\n- `incidents.csv`, `sources.csv`: the curated rows matching the filter, cells exactly as "
        "published; `policy_actions.csv`: every government action (not filtered).\n"
        f"- `{SPREADSHEET}/`: the same tables to open in a spreadsheet (see below).\n"
        "- The same tables as Parquet (all columns as text, as in the CSVs).\n"
        "- `datapackage.json`: Frictionless Data Package describing these files (types, vocabularies, keys).\n"
        "- `CITATION.cff`: how to cite the dataset.\n\n"
        f"{SPREADSHEET_NOTE}\n\n"
        f"## Licence\nData: CC BY 4.0. Source URLs are references, not copied content.\n\n"
        f"## How to cite\n{cite['apa']}\n\n```bibtex\n{cite['bibtex']}\n```\n"
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()
