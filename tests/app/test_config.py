"""`.streamlit/config.toml` holds the public-deployment settings, Streamlit's own loader puts them
in effect, and hiding error details from browsers does not hide errors from the server log."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import subprocess
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"

EXPECTED = {
    "global.developmentMode": False,
    "logger.enableRich": False,
    "client.showErrorDetails": "none",
    "client.toolbarMode": "viewer",
    "client.showSidebarNavigation": False,
    "server.headless": True,
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableCORS": True,
    "server.enableXsrfProtection": True,
    "server.enableStaticServing": False,
    "server.maxUploadSize": 1,
    "server.allowedHosts": ["localhost", "127.0.0.1", "::1"],
    "browser.gatherUsageStats": False,
    "theme.base": "light",
}


@pytest.fixture
def project_config(monkeypatch):
    """Streamlit's config as `streamlit run` would load it from the project root."""
    from streamlit import config

    for name in [k for k in os.environ if k.startswith("STREAMLIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    yield config
    monkeypatch.undo()
    config.get_config_options(force_reparse=True)


def test_toml_has_every_setting():
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    for key, value in EXPECTED.items():
        section, name = key.split(".")
        assert data[section][name] == value, key
        assert type(data[section][name]) is type(value), key


def test_every_option_exists_in_this_streamlit():
    from streamlit import config

    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    known = config._config_options_template
    for section, options in data.items():
        for name in options:
            assert f"{section}.{name}" in known, f"{section}.{name} is not a Streamlit option"


def test_streamlit_loads_the_values_from_this_file(project_config):
    for key, value in EXPECTED.items():
        assert project_config.get_option(key) == value, key
        assert Path(project_config.get_where_defined(key)) == CONFIG, key


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_exception_is_redacted_in_the_page_but_logged_in_full(project_config):
    from streamlit.testing.v1 import AppTest

    assert project_config.get_option("logger.level") in ("debug", "info", "warning", "error")
    logger = logging.getLogger("streamlit.error_util")
    assert not logger.disabled and logger.isEnabledFor(logging.ERROR)
    handler = _Records()
    logger.addHandler(handler)
    try:
        at = AppTest.from_string(
            "import streamlit as st\nst.write('before')\nraise ValueError('secret /srv/path detail')\n"
        ).run(timeout=30)
    finally:
        logger.removeHandler(handler)

    # The browser gets a generic message: no type, no message, no traceback.
    assert len(at.exception) == 1
    shown = at.exception[0].proto
    assert "secret" not in shown.message and not shown.type and not list(shown.stack_trace)
    assert "redacted" in shown.message
    # The server log gets everything.
    errors = [r for r in handler.records if r.levelno >= logging.ERROR and r.exc_info]
    assert errors, "the uncaught exception was not logged"
    logged = logging.Formatter().format(errors[0])
    assert "ValueError: secret /srv/path detail" in logged and "Traceback" in logged


# ---- the served dashboard (serve.py): forged Host/Origin refused, metrics off (issue 15.12) ----


def _handshake(port: int, host: str, origin: str | None) -> int:
    """The HTTP status of a WebSocket upgrade to /_stcore/stream with this Host and Origin."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(conn.recv(4096).split()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@contextlib.contextmanager
def served(fixture_dir, monkeypatch, **env: str):
    """`incidentlens serve`'s command on a free loopback port, with this environment."""
    from incidentlens import cli, local_dashboard

    for name in [k for k in os.environ if k.startswith("STREAMLIT_")]:
        monkeypatch.delenv(name)
    for name, value in {"INCIDENTLENS_DATA": str(fixture_dir), **env}.items():
        monkeypatch.setenv(name, value)
    port = local_dashboard.free_port()
    proc = subprocess.Popen(
        cli.serve_command(port, "127.0.0.1", env.get("INCIDENTLENS_BASE_URL")),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local_dashboard.wait_healthy(proc, port, timeout=60)
        yield port
    finally:
        local_dashboard.stop(proc)


def test_forged_host_or_origin_is_refused_and_metrics_are_off(fixture_dir, monkeypatch):
    with served(fixture_dir, monkeypatch) as port:
        assert _handshake(port, f"127.0.0.1:{port}", None) == 101
        assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        # DNS rebinding: a page on evil.example resolving to this server sends its own name.
        assert _handshake(port, "evil.example", "http://evil.example") == 403
        assert _handshake(port, "evil.example", None) == 403
        assert _handshake(port, f"127.0.0.1:{port}", "http://evil.example") == 403
        assert _status(f"http://127.0.0.1:{port}/_stcore/metrics") == 404
        assert _status(f"http://127.0.0.1:{port}/_stcore/health") == 200


def test_the_public_host_comes_from_the_base_url_and_metrics_can_be_enabled(fixture_dir, monkeypatch):
    with served(
        fixture_dir, monkeypatch, INCIDENTLENS_BASE_URL="https://lens.example.org", INCIDENTLENS_METRICS="1"
    ) as port:
        assert _handshake(port, "lens.example.org", "https://lens.example.org") == 101
        assert _handshake(port, f"127.0.0.1:{port}", None) == 101
        assert _handshake(port, "evil.example", "http://evil.example") == 403
        assert _status(f"http://127.0.0.1:{port}/_stcore/metrics") == 200


def test_an_explicit_host_list_wins(fixture_dir, monkeypatch):
    with served(
        fixture_dir,
        monkeypatch,
        INCIDENTLENS_BASE_URL="https://lens.example.org",
        STREAMLIT_SERVER_ALLOWED_HOSTS="other.example.org",
    ) as port:
        assert _handshake(port, "other.example.org", None) == 101
        assert _handshake(port, "lens.example.org", None) == 403
