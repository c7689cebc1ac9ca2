"""Attribution: what sources called the provider against what it was, in sections a reader can
scan; only the open section is computed."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import charts, format, tables
from incidentlens.query import queries
from incidentlens.ui import attribution

db, f = ui.start("pages/attribution.py", "Attribution: what was called an MSP, and what it was")
ui.header(db, f, "attribution")
attribution.high_confidence_toggle(f)
pkg, words, n = db.package, f.describe(db.package), queries.count(db, f)
if n == 0:
    st.info("No incident matches this filter. Widen or reset the filters in the sidebar.")
    st.stop()

attribution.follow_renamed_section()
flow, who, time, where, pair = st.tabs(attribution.SECTIONS, key="section", bind="query-params")
if flow.open:
    with flow:
        full, grouped = queries.label_flows(db, f), queries.label_flows(db, f, attribution.MINOR)
        st.caption(ui.plain(format.flow_note(full, grouped, pkg, attribution.MINOR)))
        ui.chart(charts.sankey(grouped, n, words), tables.label_flows(full, pkg), "sankey", "attribution")
if who.open:
    with who:
        df = queries.who_labels(db, f)
        ui.chart(charts.who_labels(df, words), tables.who_labels(df, pkg), "who", "attribution")
if time.open:
    with time:
        years, share = queries.by_year(db, f), queries.labelled_share_by_year(db, f)
        ui.chart(charts.by_year(years, words), tables.by_year(years, pkg), "years", "attribution")
        ui.chart(
            charts.labelled_share_by_year(share, words),
            tables.labelled_share_by_year(share),
            "share_years",
            "attribution",
        )
if where.open:
    with where:
        key, what = attribution.breakdown()
        df = queries.by_dimension(db, f, key)
        if df.empty:
            st.caption(f"No {what} is recorded for the incidents in view.")
        else:
            ui.chart(
                charts.by_dimension(df, what, words), tables.by_dimension(df, pkg, what), f"dim_{key}", "attribution"
            )
if pair.open:
    with pair:
        attribution.comparison(db, f)
