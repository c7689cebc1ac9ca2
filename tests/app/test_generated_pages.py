"""Issue 15.4, as a property over pages: every generated data folder that validates renders every
page (and every Attribution section) without an exception box, with its text shown as written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from generated import BASE, Dataset, datasets
from hypothesis import HealthCheck, assume, given, settings
from markup import page_markup
from streamlit.testing.v1 import AppTest

from incidentlens import ui
from incidentlens.data.validate import validate
from incidentlens.ui import attribution
from paths import ROOT

PAGES = [path for path, _, _ in ui.PAGES]  # every page, in the menu's order
SECTIONS = attribution.SECTIONS[1:]  # the first is what a page opens on
RUNS = [(page, {}) for page in PAGES] + [("pages/attribution.py", {"section": s}) for s in SECTIONS]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(datasets())
def test_every_page_renders_what_validates(data: Dataset):
    with tempfile.TemporaryDirectory() as tmp:
        d = data.write(Path(tmp) / "data")
        assume(validate(d) == [])
        before = os.environ.get("INCIDENTLENS_DATA")
        os.environ["INCIDENTLENS_DATA"] = str(d)
        try:
            for page, params in RUNS:
                at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
                at.query_params["id"] = BASE["incidents"][0]["incident_id"]
                for key, value in params.items():
                    at.query_params[key] = value
                if page != "app.py":
                    at.switch_page(page)
                at.run()
                assert not at.exception, (page, params, [e.value for e in at.exception])
                assert page_markup(at) == [], (page, params)
        finally:
            if before is None:
                del os.environ["INCIDENTLENS_DATA"]
            else:
                os.environ["INCIDENTLENS_DATA"] = before
