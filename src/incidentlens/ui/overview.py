"""What the Overview shows for one filter, computed once per filter and dataset version and shared
by every reader of this process: a reader going back to a view, or many readers opening the same
link, get it without recomputing the queries or rebuilding the Plotly figures (about half of an
Overview run)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from incidentlens.data.database import Database
from incidentlens.data.schema import data_dir
from incidentlens.present import charts, narrative, tables
from incidentlens.query import answer, queries
from incidentlens.query.answer import Answer, Reading
from incidentlens.query.filters import Filters

CITE = "overview_cite"  # the "Cite these numbers" section: its sentences are built only when it is open

# Views kept per process: each holds two small figures and two short tables (tens of kB).
MAX_VIEWS = 256


@dataclass(frozen=True)
class View:
    """Shared between sessions, so read only: images.with_furniture copies a figure before it
    lays one out for export."""

    headline: queries.Headline
    answer: Answer
    readings: list[Reading]
    robustness: go.Figure
    readings_table: pd.DataFrame
    key: go.Figure
    key_table: pd.DataFrame
    takeaways: list[str]


def view(db: Database, f: Filters) -> View:
    return _view(str(data_dir()), db.version, f, db)


@st.cache_resource(max_entries=MAX_VIEWS, show_spinner=False)
def _view(directory: str, version: str, f: Filters, _db: Database) -> View:
    h = queries.headline(_db, f)
    ans, readings = answer.of(_db, f)
    return View(
        headline=h,
        answer=ans,
        readings=readings,
        robustness=charts.robustness(readings, narrative.robustness_title(readings), ans.filter_words),
        readings_table=tables.readings(readings),
        key=charts.labelled_vs_assessed(h),
        key_table=tables.labelled_by_type(h),
        takeaways=narrative.takeaways(h),
    )
