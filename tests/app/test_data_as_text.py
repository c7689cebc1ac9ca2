"""Issue 15.3: every free-text field of the data is shown as written on every page. The validator
refuses links, images, HTML and directives in text; what it lets through (emphasis, headings,
code, maths, emoji) must still show literally wherever a page puts data: titles, captions,
headings, widget labels and options that render Markdown, metric help and chart text."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from markup import page_markup
from streamlit.testing.v1 import AppTest

from incidentlens import ui
from incidentlens.data.schema import load_package
from incidentlens.data.validate import validate
from incidentlens.ui import attribution, record
from paths import ROOT

# Markdown the validator accepts in text, each piece around the marker word.
TEXT = "# evil **evil** _evil_ `evil` $evil$ ~~evil~~ :smile: > evil"
PAGES = [path for path, _, _ in ui.PAGES]  # every page, in the menu's order
SECTIONS = attribution.SECTIONS
# The same own-voice speaker is a codebook value (rule L3), not free text.
FIXED = {"own voice"}


@pytest.fixture(scope="module")
def texty(fixture_dir, tmp_path_factory):
    """The fixture with every non-empty free-text cell (no vocabulary, pattern or list) set to TEXT."""
    d = tmp_path_factory.mktemp("texty") / "data"
    shutil.copytree(fixture_dir, d)
    pkg = load_package(d)
    for res in ("incidents", "sources", "policy_actions"):
        free = [
            f.name
            for f in pkg.fields(res)
            if f.type == "string"
            and not (f.enum or f.pattern or f.is_list)
            and f.name not in ("url", "incident_id", "repost_of")
        ]
        path = d / pkg.resource(res)["path"]
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            row.update({name: TEXT for name in free if row[name] and row[name] not in FIXED})
        buf = io.StringIO()
        writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    assert validate(d) == [], "the text must pass the validator for this test to mean anything"
    return d


RUNS = [(page, {"id": "2019-08-fx-town-msp"}) for page in PAGES] + [
    ("pages/attribution.py", {"section": s}) for s in SECTIONS
]


@pytest.mark.parametrize(("page", "params"), RUNS, ids=[f"{p}-{v}" for p, v in RUNS])
def test_free_text_from_the_data_is_shown_as_written(texty, monkeypatch, page, params):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(texty))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    for key in record.EXPANDERS:  # the record's sections drawn only when opened
        at.session_state[key] = True
    at.run()
    assert not at.exception
    assert page_markup(at) == []


def test_the_incident_title_is_shown_as_written(texty, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(texty))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["id"] = "2019-08-fx-town-msp"
    at.switch_page("pages/incident.py")
    at.run()
    assert "evil" in at.title[0].value and page_markup(at) == []
