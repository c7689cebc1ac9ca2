"""Issue 15.8: next to the bundle download the Explorer says that its CSVs are the exact data and
where the spreadsheet-safe copies are (tests/unit/test_bundle_formulas.py checks the files)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from incidentlens.present import bundle
from paths import ROOT


def test_the_explorer_says_so_next_to_the_download(fixture_dir, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/explorer.py")
    at.run()
    captions = " ".join(c.value for c in at.caption)
    assert "formula" in captions and bundle.SPREADSHEET in captions
