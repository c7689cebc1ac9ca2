"""Server memory while SQL-console sessions open a giant value, and after they close.

    .venv/bin/python benchmarks/console_memory.py --sessions 10
    .venv/bin/python benchmarks/console_memory.py --sessions 5 --sql "SELECT repeat('x', 1000000) AS t FROM range(60)"

Issue 15 (defect 5): each session opening `/sql?sql=SELECT repeat('x',45000000)` added about
100 MB to the server, and the memory stayed after the sessions closed. This starts the dashboard
with `incidentlens.local_dashboard` (a free port; data from --data, else $INCIDENTLENS_DATA, else
the repo's data/), warms it with one session, then opens N sessions (tabs of Debian's chromium,
driven by Playwright, all open at once) on `/sql?sql=…`, waits until each shows its result or its
error, closes them, and follows the server's RSS until Streamlit has dropped the disconnected
sessions (`server.disconnectedSessionTTL`, 120 s unless --ttl says otherwise).

It prints the server's RSS at baseline (after the warm-up), its peak (sampled every 50 ms) and
after the sessions closed, the RSS of the console's worker processes (separate processes, capped
by their own limits), and how many pages showed an exception box. Exit status 1 if the server
ends more than --tolerance-mb above its baseline or any page showed an exception.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from incidentlens import local_dashboard  # noqa: E402

CHROMIUM = local_dashboard.CHROMIUM
ISSUE_SQL = "SELECT repeat('x',45000000)"
SHOWN = re.compile(r"rows · |did not run this query")  # the SQL page's result line or its error
MB = 1024**2


def rss(pid: int) -> int:
    """Resident set size of one process in bytes (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def children(pid: int) -> list[int]:
    """Live child processes of `pid`: the console's workers."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


class Sampler(threading.Thread):
    """The server's RSS every `every` seconds; `peak` is the highest seen since the last reset."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak = max(self.peak, rss(self.pid))


def settle(pid: int, seconds: float, every: float = 5.0) -> list[tuple[float, int]]:
    """RSS every `every` seconds for `seconds`, printed as it goes."""
    timeline = []
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) <= seconds:
        timeline.append((elapsed, rss(pid)))
        print(f"  +{elapsed:5.0f} s  {timeline[-1][1] / MB:7.1f} MB", flush=True)
        time.sleep(every)
    return timeline


def open_sessions(browser, url: str, n: int, timeout_s: float) -> tuple[list, list[str], int]:
    """N pages on `url`, all left open; what each shows and how many show an exception box."""
    pages, shown, exceptions = [], [], 0
    for _ in range(n):
        page = browser.new_page()
        page.goto(url, wait_until="domcontentloaded")
        outcome = page.get_by_text(SHOWN).first
        outcome.wait_for(timeout=timeout_s * 1000)
        text = outcome.inner_text().strip()
        if "did not run" in text:  # the error itself follows as plain text
            code = page.locator('[data-testid="stCode"]').first
            code.wait_for(timeout=timeout_s * 1000)
            text = code.inner_text().strip()
        shown.append(text)
        exceptions += page.locator('[data-testid="stException"]').count()
        pages.append(page)
    return pages, shown, exceptions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--sql", default=ISSUE_SQL, help=f"the linked query (default: {ISSUE_SQL})")
    ap.add_argument("--data", type=Path, help="data directory (default: $INCIDENTLENS_DATA or data/)")
    ap.add_argument("--ttl", type=int, help="server.disconnectedSessionTTL in seconds (Streamlit's default: 120)")
    ap.add_argument("--settle", type=float, help="seconds to follow RSS after closing (default: TTL + 30)")
    ap.add_argument("--tolerance-mb", type=float, default=50.0)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds for one page to show its outcome")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    if args.ttl is not None:
        os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.ttl)
    settle_s = args.settle if args.settle is not None else (args.ttl if args.ttl is not None else 120) + 30
    port = local_dashboard.free_port()
    server = local_dashboard.start(port, data=args.data)
    base = f"http://127.0.0.1:{port}"
    try:
        local_dashboard.wait_healthy(server, port, timeout=60)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                # Warm-up: imports, the snapshot and a worker exist before the baseline is taken.
                warm, _, _ = open_sessions(browser, f"{base}/sql?sql={quote('SELECT 1 AS one')}", 1, args.timeout)
                warm[0].close()
                time.sleep(2)
                baseline, workers_before = rss(server.pid), sum(rss(c) for c in children(server.pid))
                print(f"server RSS at baseline: {baseline / MB:.1f} MB (workers {workers_before / MB:.1f} MB)")

                sampler = Sampler(server.pid)
                sampler.start()
                started = time.perf_counter()
                pages, shown, exceptions = open_sessions(
                    browser, f"{base}/sql?sql={quote(args.sql)}", args.sessions, args.timeout
                )
                opened_s = time.perf_counter() - started
                open_rss = rss(server.pid)
                workers_open = sum(rss(c) for c in children(server.pid))
                for page in pages:
                    page.close()
            finally:
                browser.close()
        time.sleep(1)
        sampler.stopped.set()
        sampler.join()
        print(
            f"{args.sessions} sessions on /sql?sql={args.sql[:60]} opened in {opened_s:.1f} s; "
            f"each showed: {sorted(set(s.splitlines()[0][:100] for s in shown))}"
        )
        print(f"exception boxes: {exceptions}")
        print(f"server RSS with all sessions open: {open_rss / MB:.1f} MB (workers {workers_open / MB:.1f} MB)")
        print(f"server RSS peak: {sampler.peak / MB:.1f} MB")
        print(f"after closing the sessions (following for {settle_s:g} s):")
        timeline = settle(server.pid, settle_s)
        after = timeline[-1][1]
        workers_after = sum(rss(c) for c in children(server.pid))
        print(
            f"server RSS after close: {after / MB:.1f} MB ({(after - baseline) / MB:+.1f} MB against baseline; "
            f"workers {workers_after / MB:.1f} MB)"
        )
        ok = after - baseline <= args.tolerance_mb * MB and exceptions == 0
        print("OK" if ok else f"FAILED: more than {args.tolerance_mb:g} MB above baseline, or exception boxes")
        return 0 if ok else 1
    finally:
        local_dashboard.stop(server)


if __name__ == "__main__":
    raise SystemExit(main())
