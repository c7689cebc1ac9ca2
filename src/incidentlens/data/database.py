"""Load the curated CSVs into one in-process DuckDB database and run queries on it safely.

One database per process; every query opens its own cursor, because a DuckDB connection
refuses concurrent calls from several threads (Streamlit serves each session on its own thread).
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from incidentlens.data.schema import Package, data_dir, load_package, resource_path
from incidentlens.data.validate import Problem, validate

T = TypeVar("T")


class DataError(Exception):
    """The data directory does not validate; `problems` says exactly where."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the data:\n{shown}{more}")


@dataclass
class Database:
    """A loaded dataset: the DuckDB connection, its descriptor and where it came from."""

    con: duckdb.DuckDBPyConnection
    package: Package
    directory: Path
    _present: set[str] = field(default_factory=set, repr=False, compare=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """A value derived once from this database's tables: nothing changes them after loading.
        (Two threads may both build it the first time; either result is the same.)"""
        if name not in self._memo:
            self._memo[name] = build()
        return self._memo[name]

    def has_table(self, name: str) -> bool:
        """Whether the database holds a table of this name. A table once seen is remembered:
        nothing drops one, and asking DuckDB's catalogue costs a few ms on every page run."""
        if name not in self._present and self.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
        ):
            self._present.add(name)
        return name in self._present

    def query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Run one statement on a fresh cursor with bound parameters."""
        cur = self.con.cursor()
        try:
            return cur.execute(sql, list(params)).df()
        finally:
            cur.close()

    def arrow(self, sql: str, params: list | tuple = ()) -> pa.Table:
        """Run one statement with bound parameters; the rows as an Arrow table, without pandas."""
        cur = self.con.cursor()
        try:
            return cur.sql(sql, params=list(params)).to_arrow_table()
        finally:
            cur.close()

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Run one statement with bound parameters; the rows as tuples (no DataFrame to build)."""
        cur = self.con.cursor()
        try:
            return cur.execute(sql, list(params)).fetchall()
        finally:
            cur.close()

    def scalar(self, sql: str, params: list | tuple = ()):
        cur = self.con.cursor()
        try:
            row = cur.execute(sql, list(params)).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    @property
    def version(self) -> str:
        return self.package.version


def _list(col: str) -> str:
    return f"CASE WHEN {col} IS NULL OR {col} = '' THEN []::VARCHAR[] ELSE string_split({col}, ';') END AS {col}"


SQL_TYPES = {"date": "DATE", "integer": "BIGINT", "number": "DOUBLE"}  # every other type stays text


def _select(pkg: Package, resource: str) -> str:
    """The typed columns of `raw_<resource>`: lists split, dates and numbers cast as declared (the
    validator has checked every cell against the same declaration)."""
    parts = []
    for f in pkg.fields(resource):
        if f.is_list:
            parts.append(_list(f.name))
        elif f.type in SQL_TYPES:
            parts.append(f"CAST({f.name} AS {SQL_TYPES[f.type]}) AS {f.name}")
        else:
            parts.append(f"coalesce({f.name}, '') AS {f.name}" if not f.required else f.name)
    return ", ".join(parts)


def _read_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path, columns: list[str], validated: bool) -> None:
    """Every column as text, named from the schema (typing happens in SQL afterwards).

    DuckDB's reader wants one line ending per file, while the validator (Python's csv) reads any
    mix of CRLF and LF. A file that passed validation holds a CR only in line endings (in a cell
    it is a control character), so a validated file is read with its CRs removed."""
    cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    sql = (
        f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, header = true, columns = {cols}, "
        "quote = '\"', escape = '\"', delim = ',', nullstr = '', auto_detect = false)"
    )
    if not (validated and _has_cr(path)):
        con.execute(sql, [str(path)])
        return
    with tempfile.TemporaryDirectory() as tmp:
        unix = Path(tmp) / path.name
        unix.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        con.execute(sql, [str(unix)])


def _has_cr(path: Path) -> bool:
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b"\r") != -1


def load(directory: str | os.PathLike | None = None, *, check: bool = True) -> Database:
    """Validate (unless `check=False`, for synthetic benchmark data) and load a data directory."""
    base = data_dir(directory)
    if check:
        problems = validate(base)
        if problems:
            raise DataError(problems)
    pkg = load_package(base)
    con = duckdb.connect(":memory:", config={"threads": min(4, os.cpu_count() or 1)})
    for res in pkg.resource_names():
        path = resource_path(base, pkg.resource(res)["path"])  # refuses a path out of the folder
        if path.exists():
            _read_csv(con, f"raw_{res}", path, pkg.columns(res), validated=check)
    con.execute("CREATE TABLE provider_types (provider_type VARCHAR, provider_family VARCHAR)")
    if pkg.type_family:
        con.executemany("INSERT INTO provider_types VALUES (?, ?)", list(pkg.type_family.items()))
    con.execute(f"CREATE TABLE sources AS SELECT {_select(pkg, 'sources')} FROM raw_sources")
    _count_once(con, pkg)
    con.execute(
        f"""
        CREATE TABLE incidents AS
        WITH base AS (SELECT {_select(pkg, "incidents")} FROM raw_incidents),
        lab AS (
            SELECT incident_id,
                   count(*) AS source_count,
                   count(DISTINCT outlet) AS independent_sources,
                   list_sort(list_distinct(list(label_term) FILTER (WHERE counted))) AS label_terms,
                   list_sort(list_distinct(list(speaker_type) FILTER (WHERE counted AND label_term = 'msp')))
                       AS msp_label_by
            FROM sources GROUP BY incident_id
        )
        SELECT base.*, pt.provider_family,
               year(base.attack_date) AS attack_year,
               lower(concat_ws(' ', base.title, base.summary, base.provider_name, base.incident_id))
                   AS search_text,
               coalesce(lab.source_count, 0) AS source_count,
               coalesce(lab.independent_sources, 0) AS independent_sources,
               coalesce(lab.label_terms, []::VARCHAR[]) AS label_terms,
               coalesce(len(lab.label_terms), 0) AS label_count,
               coalesce(lab.msp_label_by, []::VARCHAR[]) AS msp_label_by,
               coalesce(len(lab.msp_label_by), 0) > 0 AS labelled_msp
        FROM base
        LEFT JOIN provider_types pt USING (provider_type)
        LEFT JOIN lab USING (incident_id)
        ORDER BY base.attack_date, base.incident_id
        """
    )
    if "raw_policy_actions" in _tables(con):
        con.execute(f"CREATE TABLE policy_actions AS SELECT {_select(pkg, 'policy_actions')} FROM raw_policy_actions")
    if "raw_coding_agreement" in _tables(con):
        con.execute(
            f"CREATE TABLE coding_agreement AS SELECT {_select(pkg, 'coding_agreement')} FROM raw_coding_agreement"
        )
    for res in pkg.resource_names():
        con.execute(f"DROP TABLE IF EXISTS raw_{res}")
    # The dashboard never needs the file system again once the data is in.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return Database(con, pkg, base)


def _count_once(con: duckdb.DuckDBPyConnection, pkg: Package) -> None:
    """Rule S1: a repost counts for its original outlet, once per (incident, outlet, speaker type,
    label term). `outlet` is the original; `counted` marks the one row of each group that counts,
    the original itself when it is recorded. Older packages without speakers count publishers."""
    columns = set(pkg.columns("sources"))
    original = "coalesce(nullif(repost_of, ''), publisher)" if "repost_of" in columns else "publisher"
    if "speaker_type" not in columns:
        con.execute("ALTER TABLE sources ADD COLUMN speaker_type VARCHAR")
        con.execute("UPDATE sources SET speaker_type = source_type")
    con.execute(f"""
        CREATE OR REPLACE TABLE sources AS
        SELECT *, is_repost = 'yes' AS repost, {original} AS outlet,
               row_number() OVER (PARTITION BY incident_id, {original}, speaker_type, label_term
                                  ORDER BY is_repost = 'yes', source_id) = 1 AS counted
        FROM sources ORDER BY source_id""")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
