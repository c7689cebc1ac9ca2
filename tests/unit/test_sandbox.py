"""The SQL console: right numbers for legitimate queries, and every hostile statement refused or
stopped with a one-line message, leaving both the snapshot and the dashboard's database intact."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from incidentlens.console import Console, ConsoleError, catalogue, gate, output, worker
from incidentlens.query import queries
from incidentlens.query.filters import Filters
from paths import REAL

TABLES = ("incidents", "sources", "policy_actions", "provider_types")
GATE = "Only a single SELECT statement is allowed"
DENIED = "Not allowed"


def _counts(run) -> dict[str, int]:
    return {t: int(run(f"SELECT count(*) FROM {t}")) for t in TABLES}


@pytest.fixture(scope="module")
def baseline(db) -> dict[str, int]:
    """Row counts of the dashboard's tables before any console query ran."""
    return _counts(db.scalar)


@pytest.fixture(scope="module")
def console(db, baseline):
    con = Console.from_database(db)
    yield con
    con.close()


def _console_counts(console: Console) -> dict[str, int]:
    return _counts(lambda sql: console.run(sql).rows[0][0])


# --- legitimate queries ----------------------------------------------------------------------


def test_snapshot_keeps_every_table_and_type(db, console):
    for table in TABLES:
        expected = db.query(f"DESCRIBE {table}")[["column_name", "column_type"]]
        got = console.run(f"DESCRIBE {table}").df()[["column_name", "column_type"]]
        pd.testing.assert_frame_equal(got, expected)
    row = console.run("SELECT attack_date, countries, labelled_msp FROM incidents LIMIT 1").rows[0]
    assert isinstance(row[0], dt.date) and isinstance(row[1], list) and isinstance(row[2], bool)


def test_snapshot_is_private_read_only_and_removed_on_close(db):
    con = Console.from_database(db)
    assert con.path.stat().st_mode & 0o777 == 0o400
    assert con.path.parent.stat().st_mode & 0o777 == 0o700
    con.close()
    assert not con.path.parent.exists()


def test_examples_all_run(console):
    for name, sql in catalogue.EXAMPLES.items():
        result = console.run(sql)
        assert result.rows, name
        assert not result.truncated


def test_examples_run_on_the_real_data(request):
    """About the curated data: every example still matches its schema."""
    if not (REAL / "incidents.csv").exists():
        pytest.skip("the curated data is not there yet")
    con = Console.from_database(request.getfixturevalue("real_db"))
    try:
        for name, sql in catalogue.EXAMPLES.items():
            assert con.run(sql).columns, name
    finally:
        con.close()


def test_government_example_matches_the_query_layer(db, console):
    got = dict(console.run(catalogue.EXAMPLES["Labelled MSP by government sources, by assessed type"]).rows)
    h = queries.headline(db, Filters(labelled_by=("government",)))
    assert got == {t.code: t.share.k for t in h.by_type}
    assert sum(got.values()) == h.n > 0


def test_year_family_example_matches_the_database(db, console):
    got = console.run(catalogue.EXAMPLES["Incidents per year and provider family"]).df()
    expected = db.query(
        "SELECT attack_year, provider_family, count(*) AS incidents FROM incidents "
        "GROUP BY ALL ORDER BY attack_year, provider_family"
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["incidents"].sum() == queries.count(db, Filters())


def test_label_examples_match_the_database(db, console):
    got = console.run(catalogue.EXAMPLES["Sources per label term and who said it"]).rows
    expected = db.query(
        "SELECT label_term, speaker_type, count(*) FROM sources WHERE counted GROUP BY ALL ORDER BY ALL"
    )
    assert got == [tuple(r) for r in expected.itertuples(index=False)]
    called = console.run(
        catalogue.EXAMPLES["Incidents whose provider was called an MSP but assessed as something else"]
    ).df()
    flows = queries.label_flows(db, Filters())
    assert set(called["incident_id"]) == set(
        db.query(
            "SELECT DISTINCT incident_id FROM sources JOIN incidents USING (incident_id) "
            "WHERE label_term = 'msp' AND counted AND provider_type <> 'msp'"
        )["incident_id"]
    )
    assert len(called) == flows.query("label_term == 'msp' and provider_type != 'msp'")["n"].sum()


def test_views_agree_with_their_tables(console):
    assert (
        console.run("SELECT count(*) FROM incident_labels").rows == console.run("SELECT count(*) FROM incidents").rows
    )
    assert console.run("SELECT count(*) FROM source_labels").rows == console.run("SELECT count(*) FROM sources").rows


def test_big_results_are_truncated_quickly(console):
    started = time.perf_counter()
    result = console.run("SELECT * FROM range(10000000)", max_rows=1000)
    assert time.perf_counter() - started < 1.0
    assert len(result.rows) == 1000 and result.truncated
    capped = console.run("SELECT * FROM range(200000)", max_rows=10**9)
    assert len(capped.rows) == worker.MAX_ROWS and capped.truncated
    exact = console.run("SELECT * FROM range(5)", max_rows=5)
    assert len(exact.rows) == 5 and not exact.truncated


def test_schema_table_describes_every_column(db, console):
    schema = console.schema_table(db.package)
    assert list(schema["table"].unique()) == [*TABLES, *catalogue.VIEWS]
    incidents = schema[schema["table"] == "incidents"].set_index("column")
    assert incidents.at["countries", "type"] == "VARCHAR[]"
    assert incidents.at["attack_date", "type"] == "DATE"
    assert (schema["description"] != "").all(), schema[schema["description"] == ""]


# --- hostile statements ----------------------------------------------------------------------

HOSTILE = [
    # files and the network
    ("SELECT * FROM read_csv('/etc/passwd', sep = ':')", DENIED),
    ("SELECT * FROM read_csv('/proc/self/environ')", DENIED),
    ("SELECT * FROM read_text('/etc/hostname')", DENIED),
    ("SELECT * FROM read_blob('/etc/hostname')", DENIED),
    ("SELECT * FROM sniff_csv('/etc/passwd')", DENIED),
    ("SELECT * FROM glob('/etc/*')", DENIED),
    ("SELECT * FROM '/etc/passwd'", "does not exist"),
    ("SELECT * FROM read_duckdb('/tmp/other.duckdb')", DENIED),
    ("SELECT * FROM read_csv('https://example.com/x.csv')", DENIED),
    ("SELECT * FROM read_parquet('http://169.254.169.254/latest/meta-data')", DENIED),
    (
        "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM read_text(''/etc/hostname'')'))",
        DENIED,
    ),
    ("SELECT * FROM duckdb_extensions()", DENIED),
    ("COPY incidents TO '/tmp/incidents.csv'", GATE),
    ("COPY incidents FROM '/etc/passwd'", GATE),
    ("EXPORT DATABASE '/tmp/incidentlens-export'", GATE),
    ("ATTACH '/tmp/evil.duckdb' AS evil", GATE),
    ("ATTACH ':memory:' AS m", GATE),
    ("DETACH snapshot", GATE),
    ("USE memory", GATE),
    ("INSTALL httpfs", GATE),
    ("LOAD httpfs", GATE),
    ("LOAD '/tmp/evil.duckdb_extension'", GATE),
    ("UPDATE EXTENSIONS", GATE),
    # settings
    ("SET enable_external_access = true", GATE),
    ("SET threads = 8", GATE),
    ("RESET memory_limit", GATE),
    ("SET VARIABLE x = 1", GATE),
    ("PRAGMA threads = 8", GATE),
    ("PRAGMA version", GATE),
    ("CALL pragma_version()", GATE),
    ("SELECT * FROM enable_logging(storage = 'file', storage_path = '/tmp/incidentlens-log')", "locked"),
    ("SELECT * FROM enable_profiling(format := 'json', save_location := '/tmp/incidentlens-prof.json')", "locked"),
    # writes, DDL and tricks around the statement type
    ("CREATE TABLE t AS SELECT 1", GATE),
    ("CREATE TEMP TABLE t AS SELECT 1", GATE),
    ("CREATE MACRO m() AS 1", GATE),
    ("DROP TABLE incidents", GATE),
    ("DELETE FROM incidents", GATE),
    ("UPDATE incidents SET title = 'x'", GATE),
    ("INSERT INTO incidents SELECT * FROM incidents", GATE),
    ("CHECKPOINT", GATE),
    ("VACUUM", GATE),
    ("BEGIN", GATE),
    ("PREPARE p AS SELECT 1", GATE),
    ("WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d", "read-only"),
    ("WITH u AS (UPDATE sources SET url = 'x' RETURNING *) SELECT count(*) FROM u", "read-only"),
    ("EXPLAIN ANALYZE DROP TABLE incidents", GATE),
    ("EXPLAIN SELECT 1", GATE),
    ("SELECT 1; DROP TABLE incidents", "found 2 statements (SELECT, DROP)"),
    ("SELECT 1; SELECT 2", "found 2 statements"),
    ("/**/ DROP TABLE incidents", GATE),
    ("-- a comment\nDELETE FROM incidents", GATE),
    ("SELECT * FROM query('DROP TABLE incidents')", "single SELECT"),
    ("PIVOT incidents ON provider_type USING count(*)", "expands into several"),
    # the dashboard's own database and the caller's Python variables
    ("SELECT * FROM memory.main.incidents", "does not exist"),
    ("SELECT * FROM secret_df", "does not exist"),
    # resources and bad input
    ("SELECT list(i) FROM range(200000000) t(i)", "memory"),
    ("SELECT 1 " + " " * gate.MAX_SQL_CHARS, "the limit is 20,000"),
    ("-- only a comment", "Nothing to run"),
    ("SELEC 1", "Parser Error"),
]


@pytest.mark.parametrize(("sql", "expected"), HOSTILE, ids=[h[0][:60] for h in HOSTILE])
def test_hostile_statement_is_refused(sql, expected, console, db, baseline):
    secret_df = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841 - a replacement-scan target
    with pytest.raises(ConsoleError) as info:
        console.run(sql)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message and "hunter2" not in message
    assert "root:" not in message  # nothing from /etc/passwd


TIMEOUTS = [
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "SELECT count(*) FROM range(100000) a, range(100000) b, range(1000) c",
    "SELECT i FROM range(1000000000000) t(i) WHERE i % 100000007 = 0",  # slow while fetching
]


@pytest.mark.parametrize("sql", TIMEOUTS, ids=["recursive CTE", "cross join", "slow stream"])
def test_runaway_queries_are_stopped_in_time(sql, console):
    started = time.perf_counter()
    with pytest.raises(ConsoleError, match=r"stopped after 1 s"):
        console.run(sql, timeout_s=1)
    assert time.perf_counter() - started < 4.0


def test_layers_hold_even_without_the_statement_gate(console, tmp_path):
    """The read-only, locked connection refuses on its own what the gate normally stops first."""
    target = tmp_path / "out"
    secret_df = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841 - in this very frame
    raw = duckdb.connect(str(console.path), read_only=True, config=gate.HARDENED)
    try:
        for sql in [
            "SELECT * FROM secret_df",
            "DROP TABLE incidents",
            "DELETE FROM incidents",
            "CREATE TABLE t AS SELECT 1",
            "EXPLAIN ANALYZE DROP TABLE incidents",
            "SELECT 1; DROP TABLE incidents",
            "WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d",
            "ATTACH ':memory:' AS m",
            f"ATTACH '{target}.duckdb' AS evil",
            f"COPY incidents TO '{target}.csv'",
            f"EXPORT DATABASE '{target}'",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "SET threads = 8",
            "SET max_execution_time = 0",
            "SET lock_configuration = false",
            "RESET memory_limit",
            f"SET profiling_output = '{target}.json'",
        ]:
            cur = raw.cursor()
            with pytest.raises(duckdb.Error):
                cur.execute(sql)
            cur.close()
    finally:
        raw.close()
    assert list(tmp_path.iterdir()) == []
    assert _console_counts(console)["incidents"] > 0


def test_nothing_changed_and_normal_queries_still_work(console, db, baseline):
    """Run after the hostile cases (file order): both databases are exactly as they were."""
    assert _console_counts(console) == baseline
    assert _counts(db.scalar) == baseline
    names = {r[0] for r in console.run("SELECT table_name FROM duckdb_tables()").rows}
    assert names == set(TABLES)
    databases = {r[0] for r in console.run("SELECT database_name FROM duckdb_databases()").rows}
    assert "memory" not in databases  # the dashboard's in-memory database is not attached
    assert console.run("SELECT count(*) FROM incidents WHERE labelled_msp").rows[0][0] == int(
        db.scalar("SELECT count(*) FROM incidents WHERE labelled_msp")
    )
    assert queries.headline(db, Filters()).n == baseline["incidents"]


def test_console_and_dashboard_queries_run_concurrently(console, db):
    sql = catalogue.EXAMPLES["Incidents per year and provider family"]
    expected_console = console.run(sql).rows
    expected_headline = queries.headline(db, Filters())

    def on_console(_):
        return [console.run(sql).rows for _ in range(5)]

    def on_dashboard(_):
        return [queries.headline(db, Filters()) for _ in range(5)]

    with ThreadPoolExecutor(16) as pool:
        console_jobs = [pool.submit(on_console, i) for i in range(8)]
        dashboard_jobs = [pool.submit(on_dashboard, i) for i in range(8)]
        for job in console_jobs:
            assert job.result(timeout=30) == [expected_console] * 5
        for job in dashboard_jobs:
            assert job.result(timeout=30) == [expected_headline] * 5


# --- the worker process: giant values, crashes, cleanup ---------------------------------------

# Scalar functions that build one giant value: DuckDB neither counts them against memory_limit nor
# interrupts them, so only the worker's RLIMIT_AS and the dashboard's deadline stop them. Integer
# literals: DuckDB 2.0 types 1e9 as DOUBLE, so `repeat('x', 1e9)` is merely a binder error.
GIANT = [
    "SELECT length(repeat('x', 1000000000))",  # 1 GB of text; 11 s in a 2 GiB worker
    "SELECT length(lpad('x', 2000000000, 'y'))",  # 2 GB of text, built slowly
    "SELECT len(range(0, 100000000))",  # an 800 MB list (2.6 GB of RSS in-process)
    "SELECT len(range(0, 4000000000))",  # asks for 32 GB at once
]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children() -> set[int]:
    """Live processes whose parent is this test process."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[1]) == os.getpid():
                out.add(int(entry.name))
    return out


@pytest.mark.parametrize("sql", GIANT, ids=["repeat 1e9", "lpad 2e9", "range 1e8", "range 4e9"])
def test_giant_values_cannot_exhaust_the_dashboard(sql, console):
    before = _rss_mb()
    started = time.perf_counter()
    with pytest.raises(ConsoleError, match=r"stopped after 1 s|more memory than the console allows") as info:
        console.run(sql, timeout_s=1)
    assert time.perf_counter() - started < 1 + worker.WORKER_GRACE_S + 2
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    assert _rss_mb() - before < 200
    assert console.run("SELECT 42 AS n").rows == [(42,)]  # a fresh worker if the last one was killed
    assert len(console.worker_pids()) <= worker.MAX_CONCURRENT


def test_workers_are_limited_reused_and_stopped_on_close(db):
    con = Console.from_database(db, worker_memory=1536 * 1024**2)
    try:
        assert con.worker_pids() == []  # started on first use
        con.run("SELECT 1")
        first = con.worker_pids()
        con.run("SELECT 2")
        assert con.worker_pids() == first  # reused
        limits = Path(f"/proc/{first[0]}/limits").read_text()
        assert re.search(r"Max address space\s+1610612736\s+1610612736 ", limits)
        assert re.search(r"Max core file size\s+0\s+0 ", limits)
        with ThreadPoolExecutor(4) as pool:
            counts = list(pool.map(lambda _: con.run("SELECT count(*) FROM range(3000000)").rows, range(8)))
        assert counts == [[(3000000,)]] * 8
        pids = con.worker_pids()
        assert 1 <= len(pids) <= worker.MAX_CONCURRENT
        assert set(pids) <= _children()
    finally:
        con.close()
    assert con.worker_pids() == [] and not set(pids) & _children()
    with pytest.raises(ConsoleError, match="closed"):
        con.run("SELECT 1")


def test_a_worker_that_dies_gives_one_plain_line_and_is_replaced(db):
    con = Console.from_database(db)
    try:
        con.run("SELECT 1")
        [pid] = con.worker_pids()
        killer = threading.Timer(0.5, os.kill, [pid, signal.SIGSEGV])
        killer.start()
        started = time.perf_counter()
        with pytest.raises(ConsoleError, match=r"more memory than the console allows \(2 GiB\).*\(SIGSEGV\)\.$"):
            con.run("SELECT length(lpad('x', 2000000000, 'y'))", timeout_s=10)
        assert time.perf_counter() - started < 3
        assert con.run("SELECT 42").rows == [(42,)]
        assert con.worker_pids() != [pid] and not _alive(pid)
    finally:
        con.close()


def test_a_worker_that_cannot_start_is_reported(console, monkeypatch):
    monkeypatch.setattr(worker, "_WORKER_CODE", "raise SystemExit(3)")  # as if duckdb failed to import
    con = Console(console.path)
    try:
        with pytest.raises(
            ConsoleError,
            match=r"could not start a worker process: it ended at start-up "
            r"\(exit status 3\)",
        ):
            con.run("SELECT 1")
        assert con.worker_pids() == []
    finally:
        con.close()


def test_a_worker_exits_when_its_dashboard_dies(console):
    code = (
        "import os, sys; from incidentlens.console import Console; c = Console(sys.argv[1]); "
        "c.run('SELECT 1'); print(c.worker_pids()[0], flush=True); os._exit(0)"
    )  # no cleanup
    out = subprocess.run(
        [sys.executable, "-c", code, str(console.path)], capture_output=True, text=True, timeout=30, check=True
    )
    pid = int(out.stdout)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_every_type_survives_the_trip_from_the_worker(console):
    sql = (
        "SELECT DATE '2020-01-02' d, TIME '01:02:03' t, TIMESTAMP '2020-01-02 03:04:05' ts, "
        "TIMESTAMPTZ '2020-01-02 03:04:05+02' tz, TIMETZ '01:02:03+05' ttz, INTERVAL 3 DAY i, "
        "1.5::DECIMAL(5, 2) dec, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID u, 'ab'::BLOB b, "
        "MAP {'a': 1} m, {'x': [1, 2]} s, MAP {[1, 2]: 'x'} lm, 'a'::ENUM('a', 'b') e, "
        "170141183460469231731687303715884105727::HUGEINT h, [1, 2]::INT[2] arr, 'infinity'::DATE inf"
    )
    raw = duckdb.connect(str(console.path), read_only=True, config=gate.HARDENED)
    try:
        expected = raw.execute(sql).fetchone()
    finally:
        raw.close()
    got = console.run(sql).rows[0]
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert got[3].utcoffset() == dt.timedelta(0) and got[4].utcoffset() == dt.timedelta(hours=5)


def test_worker_answers_are_decoded_as_data_only():
    class Evil:
        def __reduce__(self):
            return os.system, ("true",)

    for evil in (Evil(), os.system, getattr, subprocess.Popen):
        with pytest.raises(pickle.UnpicklingError):
            worker._PlainUnpickler(io.BytesIO(pickle.dumps(evil))).load()


# --- output ----------------------------------------------------------------------------------

ODD = (
    "SELECT '=1+2' AS \"=x\", -5 AS n, ['a', 'b'] AS l, DATE '2020-01-02' AS d, "
    "'a' || chr(13) || 'b' AS cr, 'nan'::DOUBLE AS nan, NULL AS nothing, 1.50::DECIMAL(5, 2) AS dec"
)


def test_csv_is_spreadsheet_safe_and_round_trips(console):
    text = output.format_result(console.run(ODD), "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["'=x", "n", "l", "d", "cr", "nan", "nothing", "dec"]
    assert rows[1] == ["'=1+2", "-5", "a;b", "2020-01-02", "a\rb", "nan", "", "1.50"]
    assert len(rows) == 2


def test_json_is_faithful(console):
    doc = json.loads(output.format_result(console.run(ODD), "json"))
    assert doc["columns"][0] == "=x" and doc["row_count"] == 1 and doc["truncated"] is False
    assert doc["rows"][0] == ["=1+2", -5, ["a", "b"], "2020-01-02", "a\rb", None, None, "1.50"]


def test_table_text_notes_truncation(console):
    text = output.format_result(console.run("SELECT * FROM range(50) t(i)", max_rows=3), "table")
    lines = text.splitlines()
    assert lines[0] == "i" and lines[2:5] == ["0", "1", "2"]
    assert "truncated at 3 rows" in lines[-1]
    with pytest.raises(ValueError):
        output.format_result(console.run("SELECT 1"), "xml")


def test_for_display_renames_duplicates_and_stringifies_what_arrow_cannot_type(console):
    result = console.run("SELECT 1 AS a, 2 AS a, 170141183460469231731687303715884105727::HUGEINT AS h")
    df = output.for_display(result)
    assert list(df.columns) == ["a", "a_2", "h"]
    assert df.at[0, "h"] == "170141183460469231731687303715884105727"


def test_main_sql_exit_codes(db, capsys):
    assert output.main_sql("SELECT count(*) AS n FROM incidents", "csv", 10, db) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["n", str(queries.count(db, Filters()))] and out.err == ""
    assert output.main_sql("SELECT * FROM range(20)", "json", 5, db) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["truncated"] is True and "truncated at 5 rows" in out.err
    assert output.main_sql("SELECT 1; DROP TABLE incidents", "table", 10, db) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith(f"error: {GATE}")
    assert output.main_sql("SELECT 1", "xml", 10, db) == 2
