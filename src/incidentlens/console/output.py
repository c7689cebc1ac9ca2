"""Results as people and programs read them: a frame Streamlit can always draw, an aligned text
table, spreadsheet-safe CSV, faithful JSON, and `incidentlens sql` for the command line.

A console result holds whatever SQL can produce (HUGEINTs, maps, intervals, text that looks like
a formula), so each format says how it carries the values the others would get wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import logging
import math
import sys
from typing import TYPE_CHECKING

from incidentlens.console.gate import ConsoleError
from incidentlens.console.worker import MAX_BYTES, MAX_ROWS, Console, Result
from incidentlens.data.spreadsheet import neutralise

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from incidentlens.data.database import Database

FORMATS = ("table", "csv", "json")

# Arrow's IPC writer (what st.dataframe sends) refuses types nested deeper than this, counting the
# leaf type as one level: a list nested 64 times is 65 deep.
ARROW_MAX_DEPTH = 64


def _type_depth(t: pa.DataType) -> int:
    return 1 + max((_type_depth(t.field(i).type) for i in range(t.num_fields)), default=0)


def _display_text(value: object) -> str | None:
    """A value Arrow cannot carry, as text: lists, structs and maps as JSON, anything else by str()."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def for_display(result: Result) -> pd.DataFrame:
    """The result as a frame Streamlit can always render: unique column names, and any column
    Arrow cannot type (e.g. HUGEINT beyond int64) or send (nested too deeply) shown as text."""
    import pandas as pd
    import pyarrow as pa

    seen: dict[str, int] = {}
    names = []
    for name in result.columns:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    df = pd.DataFrame.from_records(result.rows, columns=names, coerce_float=False)
    for col in df.columns:
        try:
            sendable = _type_depth(pa.array(df[col], from_pandas=True).type) <= ARROW_MAX_DEPTH
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            sendable = False
        if not sendable:
            df[col] = df[col].map(_display_text)
    return df


def _cell_text(value: object) -> str:
    """One value as the curated CSVs write it: lists joined with ';', dates ISO, NULL empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(_cell_text(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _jsonable(value: object) -> object:
    """Values JSON can carry faithfully: dates ISO, decimals and UUIDs as text, NaN/inf as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)  # Decimal, UUID, interval, HUGEINT-sized ints stay exact as text


def _table_text(result: Result, width: int = 60) -> str:
    """Columns padded to their widest cell (at most `width`), numbers right-aligned, then a count."""

    def cell(v: object) -> str:
        text = _cell_text(v).replace("\r", " ").replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    body = [[cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(result.columns)]
    numeric = [
        all(isinstance(row[i], (int, float, decimal.Decimal)) or row[i] is None for row in result.rows)
        for i in range(len(result.columns))
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    out = [line(list(result.columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    note = f" ({result.cut_note()})" if result.truncated else ""
    out.append(f"{len(result.rows):,} row(s) in {result.elapsed_s:.2f} s{note}")
    return "\n".join(out) + "\n"


def format_result(result: Result, fmt: str) -> str:
    """The result as text: an aligned `table`, spreadsheet-safe `csv`, or faithful `json`."""
    if fmt == "table":
        return _table_text(result)
    if fmt == "csv":
        buf = io.StringIO()
        # \r\n terminators make the csv module quote any field holding a bare \r or \n.
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([neutralise(str(c)) for c in result.columns])
        for row in result.rows:
            writer.writerow(
                [
                    v
                    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)
                    else neutralise(_cell_text(v))
                    for v in row
                ]
            )
        return buf.getvalue()
    if fmt == "json":
        doc = {
            "columns": result.columns,
            "rows": [_jsonable(list(r)) for r in result.rows],
            "row_count": len(result.rows),
            "truncated": result.truncated,
            "cut_by": result.cut_by,
            "elapsed_s": round(result.elapsed_s, 4),
        }
        return json.dumps(doc, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def main_sql(sql: str, fmt: str, max_rows: int, db: Database) -> int:
    """`incidentlens sql`: print the result (exit 0) or the refusal on stderr (exit 2)."""
    if fmt not in FORMATS:
        print(f"error: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    # The one line on stderr is the whole answer: without a handler, what a refusal leaves out for
    # the server log would reach stderr too, through logging's last-resort handler.
    log, quiet = logging.getLogger("incidentlens.console"), logging.NullHandler()
    log.addHandler(quiet)
    console = Console.from_database(db)
    try:
        result = console.run(sql, max_rows=max_rows, max_bytes=MAX_BYTES)
    except ConsoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        console.close()
        log.removeHandler(quiet)
    sys.stdout.write(format_result(result, fmt))
    if result.truncated and fmt != "table":
        hint = f" (--max-rows, at most {MAX_ROWS:,})" if result.cut_by == "rows" else ""
        print(f"note: {result.cut_note()}{hint}", file=sys.stderr)
    return 0
