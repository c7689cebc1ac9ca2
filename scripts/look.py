"""Look at the whole product in two minutes: every page (and a few filtered deep links) opened in
headless chromium, each tab of a page clicked and each expander opened, full-page screenshots saved, every chart image
downloaded as a user would (PNG and SVG), the brief downloaded (PDF pages drawn as PNG, Word
saved), and an index.html to page through them.

    .venv/bin/python scripts/look.py [--out look] [--url http://host:port] [--data DIR] [--view NAME ...]

Without --url it starts the dashboard on a free loopback port (data from --data, else
$INCIDENTLENS_DATA, else data/) and stops it at the end. It also measures the text of every SVG
chart image (tests/layout_check.py) and lists any label outside the image or overlapping another,
and any Streamlit error box on a page; the exit status is 1 when it found one, 0 otherwise.
Uses Playwright's Python package with Debian's /usr/bin/chromium (never `playwright install`).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the layout checks the image tests use

import layout_check  # noqa: E402

from incidentlens import local_dashboard  # noqa: E402

CHROMIUM, ARGS = local_dashboard.CHROMIUM, local_dashboard.CHROMIUM_ARGS
WIDTH, HEIGHT = 1400, 1000
CLOSED_EXPANDERS = "[data-testid=stMain] [data-testid=stExpander] details:not([open]) > summary >> visible=true"
TIMEOUT = 60_000
# name -> path and query string. Every page by its URL path, then deep links a user would follow.
VIEWS = {
    "overview": "/",
    "attribution": "/attribution",
    "explorer": "/explorer",
    "incident-list": "/incident",
    "incident": "/incident?id=2019-08-texas-municipalities-tsm",
    "policy": "/policy",
    "brief": "/brief",
    "sql": "/sql",
    "methodology": "/methodology",
    "overview-dental": "/?sector=dental",
    "attribution-readme-link": "/attribution?years=2019-2023&ptype=msp,break_fix&labelled_by=trade_press",
    "attribution-high-confidence": "/attribution?conf=high",
    "explorer-us-ransomware": "/explorer?country=US&attack=ransomware",
    "overview-nothing-matches": "/?q=no+incident+has+these+words",
    "unknown-page": "/no-such-page",
}


@dataclass
class Report:
    out: Path
    shots: list[tuple[str, str]] = field(default_factory=list)  # (caption, file)
    problems: list[str] = field(default_factory=list)

    def add(self, caption: str, path: Path) -> None:
        self.shots.append((caption, str(path.relative_to(self.out))))


def idle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=TIMEOUT)


MEASURE = """() => ({
  scroll: Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebarContent]')]
    .map(e => e.scrollHeight)),
  sidebar: document.querySelector('[data-testid=stSidebarContent]').scrollHeight,
  bottom: document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect().bottom})"""


def screenshot(page: Page, path: Path) -> None:
    """The whole page. Streamlit scrolls inside its main block and draws some content only once
    it is in view, so the viewport grows until the content ends well above its bottom."""
    height = HEIGHT
    for _ in range(10):
        m = page.evaluate(MEASURE)
        if m["scroll"] <= height and m["bottom"] < height - 60 or height >= 16_000:
            break
        height = int(min(16_000, max(m["scroll"], m["bottom"] + 200, height + 600)))
        page.set_viewport_size({"width": WIDTH, "height": height})
        page.wait_for_timeout(1000)
    m = page.evaluate(MEASURE)
    page.screenshot(
        path=str(path),
        clip={"x": 0, "y": 0, "width": WIDTH, "height": min(height, max(m["bottom"] + 60, m["sidebar"]))},
    )
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def errors_on(page: Page, where: str, report: Report) -> None:
    for box in page.get_by_test_id("stException").all():
        report.problems.append(f"{where}: exception box: {box.inner_text()[:200]!r}")


def download(page: Page, button, path: Path) -> Path:
    idle(page)  # a rerun marks the page inert until it ends
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click(timeout=TIMEOUT)
    info.value.save_as(path)
    return path


def chart_images(page: Page, view: str, report: Report, checker: Page) -> None:
    """Every PNG and SVG image button on the page; SVGs are measured for labels cut or overlapping."""
    for i, button in enumerate(page.get_by_role("button", name=re.compile(r"^(PNG|SVG) image$")).all()):
        fmt = button.inner_text().split()[0].lower()
        path = report.out / "images" / f"{view}-{i // 2 + 1}.{fmt}"
        download(page, button, path)
        if fmt == "png":
            report.add(f"{view}: chart image {i // 2 + 1}", path)
            continue
        width, height, boxes = layout_check.text_boxes(checker, path.read_text(encoding="utf-8"))
        report.problems += [f"{path.name}: {p}" for p in layout_check.text_problems(width, height, boxes)]


def brief_files(page: Page, view: str, report: Report) -> None:
    for fmt in ("pdf", "docx"):
        button = page.get_by_role("button", name=re.compile(rf"Download {'PDF' if fmt == 'pdf' else 'Word'}"))
        if not button.count():
            report.problems.append(f"{view}: no {fmt} download button")
            continue
        path = download(page, button.first, report.out / "brief" / f"{view}.{fmt}")
        if fmt == "docx":
            continue
        for n, image in enumerate(layout_check.pdf_pages(path.read_bytes(), dpi=80), 1):
            png = report.out / "brief" / f"{view}-page-{n}.png"
            image.save(png)
            report.add(f"{view}: brief page {n}", png)
            border = round(7 / 25.4 * 80)
            report.problems += [f"{png.name}: {p}" for p in layout_check.edge_problems(image, border)]


def look(base: str, views: dict[str, str], report: Report) -> None:
    for sub in ("pages", "images", "brief"):
        (report.out / sub).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, accept_downloads=True)
        page, checker = context.new_page(), context.new_page()
        for view, target in views.items():
            started = time.perf_counter()
            page.goto(base + target)
            page.get_by_test_id("stSidebar").wait_for(timeout=TIMEOUT)
            idle(page)
            dialog = page.get_by_role("dialog")
            if dialog.count():  # e.g. Streamlit's own "Page not found": seen as a user sees it, then closed
                shot = report.out / "pages" / f"{view}-dialog.png"
                page.screenshot(path=str(shot))
                report.add(f"{view}: dialog on opening ({page.url.removeprefix(base)})", shot)
                page.keyboard.press("Escape")
                expect(dialog).to_have_count(0, timeout=TIMEOUT)
            tabs = page.locator("[data-testid=stMain] [role=tab]").all()
            names = [t.inner_text().strip() for t in tabs] or [""]
            for i, name in enumerate(names):
                if name:
                    page.locator("[data-testid=stMain] [role=tab]").nth(i).click()
                    idle(page)
                where = f"{view}-{slug(name)}" if name else view
                closed = page.locator(CLOSED_EXPANDERS)
                for _ in range(closed.count()):  # open them: the permalink and cite sentences are for review too
                    closed.first.click()
                    page.wait_for_timeout(200)
                idle(page)
                page.wait_for_timeout(800)  # expanders draw their content after opening
                shot = report.out / "pages" / f"{where}.png"
                screenshot(page, shot)
                report.add(f"{where}  ({page.url.removeprefix(base)})", shot)
                errors_on(page, where, report)
                chart_images(page, where, report, checker)
            if view.startswith("brief"):
                brief_files(page, view, report)
            print(f"{view}: {len(names)} view(s), {time.perf_counter() - started:.1f} s", file=sys.stderr)
        browser.close()


def write_index(report: Report) -> Path:
    items = "\n".join(
        f"<h2>{html.escape(caption)}</h2><a href='{html.escape(path)}'>"
        f"<img src='{html.escape(path)}' loading='lazy'></a>"
        for caption, path in report.shots
    )
    problems = "".join(f"<li>{html.escape(p)}</li>" for p in report.problems) or "<li>none found</li>"
    index = report.out / "index.html"
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>IncidentLens look</title>"
        "<style>body{font-family:sans-serif;margin:2em}img{max-width:100%;border:1px solid #ccc}"
        "h2{font-size:1em;margin-top:2em}</style>"
        f"<h1>IncidentLens: every page and image</h1><p>Problems found by the checks:</p><ul>{problems}</ul>"
        f"{items}",
        encoding="utf-8",
    )
    return index


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="look", help="output folder (emptied first; default ./look)")
    p.add_argument("--url", help="a running dashboard, e.g. http://127.0.0.1:8501 (default: start one)")
    p.add_argument("--data", help="data directory for the dashboard this script starts")
    p.add_argument("--view", action="append", choices=list(VIEWS), help="only this view (repeatable)")
    args = p.parse_args(argv)
    views = {name: VIEWS[name] for name in args.view} if args.view else VIEWS
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    report = Report(out.resolve())
    proc = None
    base = (args.url or "").rstrip("/")
    if not base:
        port = local_dashboard.free_port()
        proc = local_dashboard.start(port, Path(args.data).resolve() if args.data else None)
        local_dashboard.wait_healthy(proc, port, timeout=60)
        base = f"http://127.0.0.1:{port}"
    try:
        look(base, views, report)
    finally:
        if proc is not None:
            local_dashboard.stop(proc)
    index = write_index(report)
    print(f"{len(report.shots)} screenshots and images in {out}/ (open {index})")
    for problem in report.problems:
        print(f"problem: {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
