"""Worker processes: every console query runs in one, never in the dashboard's process.

Each worker (at most `MAX_CONCURRENT`, started on first use and reused) caps its own address space
with `RLIMIT_AS` (`WORKER_MEMORY`, 2 GiB by default) and its CPU time per query with `RLIMIT_CPU`.
The dashboard waits `timeout + WORKER_GRACE_S` at most, then kills the worker (SIGKILL) and starts
a fresh one for the next query. So a scalar function that builds one giant value (`repeat`,
`lpad`, `range` lists), which DuckDB neither counts against `memory_limit` nor interrupts, can
exhaust only its worker, never the dashboard, and cannot overrun the time limit.

Requests go to a worker as JSON and answers come back pickled, each framed by an 8-byte length.
The worker turns every value into plain types and cuts a result at `max_bytes` (16 MiB by default,
at most `MAX_BYTES`) as well as `max_rows`, so the dashboard never holds more than that of one
result; it refuses values nested deeper than `MAX_DEPTH`. The dashboard decodes answers with an
unpickler that builds only plain data types, because the worker runs untrusted SQL.

Each worker opens its own hard link to the snapshot, which the dashboard deletes as soon as the
worker has opened it: DuckDB lets a connection read its own database file even with external
access off, and a name that no longer exists cannot be read. Errors name nothing on the server;
what they leave out goes to this module's logger.

The worker is an OS-level boundary for memory and time, not a jail: it runs as the same user
(DuckDB's settings, not the OS, keep it away from files and the network). Put the dashboard in a
container or VM as well if the console is ever opened to untrusted users.
"""

from __future__ import annotations

import contextlib
import copyreg
import ctypes
import datetime as dt
import decimal
import io
import json
import logging
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
from typing import IO, TYPE_CHECKING, Any, Literal

import duckdb

from incidentlens.console import catalogue
from incidentlens.console.gate import (
    DEFAULT_TIMEOUT_S,
    HARDENED,
    MAX_DEPTH,
    MAX_SQL_CHARS,
    MAX_TIMEOUT_S,
    ConsoleError,
    check,
    first_line,
    refusal,
)

# pandas and the rest of the package are imported where they are used, so that a worker process
# (which imports this module) starts quickly and small: it needs only duckdb.
if TYPE_CHECKING:
    import pandas as pd

    from incidentlens.data.database import Database
    from incidentlens.data.schema import Package

_LOG = logging.getLogger(__name__)

DEFAULT_ROWS = 10_000
MAX_ROWS = 100_000
DEFAULT_BYTES = 16 * 1024**2  # of one result, as the dashboard holds it (see `_VALUE_BYTES`)
MAX_BYTES = 64 * 1024**2  # the most a caller may ask for (the command line does)
_VALUE_BYTES = 32  # what one value (a row, a number, a list…) costs the dashboard besides its text
MAX_CONCURRENT = 2  # console queries at once: each may use a core, the dashboard needs the rest

WORKER_MEMORY = 2 * 1024**3  # RLIMIT_AS of a worker: its whole address space (~0.7 GB is libraries)
WORKER_GRACE_S = 1.5  # past a query's time limit, the dashboard stops waiting and kills the worker
WORKER_START_S = 30.0  # a worker that has not opened the snapshot by then is killed
WORKER_RETIRE_RSS = 1024**3  # a worker left holding more than this after a query is replaced
MAX_RESPONSE_BYTES = 512 * 1024**2  # a worker's answer larger than this is refused unread
_MAX_BATCH = 1024  # rows fetched at once, fewer when rows are big (see `_fetch`)
_M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter (malloc.h)
_MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept fixed (see `_return_big_blocks_to_the_os`)


@dataclass(frozen=True)
class Result:
    """The first rows of one query, at most `max_rows` of them and `max_bytes` in all; `cut_by`
    says which limit stopped it when more rows were available."""

    columns: list[str]
    rows: list[tuple]
    elapsed_s: float
    cut_by: Literal["rows", "bytes"] | None
    nbytes: int  # the rows' size as the limit counts it
    max_bytes: int

    @property
    def truncated(self) -> bool:
        return self.cut_by is not None

    def cut_note(self) -> str:
        """Why the rows stop where they do, for a note after the table ("" if nothing was cut)."""
        if self.cut_by == "bytes":
            return f"cut at {len(self.rows):,} rows: the result reached the size limit of {size_text(self.max_bytes)}"
        return f"truncated at {len(self.rows):,} rows" if self.cut_by == "rows" else ""

    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.rows, columns=self.columns, coerce_float=False)


def size_text(n: int) -> str:
    """A size in the unit people read limits in: `16 MiB`, `9.8 KiB`, `512 bytes`."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:,} bytes"


def _return_big_blocks_to_the_os() -> None:
    """Have glibc map every allocation of 128 KiB or more on its own, so that freeing it returns
    the memory to the OS.

    Left to itself, glibc raises that threshold after the first big free (up to 32 MiB), and the
    buffers of the results drawn afterwards stay in its heap once their sessions have gone: five
    sessions of 16 MiB results left the dashboard 107 MB above its baseline (0.1 MB with this).
    Other C libraries have no such mallopt(), and nothing is done."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def _interrupt(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # the query finished and the cursor closed first
        cur.interrupt()


# --- values that cross from a worker to the dashboard ----------------------------------------

_SCALARS = frozenset({type(None), bool, int, float, dt.date, dt.timedelta, decimal.Decimal, uuid.UUID})
_TZ_KINDS = (dt.datetime, dt.time)


class _Full(Exception):
    """The row being converted does not fit in what is left of the size limit."""


class _Tally:
    """Bytes of one row so far, against what is left of the result's size limit: a giant value
    stops the conversion as soon as it passes the limit rather than after it is copied."""

    __slots__ = ("nbytes", "budget")

    def __init__(self, budget: int) -> None:
        self.nbytes = 0
        self.budget = budget

    def add(self, n: int) -> None:
        self.nbytes += n
        if self.nbytes > self.budget:
            raise _Full


def _text_bytes(value: str | bytes) -> int:
    return len(value) if isinstance(value, bytes) or value.isascii() else len(value.encode("utf-8"))


def _plain(value: Any, tally: _Tally, depth: int) -> object:
    """`value` as types the dashboard's unpickler accepts (anything else becomes its text), counted;
    `depth` is how many lists, structs or maps enclose it.

    Dispatches on the exact type (a subclass becomes text), which mypy cannot narrow: hence Any."""
    tally.add(_VALUE_BYTES)
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is str or kind is bytes:
        tally.add(_text_bytes(value))
        return value
    if kind in _TZ_KINDS:
        tz = value.tzinfo
        if tz is None or type(tz) is dt.timezone or (type(tz) is zoneinfo.ZoneInfo and tz.key):
            return value
        return value.isoformat()
    if kind is list or kind is tuple or kind is dict:
        if depth == MAX_DEPTH:  # deeper values defeat Arrow, the browser and recursive formatting
            raise ConsoleError(
                f"The result holds values nested more than {MAX_DEPTH} levels deep; "
                "select an inner part or convert it with to_json()."
            )
        if kind is dict:
            return {_plain(k, tally, depth + 1): _plain(v, tally, depth + 1) for k, v in value.items()}
        return kind([_plain(v, tally, depth + 1) for v in value])
    text = str(value)
    tally.add(len(text))
    return text


def _fetch(
    cur: duckdb.DuckDBPyConnection, max_rows: int, max_bytes: int
) -> tuple[list[tuple], int, Literal["rows", "bytes"] | None]:
    """The first rows as plain values, at most `max_rows` of them and `max_bytes` in all, their
    size, and the limit that cut them. Batches are sized from the rows so far, so the worker
    materialises little beyond the limits even when a few rows are huge."""
    rows: list[tuple] = []
    nbytes = 0
    batch = 1
    while True:
        want = min(batch, max_rows + 1 - len(rows))
        fetched = cur.fetchmany(want)
        for row in fetched:
            if len(rows) == max_rows:
                return rows, nbytes, "rows"
            tally = _Tally(max_bytes - nbytes)
            try:
                tally.add(_VALUE_BYTES)
                rows.append(tuple([_plain(v, tally, 0) for v in row]))
            except _Full:
                if not rows:
                    raise ConsoleError(
                        f"The first row alone is larger than {size_text(max_bytes)} (the size "
                        "limit); select fewer or shorter columns."
                    ) from None
                return rows, nbytes, "bytes"
            nbytes += tally.nbytes
        if len(fetched) < want:
            return rows, nbytes, None
        batch = max(1, min(_MAX_BATCH, (max_bytes - nbytes) * len(rows) // max(nbytes, 1)))


def _reduce_zone(zone: zoneinfo.ZoneInfo) -> tuple[type, tuple[str]]:
    return zoneinfo.ZoneInfo, (zone.key,)  # by name; its default reduction goes through getattr


_ALLOWED: dict[tuple[str, str], type] = {
    ("datetime", t.__name__): t for t in (dt.date, dt.time, dt.datetime, dt.timedelta, dt.timezone)
}
_ALLOWED |= {
    ("decimal", "Decimal"): decimal.Decimal,
    ("uuid", "UUID"): uuid.UUID,
    ("zoneinfo", "ZoneInfo"): zoneinfo.ZoneInfo,
}


class _PlainUnpickler(pickle.Unpickler):
    """Builds containers, numbers, text and the value classes above, and nothing else: a worker
    runs untrusted SQL, so its answer is data, never a recipe for calling arbitrary code."""

    def find_class(self, module: str, name: str) -> type:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not a value type") from None


# --- framing: an 8-byte length, then a pickle --------------------------------------------------

_HEADER = struct.Struct("!Q")


def _dumps(obj: object) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table | {zoneinfo.ZoneInfo: _reduce_zone}
    pickler.dump(obj)
    return buf.getvalue()


def _read_exact(stream: IO[bytes], n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


# --- the worker process ------------------------------------------------------------------------

_WORKER_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from incidentlens.console.worker import _worker_main; _worker_main(sys.argv[2:])"
)
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
    """One request in a worker: ("ok", columns, rows, elapsed, cut_by, nbytes) or
    ("error", message, detail for the server log or None)."""
    timeout_s = float(request["timeout_s"])
    _limit_cpu(timeout_s + WORKER_GRACE_S + 2)
    cur = con.cursor()
    try:
        check(cur, request["sql"])
        result = _execute(cur, request["sql"], int(request["max_rows"]), int(request["max_bytes"]), timeout_s)
        return ("ok", result.columns, result.rows, result.elapsed_s, result.cut_by, result.nbytes)
    except ConsoleError as exc:
        return ("error", str(exc), exc.detail)
    except Exception as exc:  # never a traceback: one line for the researcher, the rest to the log
        error = refusal(exc)
        return ("error", str(error), error.detail)
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
        send(("error", "The console could not open its snapshot.", first_line(exc)))
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
            send(("error", "The result needed more memory than the console allows.", None, True))
            return
        except Exception as exc:  # e.g. a value that cannot be pickled: nothing was written yet
            retire = False
            sent = send(("error", "The console could not send the result.", first_line(exc), retire))
        if not sent or retire:
            return


class _Stopped(Exception):
    """The worker did not answer in time."""


class _Gone(Exception):
    """The worker ended before it answered; `str()` is the message for the researcher."""


class _Worker:
    """One worker process and its two pipes; used by one thread at a time."""

    def __init__(self, path: Path, memory: int) -> None:
        env = {k: os.environ[k] for k in _WORKER_ENV if k in os.environ}
        env["MALLOC_ARENA_MAX"] = "2"  # fewer malloc arenas: less address space used up front
        self.memory = memory
        # The worker's own name for the snapshot, deleted by `start` once the worker has opened it.
        self.link_dir = Path(tempfile.mkdtemp(prefix="worker-", dir=path.parent))
        try:
            link = self.link_dir / path.name
            os.link(path, link)
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    _WORKER_CODE,
                    str(Path(__file__).resolve().parents[2]),
                    str(link),
                    str(memory),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd="/",
                env=env,
                close_fds=True,
                start_new_session=True,  # Ctrl-C in a terminal reaches the dashboard only
            )
        except BaseException:
            shutil.rmtree(self.link_dir, ignore_errors=True)
            raise
        self.pid = self.proc.pid
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are PIPEs
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def start(self) -> None:
        """Wait for the worker to open the snapshot, then delete its name for the file."""
        try:
            reply = self._answer(time.monotonic() + WORKER_START_S)
        except _Gone:
            raise _Gone(f"it ended at start-up ({self._exit_text()}); the server log has its error") from None
        finally:
            shutil.rmtree(self.link_dir, ignore_errors=True)
        if reply[0] != "ready":
            _LOG.warning("console worker %s could not open the snapshot: %s", self.pid, reply[2])
            raise _Gone("it could not open the snapshot")

    def ask(self, request: dict, deadline: float) -> tuple:
        data = json.dumps(request).encode("utf-8")
        try:
            self.stdin.write(_HEADER.pack(len(data)) + data)
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Gone(self._obituary()) from None
        return self._answer(deadline)

    def _answer(self, deadline: float) -> tuple:
        fd = self.stdout.fileno()
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
                raise _Gone(
                    f"The result is larger than {MAX_RESPONSE_BYTES // 1024**2:,} MiB; select fewer rows or columns."
                )
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
        return (
            f"The query needed more memory than the console allows ({size_text(self.memory)}), "
            f"so its worker process was stopped ({how})."
        )

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
        for pipe in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


def _kill_all(workers: set[_Worker], lock: threading.Lock) -> None:
    with lock:
        doomed = list(workers)
        workers.clear()
    for worker in doomed:
        worker.kill()


def _execute(cur: duckdb.DuckDBPyConnection, sql: str, max_rows: int, max_bytes: int, timeout_s: float) -> Result:
    """Run `sql` on `cur` (in a worker) with an interrupt timer; fetch within the limits (DuckDB
    streams, so no more than that is ever materialised)."""
    timer = threading.Timer(timeout_s, _interrupt, [cur])
    timer.daemon = True
    started = time.perf_counter()
    timer.start()
    try:
        cur.execute(sql)
        columns = [d[0] for d in cur.description]
        rows, nbytes, cut_by = _fetch(cur, max_rows, max_bytes)
    except duckdb.InterruptException:
        raise ConsoleError(f"The query was stopped after {timeout_s:g} s (the time limit).") from None
    except duckdb.Error as exc:
        raise refusal(exc) from None
    finally:
        timer.cancel()
    return Result(columns, rows, time.perf_counter() - started, cut_by, nbytes, max_bytes)


class Console:
    """Runs researchers' queries in worker processes over one read-only snapshot; safe to share
    between threads. Close it (or let the process exit) to stop its workers."""

    def __init__(self, path: Path, *, owns_file: bool = False, worker_memory: int = WORKER_MEMORY) -> None:
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
        _return_big_blocks_to_the_os()  # results pass through this process, then its sessions end

    @classmethod
    def from_database(cls, db: Database, *, worker_memory: int = WORKER_MEMORY) -> Console:
        """A console over a fresh snapshot of `db`; closing it deletes the snapshot."""
        return cls(catalogue.snapshot(db), owns_file=True, worker_memory=worker_memory)

    def close(self) -> None:
        """Stop the workers and, if this console made the snapshot, delete it."""
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
            described = catalogue.descriptions(package)
            order = {name: i for i, name in enumerate((*catalogue.TABLES, *catalogue.VIEWS))}
            rows = [
                (
                    t,
                    c,
                    typ,
                    described.get((t, c)) or described.get(("incidents", c)) or described.get(("sources", c)) or "",
                )
                for t, c, typ in cols
                if t in order
            ]
            rows.sort(key=lambda r: order[r[0]])  # stable: keeps column order within a table
            self._schema = pd.DataFrame(rows, columns=["table", "column", "type", "description"])
        return self._schema

    def run(
        self,
        sql: str,
        max_rows: int = DEFAULT_ROWS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_BYTES,
    ) -> Result:
        """Run one SELECT; raise `ConsoleError` for anything refused, stopped or failed, after
        logging what its message leaves out (the researcher sees nothing about the server)."""
        try:
            return self._run(sql, max_rows, timeout_s, max_bytes)
        except ConsoleError as exc:
            if exc.detail:
                _LOG.warning("console: %s (shown as: %s)", exc.detail, exc)
            raise

    def _run(self, sql: str, max_rows: int, timeout_s: float, max_bytes: int) -> Result:
        if len(sql) > MAX_SQL_CHARS:
            raise ConsoleError(f"The query is {len(sql):,} characters long; the limit is {MAX_SQL_CHARS:,}.")
        max_rows = max(1, min(int(max_rows), MAX_ROWS))
        timeout_s = max(0.1, min(float(timeout_s), MAX_TIMEOUT_S))
        max_bytes = max(1, min(int(max_bytes), MAX_BYTES))
        if self._closed:
            raise ConsoleError("The console is closed.")
        if not self._slots.acquire(timeout=timeout_s):
            raise ConsoleError("The console is busy with other queries; try again in a moment.")
        try:
            try:
                cur = self._con.cursor()
            except duckdb.Error as exc:  # closed meanwhile
                raise ConsoleError(self._closed_or(first_line(exc))) from None
            try:
                check(cur, sql)  # refuse early, without a round trip
            finally:
                cur.close()
            return self._ask(
                {"sql": sql, "max_rows": max_rows, "max_bytes": max_bytes, "timeout_s": timeout_s}, timeout_s
            )
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
            raise ConsoleError(f"The console could not read the result: {first_line(exc)}") from None
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
            _, columns, rows, elapsed, cut_by, nbytes, _ = reply
            return Result(list(columns), rows, float(elapsed), cut_by, int(nbytes), request["max_bytes"])
        raise ConsoleError(str(reply[1]), reply[2])

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
            except OSError as exc:  # e.g. the snapshot has gone; the error names it, so only the log does
                raise ConsoleError(
                    "The console could not start a worker process.", f"starting a worker: {exc}"
                ) from None
            self._workers.add(worker)
        try:
            worker.start()
        except (_Stopped, _Gone, pickle.UnpicklingError, EOFError) as exc:
            self._discard(worker)
            reason = "it did not start in time" if isinstance(exc, _Stopped) else first_line(exc)
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
