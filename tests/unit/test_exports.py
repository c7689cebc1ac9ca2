"""Downloads: spreadsheet formats neutralise formulas, program formats round-trip exactly.

The payload dataset puts formula-looking text into a copy of the fixture. Tabs and carriage
returns are control characters the validator rejects, so that copy is loaded with check=False:
the exports must still be safe if such text ever gets in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import shutil
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from incidentlens.data.database import load
from incidentlens.present import exports
from incidentlens.query import queries
from incidentlens.query.filters import Filters

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TOWN, DENTAL = "2019-08-fx-town-msp", "2019-08-fx-dental-vendor"
PAYLOAD = {  # column -> text written into the town row
    "title": '=HYPERLINK("http://x")',
    "summary": "+1+1",
    "provider_name": "-2",
    "type_basis": "@SUM(A1)",
    "disagreements": "\tx",
    "malware": "\r\n=1+1",  # DuckDB's reader refuses a lone CR inside a quoted cell, so CR LF
}
MESSY = 'Line one\nline "two", with a comma\r\nand a CR LF'  # dental summary: must survive as is
# exports.flat() takes any value with .tolist() for a list, and numpy scalars have one.
NUMERIC = [
    "downstream_orgs_min",
    "downstream_orgs_max",
    "ransom_demand_usd",
    "label_count",
    "source_count",
    "independent_sources",
]


@pytest.fixture(scope="module")
def payload_db(fixture_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("payload") / "data"
    shutil.copytree(fixture_dir, d)
    with open(d / "incidents.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    for row in table[1:]:
        if row[0] == TOWN:
            for col, value in PAYLOAD.items():
                row[header.index(col)] = value
            row[header.index("downstream_orgs_min")] = "-5"  # a number that starts with '-'
        if row[0] == DENTAL:
            row[header.index("summary")] = MESSY
    with open(d / "incidents.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(table)
    return load(d, check=False)


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def by_id(records: list[dict], key: str = "incident_id") -> dict[str, dict]:
    return {r[key]: r for r in records}


def plain(value):
    """A value from queries.incidents() in JSON terms: dates as ISO text, NA as None, lists as lists."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---- the neutralising helpers -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_neutralise_prefixes_an_apostrophe(text):
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["a=b", "", "'already", "1-2", 5, -5, -2.5, None, True])
def test_neutralise_leaves_other_values_alone(value):
    assert exports.neutralise(value) is value or exports.neutralise(value) == value


def test_spreadsheet_safe_covers_headers_and_keeps_numbers():
    df = pd.DataFrame({"=cmd|' /C calc'!A0": ["-x"], "n": [-1], "f": [-2.5], "plain": ["ok"]})
    out = exports.spreadsheet_safe(df)
    assert list(out.columns) == ["'=cmd|' /C calc'!A0", "n", "f", "plain"]
    assert out.iloc[0].tolist() == ["'-x", -1, -2.5, "ok"]
    assert out["n"].dtype == df["n"].dtype and out["f"].dtype == df["f"].dtype


# ---- CSV ---------------------------------------------------------------------------------------


def test_csv_neutralises_every_formula_cell(payload_db):
    data = exports.to_bytes(payload_db, Filters(), "csv")
    rows = read_csv(data)
    town = by_id(rows)[TOWN]
    for col, text in PAYLOAD.items():
        assert town[col] == "'" + text, col
    header = next(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    cells = header + [v for r in rows for k, v in r.items() if k not in NUMERIC]
    assert not [c for c in cells if c.startswith(TRIGGERS)]


def test_csv_numbers_stay_numbers(payload_db):
    rows = by_id(read_csv(exports.to_bytes(payload_db, Filters(), "csv")))
    assert rows[TOWN]["downstream_orgs_min"] == "-5"
    assert rows[TOWN]["downstream_orgs_max"] == "23"
    assert float(rows[TOWN]["ransom_demand_usd"]) == 2_500_000
    assert rows[DENTAL]["downstream_orgs_min"] == "400"


def test_csv_keeps_newlines_quotes_and_commas_inside_cells(payload_db):
    data = exports.to_bytes(payload_db, Filters(), "csv")
    rows = by_id(read_csv(data))
    assert rows[DENTAL]["summary"] == MESSY
    assert len(rows) == 9, "an embedded line break must not split a row"
    assert len(pd.read_csv(io.BytesIO(data), dtype=str)) == 9


def test_csv_carries_version_and_filter_on_every_row(db):
    f = Filters(country=("US",))
    rows = read_csv(exports.to_bytes(db, f, "csv"))
    assert {r["dataset_version"] for r in rows} == {db.version}
    assert {r["filter_description"] for r in rows} == {f.describe()}


def test_csv_lists_and_dates_look_like_the_curated_files(db, fixture_dir):
    rows = by_id(read_csv(exports.to_bytes(db, Filters(), "csv")))
    with open(fixture_dir / "incidents.csv", newline="", encoding="utf-8") as fh:
        curated = by_id(list(csv.DictReader(fh)))
    for iid, original in curated.items():
        for col in ("countries", "us_states", "victim_sectors", "attack_date", "disclosed_date", "title"):
            assert rows[iid][col] == original[col], (iid, col)


# ---- XLSX --------------------------------------------------------------------------------------


def _sheet(data: bytes, name: str):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


def test_xlsx_has_no_formulas_and_neutralised_text(payload_db):
    data = exports.to_bytes(payload_db, Filters(), "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    ws = _sheet(data, "incidents")
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == TOWN)
    cells = dict(zip(header, row))
    for col, text in PAYLOAD.items():
        # OOXML stores CR as the escape _x000D_, which openpyxl leaves as is (Excel decodes it).
        assert cells[col].value.replace("_x000D_", "\r") == "'" + text, col
        assert cells[col].data_type == "s"
    for r in ws.iter_rows():
        for c in r:
            assert c.data_type != "f"
            if isinstance(c.value, str):
                assert not c.value.startswith(TRIGGERS), c.value


def test_xlsx_numbers_stay_numbers(payload_db):
    ws = _sheet(exports.to_bytes(payload_db, Filters(), "xlsx"), "incidents")
    header = [c.value for c in ws[1]]
    cells = dict(zip(header, next(r for r in ws.iter_rows(min_row=2) if r[0].value == TOWN)))
    assert cells["downstream_orgs_min"].data_type == "n" and cells["downstream_orgs_min"].value == -5
    assert cells["downstream_orgs_max"].data_type == "n" and cells["downstream_orgs_max"].value == 23
    assert cells["ransom_demand_usd"].data_type == "n" and cells["ransom_demand_usd"].value == 2_500_000
    assert cells["source_count"].value == 3


def test_xlsx_about_sheet(db):
    f = Filters(sector=("dental",))
    about = {r[0].value: r[1].value for r in _sheet(exports.to_bytes(db, f, "xlsx"), "about").iter_rows(min_row=2)}
    assert about["dataset_version"] == db.version
    assert about["filter"] == f.describe()
    assert about["query"] == "sector=dental"


# ---- JSON and Parquet ---------------------------------------------------------------------------


def test_json_round_trips_the_values_exactly(payload_db):
    doc = json.loads(exports.to_bytes(payload_db, Filters(), "json"))
    df = queries.incidents(payload_db, Filters())
    assert doc["n"] == len(df) == len(doc["incidents"])
    records = by_id(doc["incidents"])
    for row in df.to_dict("records"):
        got = records[row["incident_id"]]
        for col in exports.table(payload_db, Filters()).columns:
            assert got[col] == plain(row[col]), col
    town = records[TOWN]
    for col, text in PAYLOAD.items():
        assert town[col] == text, "JSON is for programs: no apostrophes"
    assert records[DENTAL]["summary"] == MESSY
    assert doc["dataset_version"] == payload_db.version


def test_parquet_round_trips_the_values_exactly(payload_db):
    tbl = pq.read_table(io.BytesIO(exports.to_bytes(payload_db, Filters(), "parquet")))
    df = queries.incidents(payload_db, Filters())
    records = by_id(tbl.to_pylist())
    assert len(records) == len(df)
    for row in df.to_dict("records"):
        got = records[row["incident_id"]]
        for col in exports.table(payload_db, Filters()).columns:
            assert plain(got[col]) == plain(row[col]), col
    assert records[TOWN]["title"] == PAYLOAD["title"]
    assert records[TOWN]["downstream_orgs_min"] == -5
    assert records[DENTAL]["summary"] == MESSY
    meta = tbl.schema.metadata
    assert meta[b"incidentlens.dataset_version"].decode() == payload_db.version
    assert meta[b"incidentlens.filter"].decode() == "all incidents"


def test_parquet_keeps_types(db):
    tbl = pq.read_table(io.BytesIO(exports.to_bytes(db, Filters(), "parquet")))
    schema = tbl.schema
    assert str(schema.field("downstream_orgs_min").type) == "int64"
    assert str(schema.field("countries").type).startswith("list<")
    assert str(schema.field("labelled_msp").type) == "bool"


# ---- filters and empty results -----------------------------------------------------------------

EMPTY = Filters(q="no such words")


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_filtered_export_holds_exactly_the_matching_incidents(db, fmt):
    f = Filters(country=("US",), years=(2019, 2019))
    expected = set(queries.incidents(db, f)["incident_id"])
    data = exports.to_bytes(db, f, fmt)
    if fmt == "csv":
        got = [r["incident_id"] for r in read_csv(data)]
    elif fmt == "json":
        got = [r["incident_id"] for r in json.loads(data)["incidents"]]
    elif fmt == "parquet":
        got = pq.read_table(io.BytesIO(data)).column("incident_id").to_pylist()
    else:
        got = [r[0].value for r in _sheet(data, "incidents").iter_rows(min_row=2)]
    assert sorted(got) == sorted(expected)
    assert len(expected) == 3  # town, dental vendor, nursing homes: hand-checked in the fixture


def test_empty_csv_is_valid_with_the_full_header(db):
    data = exports.to_bytes(db, EMPTY, "csv")
    assert read_csv(data) == []
    header = next(csv.reader(io.StringIO(data.decode())))
    assert header[:2] == ["incident_id", "title"]
    assert header[-2:] == ["dataset_version", "filter_description"]


def test_empty_json(db):
    doc = json.loads(exports.to_bytes(db, EMPTY, "json"))
    assert doc["n"] == 0 and doc["incidents"] == []
    assert doc["dataset_version"] == db.version
    assert doc["filter"] == EMPTY.describe() == 'incidents matching "no such words"'
    assert doc["query"] == "q=no+such+words"


def test_empty_parquet(db):
    tbl = pq.read_table(io.BytesIO(exports.to_bytes(db, EMPTY, "parquet")))
    assert tbl.num_rows == 0
    assert tbl.column_names == list(exports.table(db, Filters()).columns)
    assert tbl.schema.metadata[b"incidentlens.dataset_version"].decode() == db.version
    assert tbl.schema.metadata[b"incidentlens.filter"].decode() == EMPTY.describe()


def test_empty_xlsx(db):
    data = exports.to_bytes(db, EMPTY, "xlsx")
    ws = _sheet(data, "incidents")
    assert ws.max_row == 1
    assert [c.value for c in ws[1]][:2] == ["incident_id", "title"]
    about = {r[0].value: r[1].value for r in _sheet(data, "about").iter_rows(min_row=2)}
    assert about["dataset_version"] == db.version
    assert about["filter"] == EMPTY.describe()


def test_unknown_format_is_refused(db):
    with pytest.raises(ValueError, match="unknown format"):
        exports.to_bytes(db, Filters(), "exe")


def test_file_names(db):
    assert exports.filename(db, "csv") == f"incidentlens-{db.version}-incidents.csv"
    assert exports.filename(db, "bundle", stem="all") == f"incidentlens-{db.version}-all.zip"


# ---- CSV and Parquet are built in DuckDB: the same files as the pandas path -----------------------


SAME_FILTERS = [Filters(), Filters(country=("US",), years=(2019, 2019)), Filters(sector=("dental",)), EMPTY]


@pytest.mark.parametrize("f", SAME_FILTERS, ids=lambda f: f.to_query_string() or "all")
def test_csv_from_sql_is_byte_identical_to_the_csv_from_the_frame(db, payload_db, f):
    """Large CSVs are written in SQL, small ones from the frame: the same bytes either way."""
    for data in (db, payload_db):
        meta = exports.metadata(data, f)
        from_frame = exports.frame_csv_bytes(exports.table(data, f), meta)
        assert exports.csv_bytes(data, f, meta) == from_frame
        assert exports.to_bytes(data, f, "csv") == from_frame


@pytest.mark.parametrize("f", SAME_FILTERS[:3], ids=lambda f: f.to_query_string() or "all")
def test_parquet_is_the_same_table_as_the_pandas_path(payload_db, f):
    meta = exports.metadata(payload_db, f)
    new = pq.read_table(io.BytesIO(exports.to_bytes(payload_db, f, "parquet")))
    old = pq.read_table(io.BytesIO(exports.parquet_bytes(exports.table(payload_db, f), meta)))
    assert new.equals(old, check_metadata=True)  # values, types, and pandas' and our metadata


def test_empty_parquet_keeps_the_column_types(db):
    empty = pq.read_table(io.BytesIO(exports.to_bytes(db, EMPTY, "parquet"))).schema
    full = pq.read_table(io.BytesIO(exports.to_bytes(db, Filters(), "parquet"))).schema
    assert [(f.name, f.type) for f in empty] == [(f.name, f.type) for f in full]


def test_csv_quotes_a_lone_carriage_return():
    line = ",".join(exports.csv_cell(v) for v in ("a\rb", 'say "hi"', "x,y", "plain"))
    assert line == '"a\rb","say ""hi""","x,y",plain'
    assert next(csv.reader(io.StringIO(line, newline=""))) == ["a\rb", 'say "hi"', "x,y", "plain"]
