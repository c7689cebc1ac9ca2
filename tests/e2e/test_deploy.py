"""The production setup (deploy/run.sh): Streamlit processes behind Debian's nginx on loopback.
A reader must see the same dashboard as from one process, and every request of one reader, the
WebSocket and the download files it points to included, must reach the same process."""

from __future__ import annotations

import csv
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from incidentlens import local_dashboard
from incidentlens.data.database import load
from incidentlens.query import queries
from incidentlens.query.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("deploy")
    proc, port, pids = local_dashboard.start_deployed(2, run_dir, ROOT / "data")
    try:
        yield f"http://127.0.0.1:{port}", run_dir, pids
    finally:
        local_dashboard.stop(proc)


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_reader_gets_pages_charts_and_downloads_through_the_proxy(page: Page, deployed):
    url, run_dir, _ = deployed
    db = load(ROOT / "data")
    page.goto(f"{url}/explorer?country=US")
    page.get_by_role("button", name="Download CSV").wait_for(timeout=TIMEOUT)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="Download CSV").click()
    with open(info.value.path(), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["incident_id"] for r in rows} == set(queries.incidents(db, Filters(country=("US",)))["incident_id"])

    page.get_by_test_id("stSidebar").get_by_role("link", name="Attribution").click()
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT)
    assert "country=US" in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)

    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "incidentlens_node")
    time.sleep(1)  # nginx writes a WebSocket's log line when it closes; the page's is still open
    seen = local_dashboard.affinity(run_dir / "access.log")
    assert seen.split == []
    mine = [line for line in (run_dir / "access.log").read_text().splitlines() if line.endswith(f"node={cookie}")]
    assert len(mine) >= 5  # the page after the first, its scripts, the media file of the download
    assert len({line.split("upstream=")[1].split()[0] for line in mine}) == 1


def test_new_readers_are_spread_over_every_process(deployed):
    url, run_dir, pids = deployed
    for _ in range(30):  # no cookie: each is a new reader with a random key (2 processes: all alike 1 in 2^29)
        with urllib.request.urlopen(f"{url}/", timeout=30) as r:
            assert r.status == 200
            assert "incidentlens_node=" in (r.headers.get("Set-Cookie") or "")
    assert len(local_dashboard.affinity(run_dir / "access.log").served_by) == len(pids) == 2


def test_stopping_the_launcher_stops_nginx_and_every_process(tmp_path):
    proc, port, pids = local_dashboard.start_deployed(2, tmp_path, ROOT / "data")
    nginx = int(next(line.split()[1] for line in (tmp_path / "pids").read_text().splitlines() if line[:5] == "nginx"))
    assert all(alive(pid) for pid in [*pids, nginx])
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) != 0
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in [*pids, nginx]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in [*pids, nginx])
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
