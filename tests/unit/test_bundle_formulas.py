"""Issue 15.8: the data bundle's CSVs and formulas. Decision: the CSVs at the top of the bundle are
the exact data (what datapackage.json describes and a citation refers to); a spreadsheet-safe copy
of each table sits in spreadsheet/, and the bundle README and the page next to the download say so."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from incidentlens.data.database import load
from incidentlens.data.spreadsheet import FORMULA_START
from incidentlens.data.validate import validate
from incidentlens.present import bundle
from incidentlens.query.filters import Filters

FORMULAS = {"title": "=1+1", "summary": "@SUM(A1)", "provider_name": "-2+3", "type_basis": "+cmd|' /C calc'!A0"}
TOWN = "2019-08-fx-town-msp"


@pytest.fixture
def formula_db(data_dir):
    path = data_dir / "incidents.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    town = next(r for r in rows if r["incident_id"] == TOWN)
    town.update(FORMULAS)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    assert validate(data_dir) == [], "formula-looking text is valid data"
    return load(data_dir)


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {
            name: list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"), newline="")))
            for name in zf.namelist()
            if name.endswith(".csv")
        } | {"README.md": zf.read("README.md").decode("utf-8")}


def test_the_bundle_csvs_are_the_exact_data(formula_db):
    files = _tables(bundle.build(formula_db, Filters(), "https://incidentlens.example.org/explorer"))
    town = next(r for r in files["incidents.csv"] if r["incident_id"] == TOWN)
    assert {k: town[k] for k in FORMULAS} == FORMULAS


def test_the_spreadsheet_copies_are_formula_safe_and_keep_numbers(formula_db):
    files = _tables(bundle.build(formula_db, Filters(), "https://incidentlens.example.org/explorer"))
    for name in ("incidents.csv", "sources.csv", "policy_actions.csv"):
        safe = files[f"{bundle.SPREADSHEET}/{name}"]
        assert len(safe) == len(files[name])
        numbers = {
            f.name for f in formula_db.package.fields(name.removesuffix(".csv")) if f.type in ("integer", "number")
        }
        assert [v for row in safe for k, v in row.items() if k not in numbers and v.startswith(FORMULA_START)] == []
        for exact, row in zip(files[name], safe):
            assert {k: row[k] for k in numbers} == {k: exact[k] for k in numbers}
    town = next(r for r in files[f"{bundle.SPREADSHEET}/incidents.csv"] if r["incident_id"] == TOWN)
    assert {k: town[k] for k in FORMULAS} == {k: "'" + v for k, v in FORMULAS.items()}


def test_the_bundle_readme_says_which_csv_is_which(formula_db):
    readme = _tables(bundle.build(formula_db, Filters(), "https://incidentlens.example.org/explorer"))["README.md"]
    assert "exactly as published" in readme and "formula" in readme and f"`{bundle.SPREADSHEET}/`" in readme
