"""Load test: N real browser sessions against `streamlit run app.py`, for a fixed time.

    .venv/bin/python scripts/loadtest.py --sessions 20 --seconds 60

It starts the dashboard on 127.0.0.1 (a free port; data from --data, else $INCIDENTLENS_DATA,
else the repo's data/), opens one Debian chromium with N browser contexts (Playwright, asyncio)
and has every session loop for --seconds: open a deep link with filters in the query string,
switch page from the sidebar, or pick a value in a sidebar filter, with a short think time.

Latency of one interaction = from the action until the server's script_finished message for
its run has arrived on the page's WebSocket and the page shows no running state, no visible
placeholder (stSkeleton) or stale element, and its title. The first page load of each session is
reported on its own, and so is the server round trip (rerun request -> script_finished).

--protocol-sessions M adds M browser-less sessions that speak Streamlit's WebSocket protocol
(a rerun_script request with a deep link's page and query string, then wait for script_finished):
the server does the same work as for a browser, without chromium's rendering cost, which on a
2-core machine is what limits how many browsers can be driven. --pin gives the server a core of
its own.

--processes N serves the dashboard the production way instead (deploy/run.sh): N Streamlit
processes behind Debian's nginx (installed with apt by that script if missing), each reader kept
on one process by an affinity cookie. Protocol sessions then fetch the page first, as a browser
does, and send its cookie with the WebSocket. nginx's access log is checked afterwards: every
affinity cookie must have reached exactly one process.

Errors counted: Streamlit exception boxes (`stException`) and error alerts in the page, exception
deltas seen by protocol sessions, uncaught page (JavaScript) errors, console errors, failed
requests, HTTP responses >= 400, actions that timed out, and "Uncaught app execution" tracebacks
in the server log not already seen in a page. Two kinds of known noise are listed apart, not
counted: the 404s of Streamlit's base-path probe on deep links (streamlit/streamlit#7074) and
requests aborted because the test itself navigated away. The server's RSS is sampled every 0.5 s
(from /proc, with its child processes), per process, and their CPU use is reported. Everything is bounded
in time and stopped by the script itself. Exit status is 0 unless --strict is given and a target
(0 errors, p95 < 1 s, peak RSS < 600 MB) is missed, or the server cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from incidentlens import local_dashboard  # noqa: E402

CHROMIUM, CHROMIUM_ARGS = local_dashboard.CHROMIUM, local_dashboard.CHROMIUM_ARGS
ACTION_TIMEOUT_S = 30.0
TARGETS = {"errors": 0, "p95_s": 1.0, "rss_mb": 600.0}

# Deep links: every page, with filters in the query string (the dashboard's public URL scheme).
DEEP_LINKS = [
    "/",
    "/?sector=dental",
    "/?label=msp&years=2020-2023",
    "/?ptype=msp,break_fix",
    "/?country=US",
    "/attribution",
    "/attribution?years=2019-2021",
    "/attribution?country=US&attack=ransomware",
    "/attribution?family=managed_it",
    "/explorer",
    "/explorer?ptype=msp",
    "/explorer?q=msp",
    "/explorer?sector=healthcare&years=2018-2022",
    "/methodology",
    "/incident",
]
PAGES = ["/", "/attribution", "/explorer", "/methodology"]
SIDEBAR_FILTERS = [
    "Provider assessed as",
    "Provider family",
    "Attack type",
    "Route to victims",
    "Coding confidence",
    "Victim sector",
    "Label used by a source",
]

# The page is ready when Streamlit shows no running state and every visible element is drawn.
READY_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const running = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]';
  if (document.querySelector(running)) return false;
  // A run that ended in an exception is finished too (the error is counted afterwards).
  if (document.querySelector('[data-testid="stException"]')) return true;
  // Streamlit lazy-loads element code and shows a placeholder (stSkeleton) until it is in;
  // placeholders inside a closed expander or tab stay, and are not visible.
  const pending = document.querySelectorAll('[data-testid="stSkeleton"], [data-stale="true"]');
  for (const el of pending) if (el.offsetParent !== null) return false;
  const title = document.querySelector('[data-testid="stMain"] h1');
  return !!title && title.offsetParent !== null;
}
"""
DIAG_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const pending = [...document.querySelectorAll('[data-testid="stSkeleton"], [data-stale="true"]')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => (el.getAttribute('data-testid') || 'stale') + ':' + (el.closest('[class*="st-key-"]')?.className
      .match(/st-key-[^ ]+/)?.[0] || el.parentElement?.getAttribute('data-testid')));
  return {state: app && app.getAttribute('data-test-script-state'), pending: pending.slice(0, 5),
          title: !!document.querySelector('[data-testid="stMain"] h1')};
}
"""
PAGE_ERRORS_JS = """
() => {
  const exc = document.querySelectorAll('[data-testid="stException"]');
  const alerts = [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
    .filter((el) => !el.closest('[data-testid="stException"]'));
  return [...[...exc].map((e) => 'stException: ' + e.innerText.slice(0, 160)),
          ...alerts.map((e) => 'st.error: ' + e.innerText.slice(0, 160))];
}
"""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    first_loads: list[float] = field(default_factory=list)
    errors: collections.Counter = field(default_factory=collections.Counter)
    messages: dict[str, collections.Counter] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    rss_mb: dict[int, list[float]] = field(default_factory=lambda: collections.defaultdict(list))

    benign_counts: collections.Counter = field(default_factory=collections.Counter)
    cpu: dict = field(default_factory=dict)
    round_trips: list[float] = field(default_factory=list)

    def error(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        self.messages[kind][re.sub(r"\d{2,}", "N", message)[:200]] += 1

    def benign(self, kind: str, message: str) -> None:
        self.benign_counts[kind] += 1


# ---------------------------------------------------------------------------------------------
# server
# ---------------------------------------------------------------------------------------------
def start_server(port: int, data: Path | None, log: Path, cpus: set[int] | None = None) -> subprocess.Popen:
    prefix = ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else None
    with open(log, "wb") as fh:
        proc = local_dashboard.start(port, data, fh, prefix)
    try:
        local_dashboard.wait_healthy(proc, port, poll=0.05)
    except (RuntimeError, TimeoutError) as exc:
        local_dashboard.stop(proc)
        raise RuntimeError(f"{exc}; see {log}") from None
    return proc


def with_children(pid: int) -> list[int]:
    """A process and all its descendants (a launcher such as `incidentlens serve` runs the server
    as its child), from /proc."""
    parents: dict[int, list[int]] = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += parents.get(found[-1], [])
    return found


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time the processes and their children have used so far."""
    try:
        total = 0.0
        for pid in (p for top in pids for p in with_children(top)):
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except OSError:
        return None


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process and its children, from /proc/<pid>/status."""
    total = 0.0
    try:
        for p in with_children(pid):
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return None
    return total


async def sample_rss(pids: list[int], stats: Stats, stop: asyncio.Event, max_samples: int) -> None:
    for _ in range(max_samples):
        if stop.is_set():
            return
        for pid in pids:
            value = rss_mb(pid)
            if value is not None:
                stats.rss_mb[pid].append(value)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# ---------------------------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------------------------
BASE_PATH_PROBE = re.compile(r"^/[^/?#]+/_stcore/(health|host-config)$")


def watch_page(page, stats: Stats, base: str, nav: dict) -> None:
    """Count every error; two kinds are known noise and are listed apart, not counted:
    - a deep link to /<page> makes Streamlit's frontend probe /<page>/_stcore/health and
      /<page>/_stcore/host-config (404) before the real base path (streamlit/streamlit#7074);
    - requests still loading when the test itself navigates away end as net::ERR_ABORTED."""

    def path(url: str) -> str:
        return url.replace(base, "").split("?")[0]

    def console(msg) -> None:
        if msg.type != "error":
            return
        where = path((msg.location or {}).get("url", ""))
        if BASE_PATH_PROBE.match(where):
            stats.benign("console 404 from base-path probe (streamlit#7074)", where)
        else:
            stats.error("console error", f"{msg.text} at {where}")

    def failed(req) -> None:
        if "ERR_ABORTED" in (req.failure or "") and (nav["in_goto"] or time.monotonic() < nav["until"]):
            stats.benign("request aborted by the test's own navigation", path(req.url))
        else:
            stats.error("failed request", f"{req.failure} {path(req.url)}")

    def response(res) -> None:
        if res.status < 400:
            return
        if res.status == 404 and BASE_PATH_PROBE.match(path(res.url)):
            stats.benign("HTTP 404 from base-path probe (streamlit#7074)", path(res.url))
        else:
            stats.error("HTTP error", f"{res.status} {path(res.url)}")

    page.on("pageerror", lambda exc: stats.error("page error", str(exc)))
    page.on("console", console)
    page.on("requestfailed", failed)
    page.on("response", response)


def count_runs(page, runs: dict, stats: Stats) -> None:
    """Count finished script runs from the server's own messages on the page's WebSocket
    (a ForwardMsg with script_finished), so an action waits for *its* run. Watching the DOM
    alone misses runs when a busy browser renders "running" and "done" in one frame.

    Also times each rerun round trip: from the browser sending a rerun_script BackMsg to the
    server's script_finished, i.e. the server's share of an interaction, without rendering."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    early = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
    sent: list[float] = []

    def received(payload) -> None:
        if not isinstance(payload, bytes) or len(payload) > 512:  # script_finished is tiny
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except Exception:
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != early:
            runs["done"] += 1
            if sent:
                stats.round_trips.append(time.perf_counter() - sent[0])
                sent.clear()

    def posted(payload) -> None:
        if not isinstance(payload, bytes):
            return
        try:
            msg = BackMsg.FromString(payload)
        except Exception:
            return
        if msg.WhichOneof("type") == "rerun_script":
            sent.append(time.perf_counter())

    def opened(ws) -> None:
        sent.clear()
        ws.on("framereceived", received)
        ws.on("framesent", posted)

    page.on("websocket", opened)


async def wait_idle(page, runs: dict, before: int, timeout: float = ACTION_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runs["done"] > before and await page.evaluate(READY_JS):
            return
        await asyncio.sleep(0.025)
    raise TimeoutError(f"no finished run and drawn page within {timeout:.0f} s")


async def check_page(page, stats: Stats) -> None:
    for message in await page.evaluate(PAGE_ERRORS_JS):
        stats.error("app error in page", message)


async def act_goto(page, base: str, rng: random.Random, ids: list[str], nav: dict):
    path = rng.choice(DEEP_LINKS + ([f"/incident?id={rng.choice(ids)}"] if ids else []))
    start = time.perf_counter()
    nav["last"] = f"goto {path}"
    nav["in_goto"] = True
    try:
        await page.goto(base + path, wait_until="commit", timeout=ACTION_TIMEOUT_S * 1000)
    finally:
        nav["in_goto"], nav["until"] = False, time.monotonic() + 1.0
    return "deep link", start


async def act_nav(page, base: str, rng: random.Random, ids: list[str], nav: dict):
    links = page.locator('[data-testid="stSidebarNav"] a')
    count = await links.count()
    if not count:
        return None, 0.0
    target = links.nth(rng.randrange(count))
    here = urlsplit(page.url).path.rstrip("/")
    href = await target.get_attribute("href") or ""
    if await target.get_attribute("aria-current") == "page" or urlsplit(href).path.rstrip("/") == here:
        return None, 0.0  # the page already shown: clicking it starts no run
    nav["last"] = f"nav click {await target.get_attribute('href')}"
    start = time.perf_counter()
    await target.click(timeout=ACTION_TIMEOUT_S * 1000)
    return "page switch", start


async def act_filter(page, base: str, rng: random.Random, ids: list[str], nav: dict):
    """Add a value to a sidebar multiselect or, when a few are set, sometimes remove one."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    removers = sidebar.locator('[data-testid="stMultiSelect"] button[aria-label^="Remove "]')
    n_set = await removers.count()
    if n_set and rng.random() < min(0.8, 0.3 * n_set):
        remover = removers.nth(rng.randrange(n_set))
        nav["last"] = f"click {await remover.get_attribute('aria-label')!r}"
        start = time.perf_counter()
        await remover.click(timeout=ACTION_TIMEOUT_S * 1000)
        return "filter change", start
    label = rng.choice(SIDEBAR_FILTERS)
    box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
    if not await box.count() or await box.locator("input").is_disabled():
        return None, 0.0
    await box.locator("input").click(timeout=ACTION_TIMEOUT_S * 1000)
    options = page.get_by_role("option").filter(has_not_text="Select all")
    try:
        await options.first.wait_for(timeout=3000)
    except Exception:
        await close_dropdown(page)
        return None, 0.0
    n = await options.count()
    if not n:
        await close_dropdown(page)
        return None, 0.0
    option = options.nth(rng.randrange(min(n, 8)))
    nav["last"] = f"{label}: pick {await option.inner_text()!r}"
    start = time.perf_counter()
    await option.click(timeout=ACTION_TIMEOUT_S * 1000)
    await close_dropdown(page)
    return "filter change", start


async def close_dropdown(page) -> None:
    """Close an open multiselect list (Escape, else a click on the page title)."""
    await page.keyboard.press("Escape")
    listbox = page.get_by_role("listbox")
    for _ in range(3):
        if not await listbox.count() or not await listbox.first.is_visible():
            return
        await page.locator('[data-testid="stMain"] h1').first.click(timeout=5000)


async def session(
    i: int,
    browser,
    base: str,
    stats: Stats,
    stop_at: float,
    start_delay: float,
    think: tuple[float, float],
    ids: list[str],
    seed: int,
    debug_dir: str | None,
) -> None:
    rng = random.Random(seed * 1000 + i)
    await asyncio.sleep(start_delay)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        runs = {"done": 0}
        count_runs(page, runs, stats)
        nav = {"in_goto": False, "until": 0.0}
        watch_page(page, stats, base, nav)
        start = time.perf_counter()
        try:
            await page.goto(base + rng.choice(DEEP_LINKS[:5]), wait_until="commit", timeout=ACTION_TIMEOUT_S * 1000)
            await wait_idle(page, runs, 0)
            stats.first_loads.append(time.perf_counter() - start)
            await check_page(page, stats)
        except Exception as exc:
            stats.error("timeout or action failure", f"first load: {type(exc).__name__}: {str(exc)[:120]}")
        actions = [(act_goto, 0.3), (act_nav, 0.3), (act_filter, 0.4)]
        while time.monotonic() < stop_at:
            await asyncio.sleep(rng.uniform(*think))
            if time.monotonic() >= stop_at:
                break
            action = rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
            try:
                before = runs["done"]
                kind, start = await action(page, base, rng, ids, nav)
                if kind is None:
                    continue
                await wait_idle(page, runs, before)
                stats.latencies[kind].append(time.perf_counter() - start)
                await check_page(page, stats)
            except Exception as exc:
                stats.error(
                    "timeout or action failure",
                    f"{action.__name__}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}",
                )
                if debug_dir:
                    with contextlib.suppress(Exception):
                        shot = Path(debug_dir) / f"failure-s{i}-{int(time.time())}.png"
                        state = await page.evaluate(DIAG_JS)
                        await page.screenshot(path=str(shot))
                        print(
                            f"  session {i}: {nav.get('last')} failed at {page.url}; runs {runs['done']} "
                            f"(before {before}), page {state}; screenshot {shot}",
                            flush=True,
                        )
                with contextlib.suppress(Exception):
                    before = runs["done"]
                    nav["in_goto"] = True
                    try:
                        await page.goto(base + "/", wait_until="commit", timeout=ACTION_TIMEOUT_S * 1000)
                    finally:
                        nav["in_goto"], nav["until"] = False, time.monotonic() + 1.0
                    await wait_idle(page, runs, before)
    finally:
        await context.close()


async def ws_session(
    i: int,
    base: str,
    stats: Stats,
    stop_at: float,
    start_delay: float,
    think: tuple[float, float],
    ids: list[str],
    seed: int,
) -> None:
    """A real Streamlit session without a browser: it speaks the app's WebSocket protocol,
    asks for a run of a page with filters in the query string (as a deep link does), and
    waits for script_finished; exception deltas count as errors. The server does all the work
    it does for a browser; nothing is rendered."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    rng = random.Random(seed * 1000 + 500 + i)
    await asyncio.sleep(start_delay)
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    early = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
    try:
        cookies = await asyncio.to_thread(page_cookies, base)  # a proxy's affinity cookie, as a browser has it
        async with websockets.connect(
            url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=ACTION_TIMEOUT_S,
            additional_headers={"Cookie": cookies} if cookies else None,
        ) as ws:
            while time.monotonic() < stop_at:
                link = rng.choice(DEEP_LINKS + ([f"/incident?id={rng.choice(ids)}"] if ids else []))
                page, _, query = link.lstrip("/").partition("?")
                msg = BackMsg()
                msg.rerun_script.query_string = query
                msg.rerun_script.page_name = page
                start = time.perf_counter()
                await ws.send(msg.SerializeToString())
                try:
                    async with asyncio.timeout(ACTION_TIMEOUT_S):
                        while True:
                            reply = ForwardMsg.FromString(await ws.recv())
                            kind = reply.WhichOneof("type")
                            if kind == "delta" and reply.delta.new_element.WhichOneof("type") == "exception":
                                text = reply.delta.new_element.exception.message
                                stats.error("app error (protocol session)", f"exception on /{page}?{query}: {text}")
                            if kind == "script_finished" and reply.script_finished != early:
                                break
                    stats.latencies["protocol rerun"].append(time.perf_counter() - start)
                except TimeoutError:
                    stats.error("timeout or action failure", f"protocol session: no script_finished for /{page}")
                await asyncio.sleep(rng.uniform(*think))
    except Exception as exc:
        stats.error("timeout or action failure", f"protocol session {i}: {type(exc).__name__}: {exc}"[:200])


def page_cookies(base: str) -> str:
    """The cookies the app's page sets, as a Cookie header."""
    with urllib.request.urlopen(base + "/", timeout=ACTION_TIMEOUT_S) as r:
        return "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])


async def warm_up(browser, base: str) -> float:
    """One page load so module imports and the dataset load are not charged to the sessions."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        runs = {"done": 0}
        count_runs(page, runs, Stats())
        start = time.perf_counter()
        await page.goto(base + "/", wait_until="commit", timeout=120_000)
        await wait_idle(page, runs, 0, timeout=120)
        return time.perf_counter() - start
    finally:
        await context.close()


async def run(args, base: str, pids: list[int], ids: list[str]) -> tuple[Stats, float, dict[int, float]]:
    from playwright.async_api import async_playwright

    stats = Stats()
    stop = asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            warm = [await warm_up(browser, base) for _ in pids]  # behind a proxy: likely every process
            idle_rss = {pid: rss_mb(pid) or float("nan") for pid in pids}
            print(
                f"warm-up page load {warm[0]:.1f} s; server RSS after warm-up "
                f"{', '.join(f'{v:.0f}' for v in idle_rss.values())} MB",
                flush=True,
            )
            sampler = asyncio.create_task(sample_rss(pids, stats, stop, max_samples=4 * args.seconds + 400))
            cpu0, (busy0, total0) = cpu_seconds(pids), machine_busy()
            start = time.monotonic()
            stop_at = start + args.seconds
            ramp = min(args.ramp, args.seconds / 2)
            total = args.sessions + args.protocol_sessions
            tasks = [
                asyncio.create_task(
                    session(
                        i,
                        browser,
                        base,
                        stats,
                        stop_at,
                        ramp * i / max(1, total - 1),
                        (args.think_min, args.think_max),
                        ids,
                        args.seed,
                        args.debug_dir,
                    )
                )
                for i in range(args.sessions)
            ]
            tasks += [
                asyncio.create_task(
                    ws_session(
                        i,
                        base,
                        stats,
                        stop_at,
                        ramp * (args.sessions + i) / max(1, total - 1),
                        (args.think_min, args.think_max),
                        ids,
                        args.seed,
                    )
                )
                for i in range(args.protocol_sessions)
            ]
            done, pending = await asyncio.wait(tasks, timeout=args.seconds + ACTION_TIMEOUT_S * 2 + 30)
            for t in pending:
                t.cancel()
                stats.error("timeout or action failure", "session did not stop in time (cancelled)")
            for t in done:
                if t.exception():
                    stats.error("timeout or action failure", f"session crashed: {t.exception()!r}")
            elapsed = time.monotonic() - start
            cpu1, (busy1, total1) = cpu_seconds(pids), machine_busy()
            if cpu0 is not None and cpu1 is not None:
                stats.cpu = {
                    "server_cores": (cpu1 - cpu0) / elapsed,
                    "cores": os.cpu_count() or 1,
                    "machine_busy": (busy1 - busy0) / (total1 - total0),
                }
            stop.set()
            await sampler
        finally:
            await browser.close()
    return stats, elapsed, idle_rss


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def sample_ids(data: Path, k: int = 40) -> list[str]:
    path = data / "incidents.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return [row["incident_id"] for _, row in zip(range(k), reader)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--data", help="data directory (default: $INCIDENTLENS_DATA, else data/)")
    ap.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="serve a synthetic dataset of N incidents instead (written to a temp dir)",
    )
    ap.add_argument("--think-min", type=float, default=0.5, help="seconds between a session's actions")
    ap.add_argument("--think-max", type=float, default=1.5)
    ap.add_argument("--ramp", type=float, default=10.0, help="spread session starts over this many seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--debug-dir", help="save a screenshot here when an action fails")
    ap.add_argument("--server-log", help="keep a copy of the server's log at this path")
    ap.add_argument(
        "--protocol-sessions",
        type=int,
        default=0,
        metavar="M",
        help="add M browser-less sessions speaking Streamlit's WebSocket protocol (server load "
        "without the cost of rendering in chromium)",
    )
    ap.add_argument(
        "--pin", action="store_true", help="give the server the first CPU to itself and run the browsers on the others"
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=0,
        metavar="N",
        help="serve through deploy/run.sh: N Streamlit processes behind nginx (installed with apt "
        "by that script if missing)",
    )
    args = ap.parse_args(argv)
    if args.pin and args.processes:
        ap.error("--pin and --processes do not go together")

    tmp = Path(tempfile.mkdtemp(prefix="incidentlens-load-"))
    proc = None
    server_log = ""
    try:
        if args.synthetic is not None:
            from incidentlens.data import synth

            data: Path | None = tmp / "data"
            synth.write(args.synthetic, data)
        elif args.data or os.environ.get("INCIDENTLENS_DATA"):
            data = Path(args.data or os.environ["INCIDENTLENS_DATA"]).resolve()
        else:
            data = None
        data_shown = data or ROOT / "data"
        port = local_dashboard.free_port()
        t0 = time.perf_counter()
        server_cpus = None
        if args.pin:
            # The server gets CPU 0 to itself; this process and chromium (its children) the rest.
            cores = sorted(os.sched_getaffinity(0))
            if len(cores) < 2:
                raise SystemExit("--pin needs at least 2 CPUs")
            server_cpus = {cores[0]}
            os.sched_setaffinity(0, set(cores[1:]))
        if args.processes:
            proc, port, pids = local_dashboard.start_deployed(args.processes, tmp / "nginx", data)
            served = f"nginx on port {port}, {len(pids)} Streamlit processes {pids} (deploy/run.sh)"
        else:
            proc = start_server(port, data, tmp / "server.log", server_cpus)
            pids = [proc.pid]
            served = f"server pid {proc.pid}"
        base = f"http://127.0.0.1:{port}"
        pinned = (
            f", server pinned to CPU {sorted(server_cpus)}, browsers on {sorted(os.sched_getaffinity(0))}"
            if server_cpus
            else ""
        )
        print(
            f"{served} on {base} (health ok after {time.perf_counter() - t0:.2f} s){pinned}, "
            f"data {data_shown}; {args.sessions} browser + {args.protocol_sessions} protocol sessions for "
            f"{args.seconds} s, think "
            f"{args.think_min}-{args.think_max} s, ramp {args.ramp} s",
            flush=True,
        )
        stats, elapsed, idle_rss = asyncio.run(run(args, base, pids, sample_ids(data_shown)))
    finally:
        if proc is not None:
            local_dashboard.stop(proc)
        logs = sorted([*tmp.glob("server.log"), *tmp.glob("nginx/streamlit-*.log")])
        server_log = "".join(log.read_text(encoding="utf-8", errors="replace") for log in logs)
        if args.server_log and logs:
            Path(args.server_log).write_text(server_log, encoding="utf-8")
        if (tmp / "nginx" / "access.log").exists():
            seen = local_dashboard.affinity(tmp / "nginx" / "access.log")
            print(
                f"affinity: {seen.cookies} affinity cookies; WebSocket sessions per process: "
                f"{dict(sorted(seen.sessions.items()))}"
            )
            for line in seen.split:
                stats.error("request of a session split over processes", line)
        shutil.rmtree(tmp, ignore_errors=True)

    seen = sum(n for m, n in stats.messages["app error in page"].items() if m.startswith("stException"))
    seen += stats.errors["app error (protocol session)"]
    for _ in range(max(0, server_log.count("Uncaught app execution") - seen)):
        stats.error("server traceback not seen in a page", "Uncaught app execution (see server log)")
    return report(args, stats, elapsed, idle_rss, server_log)


def report(args, stats: Stats, elapsed: float, idle_rss: dict[int, float], server_log: str) -> int:
    browser_lat = [x for k, v in stats.latencies.items() if k != "protocol rerun" for x in v]
    proto_lat = stats.latencies.get("protocol rerun", [])
    all_lat = browser_lat or proto_lat  # the figure the p95 target is checked on
    errors = sum(stats.errors.values())
    peaks = {pid: max(values) for pid, values in stats.rss_mb.items() if values}
    peak = max(peaks.values(), default=float("nan"))
    p95 = pct(all_lat, 95)
    print(
        f"\n{args.sessions} browser + {args.protocol_sessions} protocol sessions, {elapsed:.0f} s, "
        f"{len(browser_lat)} browser interactions ({len(browser_lat) / max(elapsed, 1e-9):.1f}/s), "
        f"{len(proto_lat)} protocol reruns ({len(proto_lat) / max(elapsed, 1e-9):.1f}/s)"
    )
    if browser_lat:
        print(
            f"browser interaction latency: p50 {pct(browser_lat, 50):.2f} s, p95 {pct(browser_lat, 95):.2f} s, "
            f"max {max(browser_lat):.2f} s"
        )
    for kind, values in sorted(stats.latencies.items()):
        print(
            f"  {kind:<14} n={len(values):<5} p50 {pct(values, 50):.2f} s  p95 {pct(values, 95):.2f} s  "
            f"max {max(values):.2f} s"
        )
    if stats.round_trips:
        rt = stats.round_trips
        print(
            f"server round trip (rerun request -> script_finished on the WebSocket, no rendering): "
            f"p50 {pct(rt, 50):.2f} s, p95 {pct(rt, 95):.2f} s (n={len(rt)})"
        )
    if stats.first_loads:
        print(
            f"first page load per session: p50 {pct(stats.first_loads, 50):.2f} s, "
            f"p95 {pct(stats.first_loads, 95):.2f} s (not in the interaction figures)"
        )
    for pid, values in stats.rss_mb.items():
        print(
            f"server RSS (pid {pid}): {idle_rss.get(pid, float('nan')):.0f} MB after warm-up, peak "
            f"{peaks[pid]:.0f} MB ({len(values)} samples)"
        )
    if len(peaks) > 1:
        print(f"all {len(peaks)} processes together: peak {sum(peaks.values()):.0f} MB")
    if stats.cpu:
        c = stats.cpu
        print(
            f"CPU during the run: machine {c['machine_busy']:.0%} busy of {c['cores']} cores; the Streamlit "
            f"server process(es) used {c['server_cores']:.2f} cores on average"
            + (", the rest was mostly chromium" if args.sessions else "")
        )
    print(f"errors: {errors}")
    if stats.benign_counts:
        print("  known noise, listed and not counted as errors:")
        for kind, count in stats.benign_counts.most_common():
            print(f"      {count} x {kind}")
    for kind, count in stats.errors.most_common():
        print(f"  {kind}: {count}")
        for message, n in stats.messages[kind].most_common(5):
            print(f"      {n} x {message}")
    lines = server_log.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback")]
    if starts:
        print(f"server log: {len(starts)} traceback(s); the first one:")
        for line in lines[starts[0] : starts[0] + 60]:
            print("  | " + line[:220])
            if line and not line.startswith((" ", "Traceback", "During", "The above")) and line != lines[starts[0]]:
                break
    missed = []
    if errors > TARGETS["errors"]:
        missed.append(f"errors {errors} > 0")
    which = "browser interactions" if browser_lat else "protocol reruns"
    if not p95 < TARGETS["p95_s"]:
        missed.append(f"p95 of {which} {p95:.2f} s >= 1 s")
    if not peak < TARGETS["rss_mb"]:
        missed.append(f"peak RSS of a process {peak:.0f} MB >= 600 MB")
    print(
        "targets (0 errors, p95 < 1 s, RSS < 600 MB per process): "
        + ("all met" if not missed else "MISSED: " + "; ".join(missed))
    )
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
