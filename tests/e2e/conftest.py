"""Browser tests: a real `streamlit run` on loopback, driven by Playwright with Debian's chromium
(never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incidentlens import local_dashboard

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMIUM_ARGS = local_dashboard.CHROMIUM, local_dashboard.CHROMIUM_ARGS


REQUIRED = os.environ.get("INCIDENTLENS_REQUIRE_BROWSER") == "1"  # set by scripts/run-tests.sh


def pytest_collection_modifyitems(config, items):
    """Mark only the tests in this folder (a conftest hook sees every collected item). Plain
    `pytest` skips them where chromium is missing; the README's test command fails instead."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists() and not REQUIRED:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (scripts/run-tests.sh installs it)"))


@pytest.fixture(scope="session", autouse=True)
def chromium_present():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: scripts/run-tests.sh installs it", pytrace=False)


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
