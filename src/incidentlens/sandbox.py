"""The researcher SQL console: one read-only SELECT at a time over a snapshot of the dataset.

DuckDB has no privilege boundary of its own, so no single setting is trusted (tech notes §6):
- the console never sees the dashboard's in-memory database; it opens a separate snapshot file,
  written once per console and opened `read_only`, so DDL, DML, data-modifying CTEs and
  `EXPLAIN ANALYZE DROP …` fail even if they get past the statement gate;
- the connection is opened with external access, extension loading, replacement scans and
  spilling off, memory, threads and execution time capped, and the configuration locked;
- the text must parse as exactly one statement of type SELECT;
- each query runs on its own cursor, is interrupted by a timer, and only `max_rows + 1` rows are
  ever fetched, so a huge result cannot be materialised.
These are defence in depth for trusted researchers, not a sandbox for the public: scalar functions
that build one giant value (`repeat`, `lpad`, `range` lists) can still use gigabytes of memory and
overrun the time limit, because DuckDB neither counts nor interrupts them. A worker process
with OS limits is the fix if the console is ever opened to untrusted users.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import datetime as dt
import decimal
import io
import json
import math
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from .db import Database
from .exports import neutralise
from .schema import Package

MAX_SQL_CHARS = 20_000
DEFAULT_ROWS = 10_000
MAX_ROWS = 100_000
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
MAX_RESULT_CHARS = 50_000_000  # text in one result; more would not survive the trip to a browser
MAX_CONCURRENT = 2  # console queries at once: each may use a core, the dashboard needs the rest
MEMORY_LIMIT = "512MB"
FORMATS = ("table", "csv", "json")

HARDENED = {
    "enable_external_access": False,  # no files, network, ATTACH, COPY, INSTALL/LOAD
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # never read the caller's Python variables
    "temp_directory": "",  # nothing spills to disk; big sorts fail at memory_limit instead
    "memory_limit": MEMORY_LIMIT,
    "threads": 1,
    # In the config (not a SET) so that every cursor inherits it; the timer is the tighter bound.
    "max_execution_time": int(MAX_TIMEOUT_S * 1000) + 1000,
    "lock_configuration": True,  # last: nothing above can be changed by a query
}

# The snapshot's tables, in the order the schema panel lists them. Only these names are ever
# formatted into SQL.
TABLES = ("incidents", "sources", "policy_actions", "provider_types")

VIEWS = {
    "incident_labels": """
        SELECT incident_id, attack_year, provider_type, provider_family, labelled_msp, msp_label_by,
               label_terms, label_count, source_count, independent_sources
        FROM incidents""",
    "source_labels": """
        SELECT s.source_id, s.incident_id, s.source_type, s.label_term, s.label_text, s.repost,
               i.attack_year, i.provider_type, i.provider_family
        FROM sources s JOIN incidents i USING (incident_id)""",
}

# Columns the loader derives (they are not in datapackage.json) and the two views.
DERIVED = {
    "incidents": {
        "provider_family": "Family of the assessed provider_type (managed_it, reactive_project, …)",
        "attack_year": "Year of attack_date",
        "source_count": "Sources recorded for the incident, reposts included",
        "independent_sources": "Distinct non-repost source URLs",
        "label_terms": "Label terms used by non-repost sources (sorted, distinct)",
        "label_count": "Number of distinct label terms used by non-repost sources",
        "msp_label_by": "Source types of the non-repost sources that called the provider an MSP",
        "labelled_msp": "At least one non-repost source called the provider an MSP",
    },
    "sources": {"repost": "is_repost as a boolean"},
    "provider_types": {
        "provider_type": "Assessed provider type (incidents.provider_type)",
        "provider_family": "The family that type belongs to",
    },
}
VIEW_NOTES = {
    "incident_labels": "One row per incident: how sources labelled its provider and what it was.",
    "source_labels": "One row per source, with its incident's assessed provider type and year.",
}

EXAMPLES = {
    "Labelled MSP by government sources, by assessed type": """\
-- Incidents a government source called an MSP, by what the provider actually was
-- (every assessed type is listed, so a zero is shown as a zero)
SELECT t.provider_type, count(i.incident_id) AS incidents
FROM provider_types t
LEFT JOIN incidents i
  ON i.provider_type = t.provider_type AND list_contains(i.msp_label_by, 'government')
GROUP BY t.provider_type
ORDER BY incidents DESC, t.provider_type""",
    "Sources per label term and source type": """\
-- Non-repost sources, by the label they used and the kind of publisher
SELECT label_term, source_type, count(*) AS sources
FROM sources
WHERE NOT repost
GROUP BY label_term, source_type
ORDER BY label_term, source_type""",
    "Incidents per year and provider family": """\
SELECT attack_year, provider_family, count(*) AS incidents
FROM incidents
GROUP BY attack_year, provider_family
ORDER BY attack_year, provider_family""",
    "Incidents whose provider was called an MSP but assessed as something else": """\
SELECT i.incident_id, i.title, i.provider_type,
       count(*) AS msp_sources,
       list_sort(list_distinct(list(s.source_type))) AS called_msp_by
FROM incidents i
JOIN sources s USING (incident_id)
WHERE s.label_term = 'msp' AND NOT s.repost AND i.provider_type <> 'msp'
GROUP BY i.incident_id, i.title, i.provider_type
ORDER BY i.incident_id""",
    "Share labelled MSP per provider family (view)": """\
SELECT provider_family, count(*) AS incidents,
       count(*) FILTER (WHERE labelled_msp) AS labelled_msp,
       round(100.0 * count(*) FILTER (WHERE labelled_msp) / count(*), 1) AS percent_labelled
FROM incident_labels
GROUP BY provider_family
ORDER BY incidents DESC, provider_family""",
    "Policy actions that name MSPs": """\
SELECT date, kind, status, title, jurisdictions
FROM policy_actions
WHERE list_contains(provider_types_named, 'msp')
ORDER BY date""",
}


class ConsoleError(Exception):
    """A query the console refused, stopped or could not run; the message is one plain line."""


@dataclass(frozen=True)
class Result:
    """At most `max_rows` rows of one query; `truncated` says whether more were available."""

    columns: list[str]
    rows: list[tuple]
    truncated: bool
    elapsed_s: float

    def df(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=self.columns, coerce_float=False)


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    cur = con.cursor()
    try:
        return {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        cur.close()


def snapshot(db: Database) -> Path:
    """Copy the dashboard's tables into a new private `.duckdb` file and return its path.

    Arrow carries the rows across, so lists stay lists and dates stay dates. Views are created
    here because the console opens the file read-only. Each call makes a new temporary directory
    (mode 0700), removed at exit or by `Console.close()`.
    """
    directory = Path(tempfile.mkdtemp(prefix="incidentlens-console-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "snapshot.duckdb"
    present = _existing_tables(db.con)
    writer = duckdb.connect(str(path), config={"autoload_known_extensions": False,
                                               "autoinstall_known_extensions": False})
    try:
        for name in TABLES:
            if name not in present:
                continue
            cur = db.con.cursor()
            try:
                rows = cur.sql(f"SELECT * FROM {name}").to_arrow_table()
            finally:
                cur.close()
            writer.register("_rows", rows)
            writer.execute(f"CREATE TABLE {name} AS SELECT * FROM _rows")
            writer.unregister("_rows")
        for name, body in VIEWS.items():
            writer.execute(f"CREATE VIEW {name} AS {body}")
        writer.execute("CHECKPOINT")
    finally:
        writer.close()
    path.chmod(0o400)
    return path


def _interrupt(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # the query finished and the cursor closed first
        cur.interrupt()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _message(exc: duckdb.Error) -> str:
    """DuckDB's first line, with a plain reason in front when the refusal was a security layer."""
    first = _first_line(exc)
    if isinstance(exc, duckdb.PermissionException):
        return f"Not allowed: the console cannot use files, the network or extensions. ({first})"
    if "read-only mode" in first:
        return f"Not allowed: the console's data is read-only. ({first})"
    if "configuration has been locked" in first:
        return f"Not allowed: the console's settings are locked. ({first})"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"The query needed more than the console's {MEMORY_LIMIT} of memory. ({first})"
    return first


def _statement_name(statement) -> str:
    try:
        return statement.type.name
    except ValueError:  # a statement type this duckdb build cannot name (e.g. UPDATE EXTENSIONS)
        return "UNKNOWN"


def _check(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Allow exactly one SELECT: no EXPLAIN, PRAGMA, SET, CALL, DDL, DML or second statement."""
    try:
        statements = cur.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConsoleError(_first_line(exc)) from None
    names = [_statement_name(s) for s in statements]
    if not names:
        raise ConsoleError("Nothing to run: write one SELECT statement.")
    if names == ["SELECT"]:
        return
    if len(names) > 1:
        found = f"{len(names)} statements ({', '.join(names[:5])}{', …' if len(names) > 5 else ''})"
    elif names == ["MULTI"]:
        found = "a statement that expands into several (e.g. PIVOT without an explicit IN list)"
    else:
        found = f"a statement of type {names[0]}"
    raise ConsoleError(f"Only a single SELECT statement is allowed; found {found}.")


def _text_size(rows: list[tuple]) -> int:
    return sum(len(v) for row in rows for v in row if isinstance(v, (str, bytes)))


class Console:
    """A hardened, read-only connection to one snapshot; safe to share between threads."""

    def __init__(self, path: Path, *, owns_file: bool = False):
        self.path = Path(path)
        self._owns_file = owns_file
        self._con = duckdb.connect(str(self.path), read_only=True, config=HARDENED)
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self._schema: pd.DataFrame | None = None

    @classmethod
    def from_database(cls, db: Database) -> Console:
        """A console over a fresh snapshot of `db`; closing it deletes the snapshot."""
        return cls(snapshot(db), owns_file=True)

    def close(self) -> None:
        self._con.close()
        if self._owns_file:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def run(self, sql: str, max_rows: int = DEFAULT_ROWS, timeout_s: float = DEFAULT_TIMEOUT_S) -> Result:
        """Run one SELECT; raise `ConsoleError` for anything refused, stopped or failed."""
        if len(sql) > MAX_SQL_CHARS:
            raise ConsoleError(f"The query is {len(sql):,} characters long; the limit is {MAX_SQL_CHARS:,}.")
        max_rows = max(1, min(int(max_rows), MAX_ROWS))
        timeout_s = max(0.1, min(float(timeout_s), MAX_TIMEOUT_S))
        if not self._slots.acquire(timeout=timeout_s):
            raise ConsoleError("The console is busy with other queries; try again in a moment.")
        try:
            cur = self._con.cursor()
            try:
                _check(cur, sql)
                return self._execute(cur, sql, max_rows, timeout_s)
            finally:
                cur.close()
        finally:
            self._slots.release()

    @staticmethod
    def _execute(cur: duckdb.DuckDBPyConnection, sql: str, max_rows: int, timeout_s: float) -> Result:
        timer = threading.Timer(timeout_s, _interrupt, [cur])
        timer.daemon = True
        started = time.perf_counter()
        timer.start()
        try:
            cur.execute(sql)
            columns = [d[0] for d in cur.description]
            rows = cur.fetchmany(max_rows + 1)  # streams: never more than this is materialised
        except duckdb.InterruptException:
            raise ConsoleError(f"The query was stopped after {timeout_s:g} s (the time limit).") from None
        except duckdb.Error as exc:
            raise ConsoleError(_message(exc)) from None
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - started
        if _text_size(rows) > MAX_RESULT_CHARS:
            raise ConsoleError(f"The result holds more than {MAX_RESULT_CHARS:,} characters of text; "
                               "select fewer rows or columns.")
        return Result(columns, rows[:max_rows], len(rows) > max_rows, elapsed)

    def schema_table(self, package: Package) -> pd.DataFrame:
        """Every table and view column with its SQL type and its description from datapackage.json."""
        if self._schema is None:
            cur = self._con.cursor()
            try:
                cols = cur.execute(
                    "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                    "WHERE schema_name = 'main' ORDER BY table_name, column_index"
                ).fetchall()
            finally:
                cur.close()
            described = _descriptions(package)
            order = {name: i for i, name in enumerate((*TABLES, *VIEWS))}
            rows = [
                (t, c, typ, described.get((t, c)) or described.get(("incidents", c))
                 or described.get(("sources", c)) or "")
                for t, c, typ in cols if t in order
            ]
            rows.sort(key=lambda r: order[r[0]])  # stable: keeps column order within a table
            self._schema = pd.DataFrame(rows, columns=["table", "column", "type", "description"])
        return self._schema


def _descriptions(package: Package) -> dict[tuple[str, str], str]:
    out = {(t, c): d for t, cols in DERIVED.items() for c, d in cols.items()}
    for resource in package.resource_names():
        for f in package.fields(resource):
            out[(resource, f.name)] = f.description
    return out


def for_display(result: Result) -> pd.DataFrame:
    """The result as a frame Streamlit can always render: unique column names, and any column
    Arrow cannot type (e.g. HUGEINT beyond int64) shown as text."""
    seen: dict[str, int] = {}
    names = []
    for name in result.columns:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    df = pd.DataFrame.from_records(result.rows, columns=names, coerce_float=False)
    for col in df.columns:
        try:
            pa.array(df[col], from_pandas=True)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            df[col] = df[col].map(lambda v: None if v is None else str(v))
    return df


def _cell_text(value) -> str:
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


def _jsonable(value):
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
    def cell(v) -> str:
        text = _cell_text(v).replace("\r", " ").replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    body = [[cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(result.columns)]
    numeric = [all(isinstance(row[i], (int, float, decimal.Decimal)) or row[i] is None for row in result.rows)
               for i in range(len(result.columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    out = [line(list(result.columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    note = f" (truncated at {len(result.rows):,} rows)" if result.truncated else ""
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
            writer.writerow([v if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)
                             else neutralise(_cell_text(v)) for v in row])
        return buf.getvalue()
    if fmt == "json":
        doc = {"columns": result.columns, "rows": [_jsonable(list(r)) for r in result.rows],
               "row_count": len(result.rows), "truncated": result.truncated,
               "elapsed_s": round(result.elapsed_s, 4)}
        return json.dumps(doc, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def main_sql(sql: str, fmt: str, max_rows: int, db: Database) -> int:
    """`incidentlens sql`: print the result (exit 0) or the refusal on stderr (exit 2)."""
    if fmt not in FORMATS:
        print(f"error: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    console = Console.from_database(db)
    try:
        result = console.run(sql, max_rows=max_rows)
    except ConsoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        console.close()
    sys.stdout.write(format_result(result, fmt))
    if result.truncated and fmt != "table":
        print(f"note: truncated at {len(result.rows):,} rows (--max-rows, at most {MAX_ROWS:,})",
              file=sys.stderr)
    return 0

