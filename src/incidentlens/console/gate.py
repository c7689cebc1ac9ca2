"""The statement gate and the hardened connection settings.

DuckDB has no privilege boundary of its own, so the console never trusts one layer: the text
must parse as exactly one SELECT (checked with DuckDB's own parser, in the dashboard and again in
the worker), and the connection that runs it is opened read-only with `HARDENED` settings, so
what slips past the gate still cannot touch files, the network, extensions or settings.
"""

from __future__ import annotations

import duckdb

MAX_SQL_CHARS = 20_000
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
MEMORY_LIMIT = "512MB"

HARDENED: dict[str, str | bool | int | float | list[str]] = {  # duckdb.connect's `config` type
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


class ConsoleError(Exception):
    """A query the console refused, stopped or could not run; the message is one plain line."""


def first_line(exc: BaseException) -> str:
    """The first line of an error: DuckDB appends the statement and a caret on later lines."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def message(exc: duckdb.Error) -> str:
    """DuckDB's first line, with a plain reason in front when the refusal was a security layer."""
    first = first_line(exc)
    if isinstance(exc, duckdb.PermissionException):
        return f"Not allowed: the console cannot use files, the network or extensions. ({first})"
    if "read-only mode" in first:
        return f"Not allowed: the console's data is read-only. ({first})"
    if "configuration has been locked" in first:
        return f"Not allowed: the console's settings are locked. ({first})"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"The query needed more memory than the console allows. ({first})"
    return first


def _statement_name(statement: duckdb.Statement) -> str:
    try:
        return statement.type.name
    except ValueError:  # a statement type this duckdb build cannot name (e.g. UPDATE EXTENSIONS)
        return "UNKNOWN"


def check(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Allow exactly one SELECT: no EXPLAIN, PRAGMA, SET, CALL, DDL, DML or second statement."""
    try:
        statements = cur.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
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
