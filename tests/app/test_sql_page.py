"""The SQL console page: a linked query runs, refusals show as plain text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from incidentlens.query import queries
from incidentlens.query.filters import Filters
from paths import ROOT


def test_page_runs_a_linked_query_and_shows_refusals_as_plain_text(fixture_dir, monkeypatch, db):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["sql"] = "SELECT provider_type, count(*) AS n FROM incidents GROUP BY ALL ORDER BY ALL"
    at.switch_page("pages/sql.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[-1].value
    assert shown["n"].sum() == queries.count(db, Filters())
    at.text_area(key="sql_text").set_value('SELECT * FROM "![x](http://tracker.invalid/p.png)"')
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "![x](" not in at.error[0].value  # Markdown is escaped
    assert at.query_params["sql"] in (
        'SELECT * FROM "![x](http://tracker.invalid/p.png)"',
        ['SELECT * FROM "![x](http://tracker.invalid/p.png)"'],
    )
