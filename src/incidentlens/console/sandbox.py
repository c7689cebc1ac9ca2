"""The researcher SQL console: one read-only SELECT at a time over a snapshot of the dataset.

DuckDB has no privilege boundary of its own, so no single setting is trusted (tech notes §6):
- queries never run in the dashboard's process. Each runs in a worker process (at most
  `MAX_CONCURRENT`, started on first use and reused) whose address space is capped with
  `RLIMIT_AS` (`WORKER_MEMORY`, 2 GiB by default) and whose CPU time is capped per query with
  `RLIMIT_CPU`. The dashboard waits `timeout + WORKER_GRACE_S` at most, then kills the worker
  (SIGKILL) and starts a fresh one for the next query. So a scalar function that builds one giant
  value (`repeat`, `lpad`, `range` lists), which DuckDB neither counts against `memory_limit` nor
  interrupts, can exhaust only its worker, never the dashboard, and cannot overrun the time limit;
- the console never sees the dashboard's in-memory database; it opens a separate snapshot file,
  written once per console and opened `read_only`, so DDL, DML, data-modifying CTEs and
  `EXPLAIN ANALYZE DROP …` fail even if they get past the statement gate;
- the connection is opened with external access, extension loading, replacement scans and
  spilling off, memory, threads and execution time capped, and the configuration locked;
- the text must parse as exactly one statement of type SELECT (checked in the dashboard, which
  refuses early, and again in the worker);
- each query runs on its own cursor, is interrupted by a timer, and only `max_rows + 1` rows are
  ever fetched; the worker refuses results with too many values or too much text, and the
  dashboard decodes a worker's answer with an unpickler that builds only plain data types.
The worker is an OS-level boundary for memory and time, not a jail: it runs as the same user
(DuckDB's settings, not the OS, keep it away from files and the network). Put the dashboard in a
container or VM as well if the console is ever opened to untrusted users.
"""

from __future__ import annotations

import atexit
import contextlib
import copyreg
import csv
import datetime as dt
import decimal
import io
import json
import math
import os
import pickle
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

# pandas, pyarrow and the rest of the package are imported where they are used, so that a worker
# process (which imports this module) starts quickly and small: it needs only duckdb.
if TYPE_CHECKING:
    import pandas as pd

    from incidentlens.data.database import Database
    from incidentlens.data.schema import Package

MAX_SQL_CHARS = 20_000
DEFAULT_ROWS = 10_000
MAX_ROWS = 100_000
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
MAX_RESULT_CHARS = 50_000_000  # text in one result; more would not survive the trip to a browser
MAX_RESULT_VALUES = 3_000_000  # values in one result, list elements included (100,000 rows x 30)
MAX_CONCURRENT = 2  # console queries at once: each may use a core, the dashboard needs the rest
MEMORY_LIMIT = "512MB"
FORMATS = ("table", "csv", "json")

WORKER_MEMORY = 2 * 1024**3  # RLIMIT_AS of a worker: its whole address space (~0.7 GB is libraries)
WORKER_GRACE_S = 1.5  # past a query's time limit, the dashboard stops waiting and kills the worker
WORKER_START_S = 30.0  # a worker that has not opened the snapshot by then is killed
WORKER_RETIRE_RSS = 1024**3  # a worker left holding more than this after a query is replaced
MAX_RESPONSE_BYTES = 512 * 1024**2  # a worker's answer larger than this is refused unread

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
        "search_text": "Lower-cased title, summary, provider name and id, for free-text search",
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
        import pandas as pd

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
        return f"The query needed more memory than the console allows. ({first})"
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


def _gib(n: int) -> str:
    return f"{n / 1024**3:g} GiB"


# --- values that cross from a worker to the dashboard ----------------------------------------

_SCALARS = frozenset({type(None), bool, int, float, dt.date, dt.timedelta, decimal.Decimal, uuid.UUID})
_TZ_KINDS = (dt.datetime, dt.time)


class _Tally:
    __slots__ = ("values", "chars")

    def __init__(self) -> None:
        self.values = 0
        self.chars = 0

    def add(self, values: int) -> None:
        self.values += values
        if self.values > MAX_RESULT_VALUES:
            raise ConsoleError(f"The result holds more than {MAX_RESULT_VALUES:,} values (list elements "
                               "included); select fewer rows or columns, or aggregate.")


def _plain(value, tally: _Tally):
    """`value` as types the dashboard's unpickler accepts (anything else becomes its text), counted."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is str or kind is bytes:
        tally.chars += len(value)
        return value
    if kind in _TZ_KINDS:
        tz = value.tzinfo
        if tz is None or type(tz) is dt.timezone or (type(tz) is zoneinfo.ZoneInfo and tz.key):
            return value
        return value.isoformat()
    if kind is list or kind is tuple:
        tally.add(len(value))
        return kind([_plain(v, tally) for v in value])
    if kind is dict:
        tally.add(2 * len(value))
        return {_plain(k, tally): _plain(v, tally) for k, v in value.items()}
    return str(value)


def _plain_rows(rows: list[tuple]) -> list[tuple]:
    tally = _Tally()
    try:
        out = []
        for row in rows:
            tally.add(len(row))
            out.append(tuple([_plain(v, tally) for v in row]))
    except RecursionError:
        raise ConsoleError("The result is nested too deeply to show.") from None
    if tally.chars > MAX_RESULT_CHARS:
        raise ConsoleError(f"The result holds more than {MAX_RESULT_CHARS:,} characters of text; "
                           "select fewer rows or columns.")
    return out


def _reduce_zone(zone: zoneinfo.ZoneInfo):
    return zoneinfo.ZoneInfo, (zone.key,)  # by name; its default reduction goes through getattr


_ALLOWED = {("datetime", t.__name__): t for t in (dt.date, dt.time, dt.datetime, dt.timedelta, dt.timezone)}
_ALLOWED |= {("decimal", "Decimal"): decimal.Decimal, ("uuid", "UUID"): uuid.UUID,
             ("zoneinfo", "ZoneInfo"): zoneinfo.ZoneInfo}


class _PlainUnpickler(pickle.Unpickler):
    """Builds containers, numbers, text and the value classes above, and nothing else: a worker
    runs untrusted SQL, so its answer is data, never a recipe for calling arbitrary code."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not a value type") from None


# --- framing: an 8-byte length, then a pickle --------------------------------------------------

_HEADER = struct.Struct("!Q")


def _dumps(obj) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table | {zoneinfo.ZoneInfo: _reduce_zone}
    pickler.dump(obj)
    return buf.getvalue()


def _read_exact(stream, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


# --- the worker process ------------------------------------------------------------------------

_WORKER_CODE = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from incidentlens.console.sandbox import _worker_main; _worker_main(sys.argv[2:])")
_WORKER_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "TMPDIR", "LD_LIBRARY_PATH")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _limit_cpu(seconds: float) -> None:
    """Let this process use `seconds` more CPU time: SIGXCPU ends it if the dashboard has gone."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _serve(con: duckdb.DuckDBPyConnection, request: dict) -> tuple:
    """One request in a worker: ("ok", columns, rows, truncated, elapsed) or ("error", message)."""
    timeout_s = float(request["timeout_s"])
    _limit_cpu(timeout_s + WORKER_GRACE_S + 2)
    cur = con.cursor()
    try:
        _check(cur, request["sql"])
        result = _execute(cur, request["sql"], int(request["max_rows"]), timeout_s)
        return ("ok", result.columns, result.rows, result.truncated, result.elapsed_s)
    except ConsoleError as exc:
        return ("error", str(exc))
    except MemoryError:
        return ("error", "The query needed more memory than the console allows.")
    except Exception as exc:  # never a traceback: the first line is the message
        return ("error", _first_line(exc))
    finally:
        with contextlib.suppress(Exception):
            cur.close()


def _worker_main(argv: list[str]) -> None:
    """A worker's life: cap its own resources, open the snapshot, answer requests until EOF."""
    path, memory = argv[0], int(argv[1])
    out = os.fdopen(os.dup(1), "wb")  # the answers; anything a library prints goes to stderr
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write gigabytes of core
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # and nothing writes files
    if memory > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)  # never more than a container already allows
        memory = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    def send(reply: tuple) -> bool:
        data = _dumps(reply)
        try:
            out.write(_HEADER.pack(len(data)))
            out.write(data)
            out.flush()
        except (BrokenPipeError, OSError):  # the dashboard has gone
            return False
        return True

    try:
        con = duckdb.connect(path, read_only=True, config=HARDENED)
    except Exception as exc:
        send(("error", _first_line(exc)))
        return
    if not send(("ready", os.getpid())):
        return
    while True:
        header = _read_exact(requests, _HEADER.size)
        if header is None:
            return  # the dashboard closed the pipe: the console was closed or the process ended
        data = _read_exact(requests, _HEADER.unpack(header)[0])
        if data is None:
            return
        # The last element of every reply says whether this worker retires after it: a worker left
        # holding a lot of memory after a query is replaced rather than kept.
        try:
            reply = _serve(con, json.loads(data))
            retire = _rss_bytes() > WORKER_RETIRE_RSS
            sent = send((*reply, retire))
        except MemoryError:
            send(("error", "The result needed more memory than the console allows.", True))
            return
        except Exception as exc:  # e.g. a value that cannot be pickled: nothing was written yet
            retire = False
            sent = send(("error", f"The console could not send the result: {_first_line(exc)}", retire))
        if not sent or retire:
            return


class _Stopped(Exception):
    """The worker did not answer in time."""


class _Gone(Exception):
    """The worker ended before it answered; `str()` is the message for the researcher."""


class _Worker:
    """One worker process and its two pipes; used by one thread at a time."""

    def __init__(self, path: Path, memory: int):
        env = {k: os.environ[k] for k in _WORKER_ENV if k in os.environ}
        env["MALLOC_ARENA_MAX"] = "2"  # fewer malloc arenas: less address space used up front
        self.memory = memory
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _WORKER_CODE, str(Path(__file__).resolve().parents[1]), str(path),
             str(memory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(path.parent), env=env,
            close_fds=True, start_new_session=True,  # Ctrl-C in a terminal reaches the dashboard only
        )
        self.pid = self.proc.pid

    def start(self) -> None:
        """Wait for the worker to open the snapshot."""
        try:
            reply = self._answer(time.monotonic() + WORKER_START_S)
        except _Gone:
            raise _Gone(f"it ended at start-up ({self._exit_text()}); the server log has its error") from None
        if reply[0] != "ready":
            raise _Gone(f"it could not open the snapshot: {reply[1]}")

    def ask(self, request: dict, deadline: float) -> tuple:
        data = json.dumps(request).encode("utf-8")
        try:
            self.proc.stdin.write(_HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Gone(self._obituary()) from None
        return self._answer(deadline)

    def _answer(self, deadline: float) -> tuple:
        fd = self.proc.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        buf = bytearray()
        need = _HEADER.size
        header = True
        while True:
            while len(buf) < need:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(max(1, math.ceil(left * 1000))):
                    if time.monotonic() >= deadline:
                        raise _Stopped
                    continue
                chunk = os.read(fd, min(need - len(buf), 1 << 20))
                if not chunk:
                    raise _Gone(self._obituary())
                buf += chunk
            if not header:
                return _PlainUnpickler(io.BytesIO(buf)).load()
            size = _HEADER.unpack(buf)[0]
            if size > MAX_RESPONSE_BYTES:
                raise _Gone(f"The result is larger than {MAX_RESPONSE_BYTES // 1024**2:,} MiB; "
                            "select fewer rows or columns.")
            buf, need, header = bytearray(), size, False

    def _obituary(self) -> str:
        """Why the worker ended before answering, in a line for the researcher."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "The console's worker process stopped answering, so it was stopped."
        if code == -signal.SIGXCPU:
            return "The query used more CPU time than the console allows, so its worker process was stopped."
        how = self._exit_text()
        if code in (-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP):
            return f"The console's worker process was stopped from outside ({how}); run the query again."
        # SIGKILL (the kernel's OOM killer), SIGABRT (an allocation failure DuckDB could not
        # handle), SIGSEGV: under RLIMIT_AS these are, in practice, a query that ran out of memory.
        return (f"The query needed more memory than the console allows ({_gib(self.memory)}), "
                f"so its worker process was stopped ({how}).")

    def _exit_text(self) -> str:
        code = self.proc.poll()
        if code is None or code >= 0:
            return f"exit status {code}"
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


def _kill_all(workers: set[_Worker], lock: threading.Lock) -> None:
    with lock:
        doomed = list(workers)
        workers.clear()
    for worker in doomed:
        worker.kill()


def _execute(cur: duckdb.DuckDBPyConnection, sql: str, max_rows: int, timeout_s: float) -> Result:
    """Run `sql` on `cur` (in a worker) with an interrupt timer; fetch at most `max_rows + 1` rows."""
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
    return Result(columns, _plain_rows(rows[:max_rows]), len(rows) > max_rows, elapsed)


class Console:
    """Runs researchers' queries in worker processes over one read-only snapshot; safe to share
    between threads. Close it (or let the process exit) to stop its workers."""

    def __init__(self, path: Path, *, owns_file: bool = False, worker_memory: int = WORKER_MEMORY):
        self.path = Path(path)
        self._owns_file = owns_file
        self.worker_memory = int(worker_memory)
        # The dashboard's own connection parses queries and reads the schema; it never runs user SQL.
        self._con = duckdb.connect(str(self.path), read_only=True, config=HARDENED)
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()  # every live worker, idle or busy
        self._closed = False
        self._schema: pd.DataFrame | None = None
        self._finalizer = weakref.finalize(self, _kill_all, self._workers, self._lock)  # runs at exit too

    @classmethod
    def from_database(cls, db: Database, **kwargs) -> Console:
        """A console over a fresh snapshot of `db`; closing it deletes the snapshot."""
        return cls(snapshot(db), owns_file=True, **kwargs)

    def close(self) -> None:
        self._closed = True
        self._finalizer()  # kill the workers before their snapshot goes
        self._con.close()
        if self._owns_file:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        """Process ids of this console's live workers (for tests and monitoring)."""
        with self._lock:
            return sorted(w.pid for w in self._workers)

    def schema_table(self, package: Package) -> pd.DataFrame:
        """Every table and view column with its SQL type and its description from datapackage.json."""
        if self._schema is None:
            import pandas as pd

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

    def run(self, sql: str, max_rows: int = DEFAULT_ROWS, timeout_s: float = DEFAULT_TIMEOUT_S) -> Result:
        """Run one SELECT; raise `ConsoleError` for anything refused, stopped or failed."""
        if len(sql) > MAX_SQL_CHARS:
            raise ConsoleError(f"The query is {len(sql):,} characters long; the limit is {MAX_SQL_CHARS:,}.")
        max_rows = max(1, min(int(max_rows), MAX_ROWS))
        timeout_s = max(0.1, min(float(timeout_s), MAX_TIMEOUT_S))
        if self._closed:
            raise ConsoleError("The console is closed.")
        if not self._slots.acquire(timeout=timeout_s):
            raise ConsoleError("The console is busy with other queries; try again in a moment.")
        try:
            try:
                cur = self._con.cursor()
            except duckdb.Error as exc:  # closed meanwhile
                raise ConsoleError(self._closed_or(_first_line(exc))) from None
            try:
                _check(cur, sql)  # refuse early, without a round trip
            finally:
                cur.close()
            return self._ask({"sql": sql, "max_rows": max_rows, "timeout_s": timeout_s}, timeout_s)
        finally:
            self._slots.release()

    def _ask(self, request: dict, timeout_s: float) -> Result:
        worker = self._take()
        keep = False
        try:
            reply = worker.ask(request, time.monotonic() + timeout_s + WORKER_GRACE_S)
            keep = not reply[-1]
        except _Stopped:
            raise ConsoleError(f"The query was stopped after {timeout_s:g} s (the time limit).") from None
        except _Gone as exc:
            raise ConsoleError(self._closed_or(str(exc))) from None
        except (pickle.UnpicklingError, ValueError, EOFError, struct.error) as exc:
            raise ConsoleError(f"The console could not read the result: {_first_line(exc)}") from None
        finally:
            if keep:
                with self._lock:
                    if self._closed:
                        keep = False
                    else:
                        self._idle.append(worker)
            if not keep:
                self._discard(worker)
        if reply[0] == "ok":
            _, columns, rows, truncated, elapsed, _ = reply
            return Result(list(columns), rows, bool(truncated), float(elapsed))
        raise ConsoleError(str(reply[1]))

    def _take(self) -> _Worker:
        """An idle worker, or a new one (at most `MAX_CONCURRENT` exist: one per slot)."""
        with self._lock:
            if self._closed:
                raise ConsoleError("The console is closed.")
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None:
                    return worker
                self._workers.discard(worker)
                worker.kill()
            try:
                worker = _Worker(self.path, self.worker_memory)
            except OSError as exc:
                raise ConsoleError(f"The console could not start a worker process: {_first_line(exc)}") from None
            self._workers.add(worker)
        try:
            worker.start()
        except (_Stopped, _Gone, pickle.UnpicklingError, EOFError) as exc:
            self._discard(worker)
            reason = "it did not start in time" if isinstance(exc, _Stopped) else _first_line(exc)
            raise ConsoleError(self._closed_or(f"The console could not start a worker process: {reason}")) from None
        return worker

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
            with contextlib.suppress(ValueError):
                self._idle.remove(worker)
        worker.kill()

    def _closed_or(self, message: str) -> str:
        return "The console was closed while the query ran." if self._closed else message


def _descriptions(package: Package) -> dict[tuple[str, str], str]:
    out = {(t, c): d for t, cols in DERIVED.items() for c, d in cols.items()}
    for name in package.resource_names():
        for f in package.fields(name):
            out[(name, f.name)] = f.description
    return out


def for_display(result: Result) -> pd.DataFrame:
    """The result as a frame Streamlit can always render: unique column names, and any column
    Arrow cannot type (e.g. HUGEINT beyond int64) shown as text."""
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
        from incidentlens.present.exports import neutralise

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

