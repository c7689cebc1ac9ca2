"""The console says nothing about the server: its errors carry no server paths or account, the
details go to the server log, and no query can read the console's own snapshot file."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

import pytest

from incidentlens.console import Console, ConsoleError

LOGGER = "incidentlens.console"


@pytest.fixture(scope="module")
def console(db):
    con = Console.from_database(db)
    yield con
    con.close()


def _leaks(text: str, console: Console) -> list[str]:
    """Server facts in `text`: the snapshot's directory, the temporary directory, the home."""
    found = [s for s in {str(console.path.parent), tempfile.gettempdir(), str(Path.home())} if s in text]
    return found + re.findall(r"\broot\b", text)


def _reads(console: Console) -> list[str]:
    """Every way to name the snapshot file from SQL, with every function that reads files."""
    p, d = console.path, console.path.parent
    own = console.run("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").rows[0][0]
    return [
        *(
            f"SELECT octet_length(content) AS n FROM read_blob('{path}')"
            for path in (
                p,
                own,
                f"{d}/*",
                f"{d}/**",
                "snapshot.duckdb",
                "/proc/self/cwd/snapshot.duckdb",
                "/proc/self/fd/*",
                f"{tempfile.gettempdir()}/incidentlens-console-*/*",
            )
        ),
        *(
            f"SELECT * FROM {fn}('{path}')"
            for path in (p, own)
            for fn in (
                "read_text",
                "read_csv",
                "read_json",
                "read_parquet",
                "parquet_metadata",
                "sniff_csv",
                "read_duckdb",
            )
        ),
        f"SELECT * FROM '{p}'",
        f"SELECT * FROM glob('{d}/*')",
        f"SELECT * FROM glob('{tempfile.gettempdir()}/*')",
    ]


def test_no_query_reaches_the_snapshot_file(console):
    for sql in _reads(console):
        try:
            result = console.run(sql)
        except ConsoleError as exc:
            assert not _leaks(str(exc), console), (sql, str(exc))
            assert "could not read" not in str(exc) and "sniffing" not in str(exc), (sql, str(exc))
        else:
            assert result.rows == [], (sql, result.rows)
    own = console.run("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").rows[0][0]
    assert not Path(own).exists()  # the worker's name for the file is gone before any query runs
    assert console.run("SELECT count(*) FROM incidents").rows[0][0] > 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM duckdb_extensions()",
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT * FROM read_text('{tempfile.gettempdir()}/x.txt')",
        f"SELECT * FROM '{tempfile.gettempdir()}/x.csv'",
        f"SELECT * FROM glob('{Path.home()}/*')",
        f'SELECT * FROM "{Path.home()}/x"',
    ],
    ids=["extensions", "etc", "tmp file", "tmp replacement scan", "home glob", "home table"],
)
def test_errors_name_no_server_path(sql, console):
    with pytest.raises(ConsoleError) as info:
        console.run(sql)
    message = str(info.value)
    assert not _leaks(message, console), message
    assert "\n" not in message


def test_refusals_log_what_they_leave_out(console, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER), pytest.raises(ConsoleError) as info:
        console.run("SELECT * FROM duckdb_extensions()")
    assert str(info.value) == "Not allowed: the console cannot use files, the network or extensions."
    assert any("Permission Error" in r.getMessage() for r in caplog.records if r.name.startswith(LOGGER))


def test_settings_do_not_reveal_the_account(console):
    home = str(Path.home())
    rows = console.run(
        f"SELECT name, value FROM duckdb_settings() WHERE value LIKE '%{home}%' OR regexp_matches(value, '\\broot\\b')"
    ).rows
    assert rows == []


@pytest.mark.parametrize("where", ["missing file", "missing directory"])
def test_a_worker_that_cannot_open_the_snapshot_says_so_without_paths(where, console, tmp_path, caplog):
    con = Console(console.path)
    con.path = tmp_path / "snapshot.duckdb" if where == "missing file" else tmp_path / "gone" / "snapshot.duckdb"
    try:
        with caplog.at_level(logging.WARNING, logger=LOGGER), pytest.raises(ConsoleError) as info:
            con.run("SELECT 1")
        message = str(info.value)
        assert message.startswith("The console could not start a worker process")
        assert str(tmp_path) not in message and not _leaks(message, console)
        assert any(str(tmp_path) in r.getMessage() for r in caplog.records if r.name.startswith(LOGGER))
        assert con.worker_pids() == []
    finally:
        con.close()
