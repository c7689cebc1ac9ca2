"""Downloads of every row matching a filter: CSV, JSON, Parquet and Excel.

CSV and Excel are opened by spreadsheet programs that execute text starting with `=`, `+`, `-`,
`@`, tab or CR as a formula, so such text cells get a leading apostrophe (OWASP's advice); numbers
are never touched. JSON and Parquet are for programs and round-trip the values exactly.

Parquet, and CSV of more than SMALL_CSV rows, come straight from DuckDB's Arrow output without a
pandas frame: each CSV line is written in SQL, cell by cell as Python's csv module writes the frame
the JSON and Excel files are built from (`spreadsheet_safe(flat(table(...)))`), so the file is the
same either way, only several times faster to make at 10k rows and more. Planning that SQL costs
about 30 ms, so a small CSV is quicker from the frame.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from incidentlens.data.database import Database
from incidentlens.data.spreadsheet import FORMULA_START, neutralise
from incidentlens.query import queries
from incidentlens.query.filters import Filters

FORMATS = ("csv", "json", "parquet", "xlsx")
NAMES = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel (.xlsx)"}  # as on a button
DERIVED = [
    "provider_family",
    "labelled_msp",
    "msp_label_by",
    "label_terms",
    "label_count",
    "source_count",
    "independent_sources",
]
# A CSV cell holding any of these is quoted, its quotes doubled: what Python's csv module does with
# lineterminator="\n", and a lone CR too (the validator keeps CR out of the data).
CSV_QUOTED = (",", '"', "\n", "\r")
SMALL_CSV = 500  # rows: about where the two ways of writing a CSV take the same time (benchmarks/README.md)


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists joined with ';' and dates as ISO text: the shape of the curated CSVs."""
    out = df.copy()
    for col in out.columns:
        sample = out[col].dropna()
        first = sample.iloc[0] if len(sample) else None
        if isinstance(first, (list, tuple, np.ndarray)):
            out[col] = out[col].map(lambda v: ";".join(map(str, v)) if v is not None else "")
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d").fillna("")
    return out


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns={c: neutralise(str(c)) for c in df.columns})
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def metadata(db: Database, f: Filters) -> dict[str, str]:
    return {
        "dataset": "IncidentLens",
        "dataset_version": db.version,
        "filter": f.describe(db.package),
        "query": f.to_query_string(),
        "exported": dt.date.today().isoformat(),
        "licence": db.package.license,
    }


def columns(db: Database) -> list[str]:
    """The exported columns: the curated ones in their order, then the derived ones."""
    return db.package.columns("incidents") + DERIVED


def table(db: Database, f: Filters) -> pd.DataFrame:
    """All columns of every matching incident, in the curated column order, plus derived ones."""
    return queries.incidents(db, f)[columns(db)]


def to_bytes(db: Database, f: Filters, fmt: str) -> bytes:
    """Build one download; an empty result still gives a valid, self-describing file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    meta = metadata(db, f)
    if fmt == "csv" and queries.count(db, f) > SMALL_CSV:
        return csv_bytes(db, f, meta)
    if fmt == "parquet":
        return parquet_table_bytes(arrow_table(db, f), meta)
    df = table(db, f)
    if fmt == "csv":
        return frame_csv_bytes(df, meta)
    if fmt == "json":
        records = json.loads(flat_dates(df).to_json(orient="records", force_ascii=False))
        return json.dumps({**meta, "n": len(df), "incidents": records}, ensure_ascii=False, indent=1).encode()
    return xlsx_bytes(df, meta)


def flat_dates(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


# ---- CSV -------------------------------------------------------------------------------------------


def frame_csv_bytes(df: pd.DataFrame, meta: dict[str, str]) -> bytes:
    """The CSV download from the frame of `table()`."""
    out = spreadsheet_safe(flat(df)).assign(
        dataset_version=meta["dataset_version"], filter_description=neutralise(meta["filter"])
    )
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _types(db: Database) -> dict[str, str]:
    """Each column of `incidents` with its DuckDB type."""
    df = db.query("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'incidents'")
    return dict(zip(df["column_name"], df["data_type"]))


def csv_cell(text: str) -> str:
    """One text cell as the CSV holds it."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in CSV_QUOTED) else text


def _sql_text(column: str, kind: str) -> tuple[str, bool]:
    """SQL for a column's cell text as `spreadsheet_safe(flat(df)).to_csv()` writes it (NULL for an
    empty cell), and whether it is text that may need neutralising and quoting."""
    if kind == "BOOLEAN":
        return f"CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' END", False
    if kind == "DOUBLE":  # DuckDB prints a double as Python's repr does; pandas leaves NaN empty
        return f"CASE WHEN NOT isnan({column}) THEN CAST({column} AS VARCHAR) END", False
    if kind in ("BIGINT", "INTEGER"):
        return f"CAST({column} AS VARCHAR)", False
    if kind.endswith("[]"):
        return f"array_to_string({column}, ';')", True
    if kind == "DATE":
        return f"strftime({column}, '%Y-%m-%d')", True
    return column, True


def _sql_neutralised(text: str) -> str:
    """SQL for `neutralise(text)`: an apostrophe before a leading formula character."""
    chars = "".join({"\t": r"\t", "\r": r"\r", "-": r"\-"}.get(c, c) for c in FORMULA_START)
    return f"regexp_replace({text}, '^([{chars}])', '''\\1')"


def _sql_cell(value: str) -> str:
    """SQL for `csv_cell(value)`, with NULL as an empty cell."""
    special = " OR ".join(f"contains({value}, chr({ord(c)}))" for c in CSV_QUOTED)
    return f"""coalesce(CASE WHEN {special} THEN '"' || replace({value}, '"', '""') || '"' ELSE {value} END, '')"""


def csv_bytes(db: Database, f: Filters, meta: dict[str, str]) -> bytes:
    """The same CSV as `frame_csv_bytes`, each line built in SQL; the lines' bytes are joined as
    Arrow holds them."""
    names, types = columns(db), _types(db)
    texts = [_sql_text(c, types[c]) for c in names]
    values = ", ".join(f"{_sql_neutralised(sql) if is_text else sql} AS v{i}" for i, (sql, is_text) in enumerate(texts))
    cells = ", ',', ".join(
        _sql_cell(f"v{i}") if is_text else f"coalesce(v{i}, '')" for i, (_, is_text) in enumerate(texts)
    )
    tail = "," + ",".join(csv_cell(v) for v in (meta["dataset_version"], neutralise(meta["filter"]))) + "\n"
    where, params = f.where()
    lines = db.arrow(
        f"""SELECT concat({cells}, ?::VARCHAR) AS line
            FROM (SELECT {values}, attack_date, incident_id FROM incidents WHERE {where})
            ORDER BY {queries.NEWEST_FIRST}""",
        [tail, *params],
    )["line"]
    header = ",".join(csv_cell(neutralise(c)) for c in [*names, "dataset_version", "filter_description"])
    return b"".join([(header + "\n").encode("utf-8"), *(_string_data(chunk) for chunk in lines.chunks)])


def _string_data(chunk: pa.Array) -> memoryview:
    """The values of an Arrow string array, back to back: a view of its data buffer."""
    if len(chunk) == 0:
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
    start, end = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
    return memoryview(chunk.buffers()[2])[start:end]


# ---- Parquet from Arrow --------------------------------------------------------------------------


def arrow_table(db: Database, f: Filters) -> pa.Table:
    """The rows of `table(db, f)` as Arrow, with the types its pandas conversion gives (text as
    large_string, dates as timestamp[us])."""
    types = _types(db)
    names = columns(db)
    select = ", ".join(f"CAST({c} AS TIMESTAMP) AS {c}" if types[c] == "DATE" else c for c in names)
    where, params = f.where()
    tbl = db.arrow(f"SELECT {select} FROM incidents WHERE {where} ORDER BY {queries.NEWEST_FIRST}", params)

    def as_pandas_gives(t: pa.DataType) -> pa.DataType:
        if pa.types.is_string(t):
            return pa.large_string()
        if pa.types.is_list(t):
            return pa.list_(t.value_type)
        return t

    schema = pa.schema([pa.field(fd.name, as_pandas_gives(fd.type)) for fd in tbl.schema])
    tbl = tbl.cast(schema)
    # pandas' own metadata, as a frame of these rows would carry it (integers with gaps as Int64).
    frame = tbl.slice(0, 0).to_pandas()
    for fd in schema:
        if pa.types.is_integer(fd.type) and tbl.column(fd.name).null_count:
            frame[fd.name] = frame[fd.name].astype("Int64")
    described = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    return tbl.replace_schema_metadata(described.schema.metadata)


def parquet_bytes(df: pd.DataFrame, meta: dict[str, str]) -> bytes:
    return parquet_table_bytes(pa.Table.from_pandas(df, preserve_index=False), meta)


def parquet_table_bytes(tbl: pa.Table, meta: dict[str, str]) -> bytes:
    tbl = tbl.replace_schema_metadata(
        {**(tbl.schema.metadata or {}), **{f"incidentlens.{k}": v for k, v in meta.items()}}
    )
    buf = io.BytesIO()
    pq.write_table(tbl, buf)
    return buf.getvalue()


def xlsx_bytes(df: pd.DataFrame, meta: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": options}) as xw:
        data = spreadsheet_safe(flat(df))
        data.to_excel(xw, sheet_name="incidents", index=False)
        about = pd.DataFrame({"field": list(meta), "value": [neutralise(v) for v in meta.values()]})
        about.to_excel(xw, sheet_name="about", index=False)
        xw.sheets["incidents"].freeze_panes(1, 1)
    return buf.getvalue()


def filename(db: Database, fmt: str, stem: str = "incidents") -> str:
    return f"incidentlens-{db.version}-{stem}.{'zip' if fmt == 'bundle' else fmt}"
