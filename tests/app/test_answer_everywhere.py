"""The break/fix answer is the same sentence in `incidentlens stats`, in the brief and on the
Overview's first screen (issue: the three must agree)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from incidentlens import cli
from incidentlens.present import brief, narrative
from incidentlens.query import answer
from incidentlens.query.filters import Filters
from paths import ROOT

HAND_MSP = [
    ("published", 1, 6),
    ("high_confidence", 1, 4),
    ("alternative", 3, 6),
    ("second_coder", 3, 6),
    ("transitional_as_break_fix", 1, 6),
    ("unknown_excluded", 1, 6),
    ("originals_only", 1, 5),
    ("every_copy", 1, 6),
]


def test_cli_brief_and_overview_say_the_same(db, fixture_dir, capsys, monkeypatch):
    a, items = answer.of(db, Filters())
    sentence = narrative.answer_sentence(a)
    assert cli.main(["--data", str(fixture_dir), "stats"]) == 0
    assert sentence in capsys.readouterr().out
    assert cli.main(["--data", str(fixture_dir), "stats", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["answer"]["sentence"] == sentence
    assert doc["robustness"]["sentence"] == narrative.robustness_sentence(items)
    assert doc["coding_agreement"]["agreed"] == 7
    assert cli.main(["--data", str(fixture_dir), "stats", "--robustness", "--json"]) == 0
    rob = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["msp"]["k"], r["msp"]["n"]) for r in rob["readings"]] == HAND_MSP
    b = brief.build(db, Filters(), "https://example.org/", with_charts=False)
    assert b.answer == sentence and b.robustness == narrative.robustness_sentence(items)
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    shown = " ".join(str(m.value) for m in at.markdown).replace("\\", "")  # ui.plain escapes Markdown
    assert sentence in shown and narrative.robustness_sentence(items) in shown


def test_methodology_publishes_the_agreement(db, fixture_dir, monkeypatch):
    from incidentlens.query import agreement

    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/methodology.py").run()
    assert not at.exception
    shown = " ".join(str(m.value) for m in at.markdown).replace("\\", "")
    assert agreement.agreement(db).sentence() in shown
    table = at.dataframe[0].value
    assert list(table["Incident"]) == ["2019-11-fx-nursing-msp", "2023-03-fx-outsourcer"]
    assert list(table["Second coder"]) == ["MSP", "MSP"]
