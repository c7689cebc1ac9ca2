"""A hostile run against the dashboard and the command line (issue 15), printing the counts that
SECURITY.md records: exception boxes, tracebacks, injected links and images.

    .venv/bin/python benchmarks/hostile_run.py [--quick] [--browser] [--data-folders N] [--cli N]

Parts:
- links: every page opened (AppTest) with hostile values in every URL key at once, with and
  without a search (a search that matches nothing stops most pages early), each key repeated, and
  every Attribution section; each page's shown strings and plotly figures checked for markup
  (tests/markup.py) and for exception boxes;
- browser (--browser): a sample of those links in headless chromium against `streamlit run
  serve.py`, counting exception boxes, links and images pointing at the hostile host, and every
  request the page makes to a host other than the server;
- data folders: generated folders (tests/generated.py) and hand-made ones; those that validate
  are rendered on every page and section; validate() and load() must never raise;
- cli: generated argument lists run in-process (an exception escaping main() is a traceback), and
  the nastiest ones as real processes (stderr searched for "Traceback").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from generated import BASE, datasets  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from markup import MARKER, page_markup  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from incidentlens import cli, local_dashboard, ui  # noqa: E402
from incidentlens.data.database import load  # noqa: E402
from incidentlens.data.descriptor import VOCABULARY_COLUMNS  # noqa: E402
from incidentlens.data.validate import validate  # noqa: E402
from incidentlens.ui import attribution  # noqa: E402

PAGES = [path for path, _, _ in ui.PAGES]  # every page, in the menu's order
SECTIONS = attribution.SECTIONS
KEYS = [
    "years",
    "ptype",
    "family",
    "label",
    "labelled_by",
    "sector",
    "country",
    "state",
    "route",
    "attack",
    "conf",
    "q",
    "id",
    "section",
    "by",
    "ca",
    "cb",
    "cshare",
    "action",
    "zzz",
]
VALUES = [
    f"[{MARKER}](https://{MARKER}.example)",
    f"![{MARKER}](https://{MARKER}.example/p.png)",
    f"<img src=https://{MARKER}.example/p.png>",
    f'<a href="https://{MARKER}.example">{MARKER}</a>',
    f":red[{MARKER}] **{MARKER}** $${MARKER}$$ :material/{MARKER}:",
    f"https://{MARKER}.example www.{MARKER}.example",
    f"<b>{MARKER}</b><br><i>{MARKER}</i>",
    f"<script>alert('{MARKER}')</script>",
    f"[x](javascript:alert('{MARKER}'))",
    f"q=[{MARKER}](https://{MARKER}.example)&years=2100",
    f"sector=<img src=https://{MARKER}.example/x>",
    "2100",
    "2099-2100",
    "1990-1995",
    "2100-1990",
    "0000-9999",
    "-1",
    "1e9",
    " 2019 ",
    "2019-2021-2023",
    "99999",
    "msp,,,msp",
    "MSP",
    "us",
    "zz",
    "not_msp",
    "' OR 1=1 --",
    "%' OR '1'='1",
    "../../etc/passwd",
    "/etc/passwd",
    "\u202eevil\u202c",
    "a\x00b",
    "\x1b[31mred",
    "\U0001f600",
    "é" * 300,
    "x" * 10_000,
    "",
    " ",
    "null",
    "None",
    "[]",
    "{}",
    "<",
    "&amp;",
    "Compare two groups",
    "Where and whom",
]


def _app_test(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    return at


class Tally:
    def __init__(self, name: str):
        self.name, self.runs, self.exceptions, self.markup, self.crashes = name, 0, 0, 0, 0
        self.examples: list[str] = []

    def page(self, page: str, params: dict) -> None:
        self.runs += 1
        try:
            at = _app_test(page, params).run()
        except Exception as exc:  # AppTest itself failed: the script did not finish
            self.crashes += 1
            self.examples.append(f"crash {page} {params!r:.120}: {exc!r:.120}")
            return
        if at.exception:
            self.exceptions += 1
            self.examples.append(f"exception {page} {params!r:.160}")
        found = page_markup(at)
        if found:
            self.markup += 1
            self.examples.append(f"markup {page} {params!r:.120}: {found[0]!r:.160}")

    def report(self) -> dict:
        out = {
            "part": self.name,
            "page runs": self.runs,
            "exception boxes": self.exceptions,
            "pages with injected markup": self.markup,
            "runs that crashed": self.crashes,
        }
        print(json.dumps(out), flush=True)
        for line in self.examples[:10]:
            print("   ", line, flush=True)
        return out


def links_part(data: Path, quick: bool) -> dict:
    os.environ["INCIDENTLENS_DATA"] = str(data)
    tally = Tally("links (AppTest)")
    values = VALUES[::4] if quick else VALUES
    for value in values:
        for page in PAGES:
            tally.page(page, {k: value for k in KEYS})
            tally.page(page, {k: value for k in KEYS if k != "q"} | {"id": BASE["incidents"][0]["incident_id"]})
    for key in KEYS:
        for page in PAGES if not quick else PAGES[:2]:
            tally.page(page, {key: [VALUES[0], VALUES[11], "msp"]})
    for section in SECTIONS:
        for value in values:
            tally.page(
                "pages/attribution.py",
                {"section": section, "ca": value, "cb": f"q={value}", "by": value, "cshare": value},
            )
    return tally.report()


def _hostile_dirs(root: Path) -> list[tuple[str, Path]]:
    """Hand-made folders that must validate: the biggest 64-bit count, mixed line endings, and
    every custom key removed that the pages do not read as a list of codes."""
    fixture = Path(os.environ["INCIDENTLENS_DATA"])
    made = []

    def copy(name: str) -> Path:
        d = root / name
        shutil.copytree(fixture, d)
        made.append((name, d))
        return d

    d = copy("int64-max")
    text = (d / "incidents.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = text[1].split(",")
    header = text[0].rstrip("\n").split(",")
    for col in ("downstream_orgs_min", "downstream_orgs_max"):
        cells[header.index(col)] = str(2**63 - 1)
    text[1] = ",".join(cells)
    (d / "incidents.csv").write_text("".join(text), encoding="utf-8")
    d = copy("crlf-mixed")
    for name in ("incidents.csv", "sources.csv", "policy_actions.csv"):
        lines = (d / name).read_bytes().split(b"\n")
        (d / name).write_bytes(b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1])))
    d = copy("no-optional-custom-keys")
    raw = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    keep = {"x-list-separator", "x-provider-type-family"}
    for key in [k for k in raw if k.startswith("x-") and k not in keep]:
        del raw[key]
    for res in raw["resources"]:
        for f in res["schema"]["fields"]:
            kept = keep | ({"x-vocabulary"} if f["name"] in VOCABULARY_COLUMNS.get(res["name"], ()) else set())
            for key in [k for k in f if k.startswith("x-") and k not in kept]:
                del f[key]
    (d / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return made


def data_part(fixture: Path, n: int) -> dict:
    tally = Tally("data folders (AppTest)")
    counts = {"folders": 0, "validated": 0, "refused": 0, "validate() or load() raised": 0}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["INCIDENTLENS_DATA"] = str(fixture)
        folders = _hostile_dirs(Path(tmp))
        strategy = datasets()
        for i in range(n):
            folders.append((f"generated-{i}", strategy.example().write(Path(tmp) / f"g{i}")))
        for name, d in folders:
            counts["folders"] += 1
            try:
                problems = validate(d)
                if not problems:
                    load(d)
            except Exception as exc:
                counts["validate() or load() raised"] += 1
                tally.examples.append(f"raised {name}: {exc!r:.160}")
                continue
            if problems:
                counts["refused"] += 1
                tally.examples.append(f"refused {name}: {problems[0]}"[:200])
                continue
            counts["validated"] += 1
            os.environ["INCIDENTLENS_DATA"] = str(d)
            for page in PAGES:
                tally.page(page, {"id": BASE["incidents"][0]["incident_id"]})
            for section in SECTIONS:
                tally.page("pages/attribution.py", {"section": section})
    out = tally.report()
    print(json.dumps(counts), flush=True)
    return {**out, **counts}


ARGV_WORDS = [
    "--years",
    "--ptype",
    "--q",
    "--base-url",
    "--format",
    "--out",
    "--compare",
    "--share-of",
    "--country",
    "--json",
    "--robustness",
    "--no-charts",
    "--data",
    "2019-2021",
    "msp",
    "csv",
    "docx",
    "pdf",
    "bundle",
    "2100",
    "x,y",
    "label=msp",
    "http://x.example",
    "",
    "-",
    "--",
    "=",
    "\x01",
    "\u202e",
    "é",
    "../..",
    "/dev/null",
    "https://x.example/\x07",
    "\x1b[2J",
    "A" * 5000,
]


def cli_part(fixture: Path, n: int, out_dir: Path) -> dict:
    counts = {"in-process runs": 0, "tracebacks": 0, "errors over one line": 0, "processes": 0, "process tracebacks": 0}
    words = st.lists(st.one_of(st.sampled_from(ARGV_WORDS), st.text(max_size=8)), max_size=7)
    commands = st.sampled_from(["validate", "stats", "export", "brief"])
    examples = []
    logging.disable(logging.CRITICAL)
    for _ in range(n):
        command, args = commands.example(), words.example()
        argv = ["--data", str(fixture), command, *args]
        if command in ("export", "brief"):
            argv += ["--out", str(out_dir / "out"), *(["--no-charts"] if command == "brief" else [])]
        err = io.StringIO()
        counts["in-process runs"] += 1
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception as exc:  # escaped main(): a traceback in a shell
                counts["tracebacks"] += 1
                examples.append(f"traceback {argv!r:.160}: {exc!r:.120}")
                continue
        lines = [line for line in err.getvalue().splitlines() if line and not line.startswith("note:")]
        if code != 0 and len(lines) != 1 and command != "validate":
            counts["errors over one line"] += 1
            examples.append(f"{len(lines)} lines {argv!r:.160}")
    nasty = [
        ["brief", "--format", "docx", "--no-charts", "--base-url", "https://example.org/\x01"],
        ["brief", "--format", "pdf", "--no-charts", "--base-url", "https://[::1"],
        ["export", "--format", "bundle", "--base-url", "https://example.org:99999"],
        ["stats", "--years", "2100"],
        ["stats", "--compare", "q=<b>x</b>", "years=1990-1995"],
        ["export", "--format", "csv", "--q", "\x7f"],
        ["frobnicate"],
        ["stats", "--ptype"],
        ["export", "--format", "xlsx", "--sector", "\u202e" * 100],
        ["--data", "/etc", "validate"],
        ["--data", "/nonexistent", "stats"],
        ["synth", "--incidents", "-5", "--out", str(out_dir / "s")],
    ]
    for args in nasty:
        argv = [sys.executable, "-m", "incidentlens.cli", "--data", str(fixture), *args]
        if args[0] in ("export", "brief"):
            argv += ["--out", str(out_dir / "out")]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=ROOT)
        counts["processes"] += 1
        if "Traceback" in result.stderr:
            counts["process tracebacks"] += 1
            examples.append(f"process traceback {args!r:.120}")
    print(json.dumps({"part": "cli", **counts}), flush=True)
    for line in examples[:10]:
        print("   ", line, flush=True)
    return counts


def browser_part(fixture: Path, quick: bool) -> dict:
    """A sample of the hostile links in chromium against the served dashboard (serve.py)."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    port = local_dashboard.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["INCIDENTLENS_DATA"] = str(fixture)
    proc = subprocess.Popen(
        cli.serve_command(port, "127.0.0.1", None),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    counts = {
        "pages loaded": 0,
        "exception boxes": 0,
        "links to the hostile host": 0,
        "images from the hostile host": 0,
        "markup around the hostile text": 0,
        "requests to other hosts": 0,
        "pages that did not load": 0,
    }
    outside: list[str] = []
    try:
        local_dashboard.wait_healthy(proc, port, timeout=90)
        base = f"http://127.0.0.1:{port}"
        paths = ["", "attribution", "explorer", "incident", "policy", "brief", "sql", "methodology"]
        values = VALUES[:11] + VALUES[11:16]
        urls = [
            f"{base}/{path}?{urlencode({k: value for k in KEYS if with_q or k != 'q'})}"
            for path in paths
            for value in (values[::3] if quick else values)
            for with_q in (False, True)
        ]
        urls += [
            f"{base}/attribution?{urlencode({'section': s, 'ca': f'q={VALUES[0]}', 'cb': VALUES[4]})}" for s in SECTIONS
        ]
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()

            def watch(route):
                host = route.request.url.split("/")[2] if "://" in route.request.url else ""
                if not host.startswith(f"127.0.0.1:{port}") and not route.request.url.startswith(("data:", "blob:")):
                    outside.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", watch)
            for url in urls:
                try:
                    page.goto(url, timeout=60_000)
                    page.wait_for_selector("h1", timeout=60_000)
                    page.wait_for_timeout(800)
                except Exception:
                    counts["pages that did not load"] += 1
                    continue
                counts["pages loaded"] += 1
                counts["exception boxes"] += page.locator("[data-testid='stException']").count()
                # Links away from the server carrying the hostile text (the app's own permalinks,
                # whose query holds the link's values, stay on the server and are not counted).
                counts["links to the hostile host"] += page.evaluate(
                    "([host, marker]) => [...document.querySelectorAll('a[href]')].filter(a => {"
                    " try { const u = new URL(a.href); return u.host !== host && a.href.includes(marker); }"
                    " catch (e) { return true; } }).length",
                    [f"127.0.0.1:{port}", MARKER],
                )
                counts["images from the hostile host"] += page.locator(f"img[src*='{MARKER}']").count()
                # Markup drawn around the hostile text: emphasis, code, colour, maths, icons.
                counts["markup around the hostile text"] += page.evaluate(
                    "marker => [...document.querySelectorAll(\"[data-testid='stMarkdownContainer']\")]"
                    ".filter(c => c.innerText.includes(marker)).map(c => [...c.querySelectorAll("
                    "\"strong, em, code, del, b, i, span[style*='color'], .katex, [role='img'], img\")]"
                    ".filter(e => e.innerText.includes(marker) || e.matches(\".katex, [role='img'], img\"))"
                    ".length).reduce((a, b) => a + b, 0)",
                    MARKER,
                )
            browser.close()
    finally:
        local_dashboard.stop(proc)
    counts["requests to other hosts"] = len(outside)
    print(json.dumps({"part": "browser", **counts}), flush=True)
    for url in outside[:5]:
        print("    outside request:", url[:160], flush=True)
    return counts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a quarter of the values (a smoke run)")
    p.add_argument("--browser", action="store_true", help="also drive chromium against serve.py")
    p.add_argument("--data-folders", type=int, default=30, help="generated data folders")
    p.add_argument("--cli", type=int, default=400, help="generated argument lists")
    p.add_argument("--parts", default="links,data,cli", help="comma-separated: links, data, cli")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        fixture = Path(tmp) / "fixture"
        shutil.copytree(ROOT / "tests" / "fixtures" / "data", fixture)
        shutil.copy(ROOT / "data" / "datapackage.json", fixture / "datapackage.json")
        parts = args.parts.split(",")
        if "links" in parts:
            links_part(fixture, args.quick)
        if "data" in parts:
            data_part(fixture, args.data_folders)
        if "cli" in parts:
            cli_part(fixture, args.cli, Path(tmp))
        if args.browser:
            browser_part(fixture, args.quick)
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
