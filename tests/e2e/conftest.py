"""Browser tests: a real `streamlit run` on loopback, driven by Playwright with Debian's chromium
(never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incidentlens import local_dashboard

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)
        if not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (scripts/run-tests.sh installs it)"))


@pytest.fixture(scope="session")
def server_url():
    port = local_dashboard.free_port()
    proc = local_dashboard.start(port, ROOT / "data")
    try:
        local_dashboard.wait_healthy(proc, port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        local_dashboard.stop(proc)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}


@pytest.fixture(scope="session")
def base_url(server_url):
    return server_url
