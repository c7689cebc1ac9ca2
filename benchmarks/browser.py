"""Browser benchmark: what a reader waits for, in Debian's chromium (Playwright; never `playwright install`).

    .venv/bin/python benchmarks/browser.py [--sizes real,100000] [--loads 7] [--repeat 10] [--against REF]

For each size (the curated `data/`, or a synthetic dataset written by `incidentlens.synth`) it starts
the dashboard on loopback and, after one warm-up load, measures:

- per page, loaded in a new tab of a browser that has visited the site before (HTTP cache warm,
  a new Streamlit session each time): the time from navigation to the first heading, and to
  *settled*, i.e. the server's script_finished has arrived on the page's WebSocket, the page shows
  no running state, no placeholder or stale element, and every visible Plotly chart has drawn;
- per interaction, from the input that starts the rerun to settled (the same test), both read on
  the page's own clock: the timestamp of the first pointer or key event of the action (as the
  browser's Event Timing does), and the moment the settled test first holds. Opening a dropdown
  before the pick is the reader's own time and is not counted (nor is Playwright's driving):
  filter change (Overview: pick a "Provider assessed as" value not picked before in the run, then
  remove it; reported apart, since the Overview keeps each filter's view and a removal returns to
  a view already seen),
  toggle (Attribution: "High-confidence codings only" on, then off),
  chart/table switch (Overview's key chart: Table, then Chart),
  open an incident (Incident record: pick one in "Open an incident");
  with the server's share of each (the rerun request to script_finished on the WebSocket).

In the same run and the same way, the framework's floor: a minimal Streamlit app (one title, one
toggle) and the same app with eleven small Plotly charts (first heading, settled, toggle). Rounds
are interleaved (every page and app once per round) so a burst of load on the machine spreads over
all rows. Medians and p95 are printed as Markdown, with the load average before and after.

With `--against REF` (a git commit, tag or branch) the dashboard as it was at REF runs beside the
current one (from a git worktree, on the same synthetic data; at the real size, on the data REF
shipped), and its pages and interactions are measured in the same rounds, rows labelled
"REF: …". On a shared machine whose speed drifts by 2× within an hour, this interleaved A/B is
the fair way to say what a change bought.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from loadtest import CHROMIUM, CHROMIUM_ARGS, READY_JS, Stats, count_runs, pct, sample_ids  # noqa: E402

from incidentlens import local_dashboard  # noqa: E402

TIMEOUT_S = 60.0
WARM_UP_TIMEOUT_S = 900.0  # the first view loads (and validates) the dataset: minutes at 100k incidents
# READY_JS, and every visible Plotly chart drawn (react-plotly puts its SVG in once it has plotted);
# the page's clock (performance.now) when it holds, else false.
SETTLED_JS = f"""
() => {{
  if (!({READY_JS})()) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter((el) => el.offsetParent !== null);
  return charts.every((el) => el.querySelector('.main-svg')) && performance.now();
}}
"""
# Every pointer and key event's timestamp, on the page's clock, in the order they happen.
INPUTS_JS = """
window.__inputs = [];
for (const type of ['pointerdown', 'keydown'])
  addEventListener(type, (e) => { if (e.isTrusted) window.__inputs.push(e.timeStamp); }, {capture: true});
"""
FIRST_INPUT_JS = "(since) => (window.__inputs || []).find((t) => t >= since) ?? null"
# A finished run that ended in an error box instead of a page (e.g. data that does not validate).
FAILED_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  const box = document.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]');
  return box && !document.querySelector('[data-testid="stMain"] h1') ? box.innerText.slice(0, 300) : null;
}
"""
HEADING_JS = """
() => { const h = document.querySelector('[data-testid="stMain"] h1'); return !!h && h.offsetParent !== null; }
"""
FLOOR_APPS = {
    "minimal app (title + toggle)": """
import streamlit as st

st.title("Minimal app")
st.toggle("Toggle", key="toggle")
""",
    "minimal app + 11 Plotly charts": """
import plotly.graph_objects as go
import streamlit as st

st.title("Eleven charts")
on = st.toggle("Toggle", key="toggle")
for i in range(11):
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[i, i + (2 if on else 1), 3])), key=f"chart{i}")
""",
}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    import duckdb
    import plotly
    import streamlit

    return (
        f"{platform.platform()}, {os.cpu_count()} x {cpu}, {mem / 2**20:.0f} GiB RAM; Python "
        f"{platform.python_version()}, streamlit {streamlit.__version__}, plotly {plotly.__version__}, "
        f"duckdb {duckdb.__version__}, {chromium or 'chromium'}"
    )


class Timings:
    """Seconds per row label, in the order rows were first seen."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)
        self.server: dict[str, list[float]] = defaultdict(list)
        self.failures: dict[str, int] = defaultdict(int)

    def row(self, label: str) -> str:
        v, s = self.values.get(label, []), self.server.get(label, [])
        server = f"{pct(s, 50):.2f} / {pct(s, 95):.2f}" if s else "–"
        failed = f" ({self.failures[label]} failed)" if self.failures.get(label) else ""
        return f"| {label} | {len(v)}{failed} | {pct(v, 50):.2f} | {pct(v, 95):.2f} | {server} |"


async def settle(
    page: Any, runs: dict, before: int, started: float, heading: list[float] | None = None, timeout: float = TIMEOUT_S
) -> tuple[float, float]:
    """Once a run after `before` has finished and the page is settled: (seconds since `started`,
    the page's clock at that moment in ms); with `heading`, the time the first heading showed is
    appended to it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if heading is not None and not heading and await page.evaluate(HEADING_JS):
            heading.append(time.perf_counter() - started)
        if runs["done"] > before:
            settled = await page.evaluate(SETTLED_JS)
            if settled:
                return time.perf_counter() - started, settled
            failed = await page.evaluate(FAILED_JS)
            if failed:
                raise RuntimeError(f"the page shows an error: {failed}")
        await asyncio.sleep(0.005)
    raise TimeoutError(f"not settled within {timeout:.0f} s")


async def open_page(context: Any, url: str, timeout: float = TIMEOUT_S) -> tuple[Any, dict, Stats, float, float]:
    """A new tab on `url`: (page, run counter, its stats, seconds to first heading, to settled)."""
    page = await context.new_page()
    runs, stats = {"done": 0}, Stats()
    count_runs(page, runs, stats)
    heading: list[float] = []
    started = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=timeout * 1000)
    done, _ = await settle(page, runs, 0, started, heading, timeout)
    return page, runs, stats, heading[0] if heading else done, done


Step = Callable[[Any, int], Awaitable[None]]


class Interaction:
    """One page kept open, and an action repeated on it (alternating, e.g. on then off). `prepare`
    (untimed) gets the page to where the reader acts, e.g. opens a dropdown; `act` is timed from its
    first input event."""

    def __init__(
        self,
        label: str | tuple[str, str],
        url: str,
        act: Step,
        reset: Callable[[Any], Awaitable[None]] | None = None,
        prepare: Step | None = None,
    ):
        self.labels = (label, label) if isinstance(label, str) else label  # for even and odd repetitions
        self.url, self.act, self.reset, self.prepare = url, act, reset, prepare
        self.page: Any = None
        self.runs: dict = {}
        self.stats = Stats()

    async def open(self, context: Any) -> None:
        self.page, self.runs, self.stats, _, _ = await open_page(context, self.url)

    async def once(self, i: int, timings: Timings) -> None:
        if self.reset is not None:
            await self.reset(self)
        await self.page.bring_to_front()
        label = self.labels[i % 2]
        try:
            if self.prepare is not None:
                await self.prepare(self.page, i)
            before, sent = self.runs["done"], len(self.stats.round_trips)
            since = await self.page.evaluate("performance.now()")
            await self.act(self.page, i)
            _, settled = await settle(self.page, self.runs, before, time.perf_counter())
            first_input = await self.page.evaluate(FIRST_INPUT_JS, since)
            if first_input is None:
                raise RuntimeError("the action sent no pointer or key event")
            timings.values[label].append((settled - first_input) / 1000)
            timings.server[label] += self.stats.round_trips[sent:]
        except Exception as exc:  # keep measuring the rest; the count is reported
            timings.failures[label] += 1
            print(f"  {label}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}", flush=True)
            context = self.page.context
            await self.page.close()
            await self.open(context)


def _provider_box(page: Any) -> Any:
    return (
        page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
        .filter(has_text="Provider assessed as")
        .first
    )


async def open_filter(page: Any, i: int) -> None:
    """Before a pick, open the "Provider assessed as" list; before a removal, nothing. Either way,
    check the box holds what the step expects (none, or the one value picked), so a pick that
    selected something else fails instead of timing another filter."""
    box = _provider_box(page)
    held = await box.locator('button[aria-label^="Remove "]').count()
    if held != i % 2:
        raise RuntimeError(f"the filter holds {held} values before step {i}, expected {i % 2}")
    if i % 2 == 0:
        await box.locator("input").click()
        await page.get_by_role("option").first.wait_for()


def _values(page: Any) -> Any:
    """The list's values, without Streamlit's "Select all" entry."""
    return page.get_by_role("option").filter(has_not_text="Select all")


async def filter_change(page: Any, i: int) -> None:
    """Even repetitions pick the next value of the list (a filter not seen before in the run, while
    the list lasts), odd ones remove it again."""
    if i % 2:
        await _provider_box(page).locator('button[aria-label^="Remove "]').first.click()
        return
    values = _values(page)
    await values.nth(i // 2 % await values.count()).click()
    await page.keyboard.press("Escape")


async def toggle(page: Any, i: int) -> None:
    await page.get_by_text("High-confidence codings only").click()


async def floor_toggle(page: Any, i: int) -> None:
    await page.get_by_text("Toggle", exact=True).click()


async def chart_table(page: Any, i: int) -> None:
    view = page.locator(".st-key-view_overview_key")
    await view.get_by_role("radio", name="Chart" if i % 2 else "Table").click()


async def open_picker(page: Any, i: int) -> None:
    """Before a pick, open the "Open an incident" list."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Open an incident").first
    await box.locator("input").click()
    await page.get_by_role("option").nth(i % 5).wait_for()


async def open_incident(page: Any, i: int) -> None:
    await page.get_by_role("option").nth(i % 5).click()


async def back_to_picker(self: Interaction) -> None:
    """Open the record picker again (not timed) before each pick."""
    before = self.runs["done"]
    await self.page.goto(self.url, wait_until="commit", timeout=TIMEOUT_S * 1000)
    await settle(self.page, self.runs, before, time.perf_counter())


def page_urls(base: str, incident_id: str | None) -> dict[str, str]:
    """Every page of the dashboard (app.py and pages/*.py), the record page on one incident."""
    urls = {"overview": base + "/"}
    for path in sorted((ROOT / "pages").glob("*.py")):
        urls[path.stem] = f"{base}/{path.stem}" + (
            f"?id={incident_id}" if path.stem == "incident" and incident_id else ""
        )
    return urls


def interactions(base: str, prefix: str = "") -> list[Interaction]:
    """The dashboard's listed interactions on the server at `base`, labels prefixed."""
    return [
        Interaction(
            (f"{prefix}filter change: pick a new value (Overview)", f"{prefix}filter change: remove it (Overview)"),
            base + "/",
            filter_change,
            prepare=open_filter,
        ),
        Interaction(f"{prefix}high-confidence toggle (Attribution)", base + "/attribution", toggle),
        Interaction(f"{prefix}chart/table switch (Overview)", base + "/", chart_table),
        Interaction(
            f"{prefix}open an incident (record picker)", base + "/incident", open_incident, back_to_picker, open_picker
        ),
    ]


async def measure(
    base: str,
    floors: dict[str, str],
    loads: int,
    repeat: int,
    incident_id: str | None,
    label: str,
    against: tuple[str, str] | None = None,
) -> tuple[Timings, Timings]:
    """`against`: (the ref's name, its server's base URL), measured in the same rounds."""
    from playwright.async_api import async_playwright

    pages, actions = Timings(), Timings()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.add_init_script(INPUTS_JS)
            urls = {**{f"floor: {k}": v for k, v in floors.items()}, **page_urls(base, incident_id)}
            if against:
                urls |= {f"{against[0]}: {k}": v for k, v in page_urls(against[1], incident_id).items()}
            for url in {*urls.values(), base + "/"}:  # warm-up: caches, imports, the dataset's load
                page = await open_page(context, url, WARM_UP_TIMEOUT_S)
                await page[0].close()
            print(f"[{label}] warm-up done; load average {load_average()}", flush=True)
            for r in range(loads):
                for name, url in urls.items():
                    try:
                        page, _, _, heading, done = await open_page(context, url)
                        await page.close()
                        pages.values[f"{name}: first heading"].append(heading)
                        pages.values[f"{name}: settled"].append(done)
                    except Exception as exc:
                        pages.failures[f"{name}: settled"] += 1
                        print(f"  load {name}: {type(exc).__name__}: {str(exc)[:160]}", flush=True)
                print(f"[{label}] page loads round {r + 1}/{loads}; load average {load_average()}", flush=True)
            acts = [
                *(Interaction(f"floor: {k}: toggle", v, floor_toggle) for k, v in floors.items()),
                *interactions(base),
                *(interactions(against[1], f"{against[0]}: ") if against else []),
            ]
            for it in acts:
                await it.open(context)
            for i in range(repeat):
                for it in acts:
                    await it.once(i, actions)
                    await asyncio.sleep(0.3)
            print(f"[{label}] interactions done; load average {load_average()}", flush=True)
        finally:
            await browser.close()
    return pages, actions


def start(app: Path, data: Path | None, log: Path, prefix: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    port = local_dashboard.free_port()
    with open(log, "wb") as fh:
        proc = local_dashboard.start(port, data, fh, prefix, app=app)
    local_dashboard.wait_healthy(proc, port, timeout=120)
    return proc, f"http://127.0.0.1:{port}"


def floor_apps(tmp: Path) -> dict[str, Path]:
    """The floor apps, each in its own folder with the project's Streamlit settings."""
    out = {}
    for n, (name, source) in enumerate(FLOOR_APPS.items()):
        folder = tmp / f"floor{n}"
        (folder / ".streamlit").mkdir(parents=True)
        shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
        (folder / "app.py").write_text(source.lstrip(), encoding="utf-8")
        out[name] = folder / "app.py"
    return out


def report(size: str, pages: Timings, actions: Timings, load: tuple[str, str], others: tuple[str, ...] = ()) -> None:
    """`others`: row prefixes that are not the current dashboard (the floor, an --against ref)."""
    print(f"\n### {size} (load average before {load[0]}, after {load[1]})\n")
    print("| page load | n | p50 s | p95 s | server p50 / p95 s |\n|---|---:|---:|---:|---|")
    for label in pages.values:
        print(pages.row(label))
    print("\n| interaction (input to settled) | n | p50 s | p95 s | server p50 / p95 s |\n|---|---:|---:|---:|---|")
    for label in actions.values:
        print(actions.row(label))
    floor = statistics.median(pages.values["floor: minimal app (title + toggle): first heading"] or [float("nan")])
    print(f"\ntargets at {size}: first heading within 1.2x the minimal app ({floor:.2f} s):")
    for label, v in pages.values.items():
        if label.endswith("first heading") and not label.startswith(("floor", *others)):
            ratio = statistics.median(v) / floor
            print(f"  {label}: {statistics.median(v):.2f} s = {ratio:.2f}x ({'met' if ratio <= 1.2 else 'MISSED'})")
    for label, v in actions.values.items():
        if not label.startswith(("floor", *others)):
            ok = pct(v, 50) < 0.3 and pct(v, 95) < 0.6
            print(
                f"  {label}: p50 {pct(v, 50):.2f} s, p95 {pct(v, 95):.2f} s (< 0.3 / < 0.6: "
                f"{'met' if ok else 'MISSED'})"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="real,100000", help="comma-separated: real and/or incident counts")
    ap.add_argument("--loads", type=int, default=7, help="page loads per page")
    ap.add_argument("--repeat", type=int, default=10, help="repetitions per interaction")
    ap.add_argument("--workdir", help="where synthetic data goes (default: a temp dir, removed after)")
    ap.add_argument("--against", metavar="REF", help="also measure the dashboard as it was at this git ref")
    args = ap.parse_args(argv)
    print(
        f"IncidentLens browser benchmark {dt.datetime.now().isoformat(timespec='seconds')}\n{machine()}\n"
        f"command: {' '.join([Path(sys.executable).name, *sys.argv])}\nload average now: {load_average()}",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="incidentlens-browser-"))
    work = Path(args.workdir) if args.workdir else tmp
    procs: list[subprocess.Popen] = []
    old = tmp / "against"
    if args.against:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.against], check=True)
    try:
        floors = {}
        for name, app in floor_apps(tmp).items():
            proc, url = start(app, None, tmp / f"{app.parent.name}.log")
            procs.append(proc)
            floors[name] = url + "/"
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            data = None if size == "real" else work / f"synth-{int(size)}"
            if data is not None and not (data / "incidents.csv").exists():
                from incidentlens.data import synth

                synth.write(int(size), data)
            proc, base = start(local_dashboard.APP, data, tmp / f"server-{size}.log")
            then = None
            try:
                if args.against:  # its own code first on the path; its own data at the real size
                    prefix = ["env", f"PYTHONPATH={old / 'src'}"]
                    then, url = start(old / "app.py", data or old / "data", tmp / f"against-{size}.log", prefix)
                ids = sample_ids(data or ROOT / "data", 1)
                before = load_average()
                pages, actions = asyncio.run(
                    measure(
                        base,
                        floors,
                        args.loads,
                        args.repeat,
                        ids[0] if ids else None,
                        size,
                        (args.against, url) if then else None,
                    )
                )
                report(
                    size if size == "real" else f"{int(size):,} synthetic incidents",
                    pages,
                    actions,
                    (before, load_average()),
                    (f"{args.against}:",) if args.against else (),
                )
            finally:
                local_dashboard.stop(proc)
                if then:
                    local_dashboard.stop(then)
    finally:
        for proc in procs:
            local_dashboard.stop(proc)
        if args.against:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
