"""Every page sends its title before the sidebar: the browser shows what arrives in its first batch,
and with the sidebar's ten filters sent first the heading showed about 0.2 s later (benchmarks)."""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner_utils import script_run_context
from streamlit.testing.v1 import AppTest

from incidentlens import ui
from paths import REAL, ROOT

MAIN, SIDEBAR = 0, 1  # a delta's root container
TSM = "2019-08-texas-municipalities-tsm"


@pytest.fixture
def sent(monkeypatch) -> list[tuple[int, str, str]]:
    """Each new element the script sends, in order: (root container, element type, heading text)."""
    out: list[tuple[int, str, str]] = []
    enqueue = script_run_context.ScriptRunContext.enqueue

    def record(self, msg):
        if msg.HasField("delta") and msg.delta.HasField("new_element"):
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            out.append((msg.metadata.delta_path[0], kind, element.heading.body if kind == "heading" else ""))
        return enqueue(self, msg)

    monkeypatch.setattr(script_run_context.ScriptRunContext, "enqueue", record)
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    return out


@pytest.mark.parametrize("page", [path for path, _, _ in ui.PAGES])
def test_the_title_is_sent_before_any_sidebar_element(page, sent):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["id"] = TSM  # the record page shows a record
    if page != "app.py":
        at.switch_page(page)
    at.run()
    assert not at.exception
    first_sidebar = next(i for i, (root, _, _) in enumerate(sent) if root == SIDEBAR)
    titles = [i for i, (root, kind, _) in enumerate(sent) if root == MAIN and kind == "heading"]
    assert titles and titles[0] < first_sidebar, sent[: first_sidebar + 1]
    assert sent[titles[0]][2] == at.title[0].value  # and it is the page's title, the one shown at the top


def test_the_record_page_titles_the_open_record(sent):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["id"] = TSM
    at.switch_page("pages/incident.py")
    at.run()
    assert "TSM" in sent[0][2] and sent[0][:2] == (MAIN, "heading")
    at.query_params["id"] = "no-such-incident"
    sent.clear()
    at.run()
    assert sent[0] == (MAIN, "heading", "Incident record")
