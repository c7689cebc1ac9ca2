"""Downloads of every row matching a filter: CSV, JSON, Parquet and Excel.

CSV and Excel are opened by spreadsheet programs that execute text starting with `=`, `+`, `-`,
`@`, tab or CR as a formula, so such text cells get a leading apostrophe (OWASP's advice); numbers
are never touched. JSON and Parquet are for programs and round-trip the values exactly.
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
from incidentlens.data.spreadsheet import neutralise
from incidentlens.query import queries
from incidentlens.query.filters import Filters

FORMATS = ("csv", "json", "parquet", "xlsx")


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


def table(db: Database, f: Filters) -> pd.DataFrame:
    """All columns of every matching incident, in the curated column order, plus derived ones."""
    df = queries.incidents(db, f)
    order = db.package.columns("incidents")
    extra = ["provider_family", "labelled_msp", "msp_label_by", "label_terms", "label_count",
             "source_count", "independent_sources"]
    return df[order + extra]


def to_bytes(db: Database, f: Filters, fmt: str) -> bytes:
    """Build one download; an empty result still gives a valid, self-describing file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    df, meta = table(db, f), metadata(db, f)
    if fmt == "csv":
        out = spreadsheet_safe(flat(df)).assign(dataset_version=meta["dataset_version"],
                                                filter_description=neutralise(meta["filter"]))
        return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
    if fmt == "json":
        records = json.loads(flat_dates(df).to_json(orient="records", force_ascii=False))
        return json.dumps({**meta, "n": len(df), "incidents": records}, ensure_ascii=False, indent=1).encode()
    if fmt == "parquet":
        return parquet_bytes(df, meta)
    return xlsx_bytes(df, meta)


def flat_dates(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def parquet_bytes(df: pd.DataFrame, meta: dict[str, str]) -> bytes:
    tbl = pa.Table.from_pandas(df, preserve_index=False)
    tbl = tbl.replace_schema_metadata({**(tbl.schema.metadata or {}),
                                       **{f"incidentlens.{k}": v for k, v in meta.items()}})
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
    return f"incidentlens-{db.version}-{stem}.{ 'zip' if fmt == 'bundle' else fmt}"
