"""A chart's Chart/Table switch (ui.chart, a fragment): the table replaces that one chart and the
chart comes back; nothing else on the page changes."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from paths import ROOT


def test_chart_table_switch_replaces_only_that_chart(monkeypatch, fixture_dir):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    charts, tables, metrics = len(at.get("plotly_chart")), len(at.dataframe), [m.value for m in at.metric]
    assert charts >= 2

    at.button_group(key="view_overview_key").set_value("Table").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts - 1
    assert len(at.dataframe) == tables + 1
    assert "assessed type" in at.dataframe[-1].value.columns
    assert [m.value for m in at.metric] == metrics

    at.button_group(key="view_overview_key").set_value("Chart").run()
    assert len(at.get("plotly_chart")) == charts
    assert len(at.dataframe) == tables
