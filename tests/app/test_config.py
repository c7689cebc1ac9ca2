"""`.streamlit/config.toml` holds the public-deployment settings, Streamlit's own loader puts them
in effect, and hiding error details from browsers does not hide errors from the server log."""

from __future__ import annotations

import logging
import os
import tomllib
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
    "browser.gatherUsageStats": False,
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
