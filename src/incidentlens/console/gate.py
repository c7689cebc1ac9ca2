"""The statement gate and the hardened connection settings.

DuckDB has no privilege boundary of its own, so the console never trusts one layer: the text
must parse as exactly one SELECT (checked with DuckDB's own parser, in the dashboard and again in
the worker), and the connection that runs it is opened read-only with `HARDENED` settings, so
what slips past the gate still cannot touch files, the network, extensions or settings.

What the console tells a researcher names nothing on the server: refusals by a security layer are
generic, other errors have paths blanked, and the full text is kept as the error's `detail` for
the server log.
"""

from __future__ import annotations

import re

import duckdb

MAX_SQL_CHARS = 20_000
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
MEMORY_LIMIT = "512MB"
MAX_DEPTH = 100  # levels of nesting in a value (lists, structs, maps); the worker refuses deeper ones

HARDENED: dict[str, str | bool | int | float | list[str]] = {  # duckdb.connect's `config` type
    "enable_external_access": False,  # no files, network, ATTACH, COPY, INSTALL/LOAD
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # never read the caller's Python variables
    # Not the account's home: duckdb_settings() would show it in secret_directory and the like.
    "home_directory": "/nonexistent",
    # Nothing spills to disk; big sorts fail at memory_limit instead. (Not `temp_directory = ''`:
    # DuckDB applies these in an order of its own and refuses that after external access is off.)
    "max_temp_directory_size": "0B",
    "memory_limit": MEMORY_LIMIT,
    "threads": 1,
    # DuckDB binds deeply nested expressions in time that grows with the cube of the depth (a list
    # nested 450 times takes 5 s), so the parser refuses them; twice MAX_DEPTH leaves the values
    # up to MAX_DEPTH, and their refusal with a clear reason just above it, to the worker.
    "max_expression_depth": 2 * MAX_DEPTH,
    # In the config (not a SET) so that every cursor inherits it; the timer is the tighter bound.
    "max_execution_time": int(MAX_TIMEOUT_S * 1000) + 1000,
    "lock_configuration": True,  # last: nothing above can be changed by a query
}


# An absolute or home-relative path where an error message quotes one: at the start, after a space,
# quote, bracket, '=' or ','; not a division ('a / b'), nor the '//' of a URL ('http://…').
_PATH = re.compile(r"""(?<![^\s"'(\[=,])~?/[^\s"'`,;()\[\]]+""")


class ConsoleError(Exception):
    """A query the console refused, stopped or could not run; the message is one plain line that
    names nothing on the server, and `detail` (for the server log) is what it leaves out."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


def first_line(exc: BaseException) -> str:
    """The first line of an error: DuckDB appends the statement and a caret on later lines."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def refusal(exc: BaseException) -> ConsoleError:
    """The error as a researcher sees it: a plain reason when a security layer refused (DuckDB's
    text names files and directories on the server), else its first line with paths blanked."""
    first = first_line(exc)
    if isinstance(exc, duckdb.PermissionException):
        text = "Not allowed: the console cannot use files, the network or extensions."
    elif "read-only mode" in first:
        text = "Not allowed: the console's data is read-only."
    elif "configuration has been locked" in first:
        text = "Not allowed: the console's settings are locked."
    elif isinstance(exc, (duckdb.OutOfMemoryException, MemoryError)):
        text = "The query needed more memory than the console allows."
    elif "Max expression depth" in first:  # its advice, a SET, is refused here
        text = f"The query is nested more than {MAX_DEPTH} levels deep; write it with fewer levels."
    else:
        text = _PATH.sub("…", first)
    return ConsoleError(text, None if text == first else first)


def _statement_name(statement: duckdb.Statement) -> str:
    try:
        return statement.type.name
    except ValueError:  # a statement type this duckdb build cannot name (e.g. UPDATE EXTENSIONS)
        return "UNKNOWN"


def check(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Allow exactly one SELECT: no EXPLAIN, PRAGMA, SET, CALL, DDL, DML or second statement."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8, e.g. in `sys.argv` (surrogateescape)
        raise ConsoleError("The query is not valid UTF-8 text: save or type it as UTF-8.") from None
    try:
        statements = cur.extract_statements(sql)
    except duckdb.Error as exc:
        raise refusal(exc) from None
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
