"""A chart's Chart/Table switch (ui.chart, a fragment): the table replaces that one chart and the
chart comes back; nothing else on the page changes."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from incidentlens.data.database import load
from incidentlens.query import queries
from incidentlens.query.filters import Filters
from paths import REAL, ROOT


def test_chart_table_switch_replaces_only_that_chart(monkeypatch, fixture_dir):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    charts, tables, metrics = len(at.get("plotly_chart")), len(at.dataframe), [m.value for m in at.metric]
    assert charts >= 2

    at.button_group(key="view_overview_key").set_value("Table").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts - 1
    assert len(at.dataframe) == tables + 1
    assert "Assessed as" in at.dataframe[-1].value.columns
    assert [m.value for m in at.metric] == metrics

    at.button_group(key="view_overview_key").set_value("Chart").run()
    assert len(at.get("plotly_chart")) == charts
    assert len(at.dataframe) == tables


def shown(at: AppTest) -> list[str]:
    """The page's Markdown and captions as a reader sees them: escapes and link breakers gone."""
    return [re.sub(r"\\(.)", r"\1", e.value).replace("\u200b", "").strip("*") for e in (*at.markdown, *at.caption)]


def test_each_chart_title_and_subtitle_are_text_over_the_chart_and_over_its_table(monkeypatch, fixture_dir):
    # Drawn by plotly, a title ran past the chart on a phone; as text the browser wraps it. The
    # table view had no title at all: the finding it holds was not stated over it.
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    metas = [json.loads(c.proto.spec)["layout"]["meta"] for c in at.get("plotly_chart")]
    assert metas
    for meta in metas:
        assert meta["title"] in shown(at) and meta["subtitle"] in shown(at)
    at.button_group(key="view_overview_key").set_value("Table").run()
    assert len(at.get("plotly_chart")) == len(metas) - 1
    assert all(meta["title"] in shown(at) for meta in metas)


def test_policy_table_view_holds_the_timelines_counts_and_adds_up_to_its_n(monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(REAL))
    # It showed the actions' table, which the page also shows below it: the quarterly counts a
    # researcher would want from the chart were nowhere in tabular form.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/policy.py").run()
    assert len(at.get("plotly_chart")) == 1
    at.button_group(key="view_policy_timeline").set_value("Table").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["Quarter", "Provider family", "Incidents"]
    db = load(REAL)
    assert table["Incidents"].sum() == queries.count(db, Filters())
    # The real data has incidents dated only to a year or to a week across two quarters.
    assert "no single quarter" in set(table["Quarter"])
