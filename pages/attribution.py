"""Attribution: label -> assessed type, who applies the MSP label, trends and breakdowns."""

import streamlit as st

from incidentlens import charts, queries, ui

db = ui.database()
f = ui.sidebar_filters(db)
ui.header("Attribution: what was called an MSP, and what it was", db, f, "attribution")

high_only = st.toggle("High-confidence codings only", key="high_only",
                      help="Redraw every chart using only incidents whose provider type is coded "
                           "with high confidence (a sensitivity check).")
view = f.with_(conf=("high",)) if high_only else f
words = view.describe(db.package)
n = queries.count(db, view)
if n == 0:
    st.info("No incident matches this filter. Widen or reset the filters in the sidebar.")
    st.stop()

st.subheader("From label to reality")
flows = queries.label_flows(db, view)
ui.chart(charts.sankey(flows, n, words), flows, "sankey")

st.subheader("Who applies the MSP label?")
who = queries.who_labels(db, view)
ui.chart(charts.who_labels(who, words), who, "who")

st.subheader("Over time")
left, right = st.columns(2)
with left:
    years = queries.by_year(db, view)
    ui.chart(charts.by_year(years, words), years, "years")
with right:
    share = queries.labelled_share_by_year(db, view)
    ui.chart(charts.labelled_share_by_year(share, words), share, "share_years")

st.subheader("Where and whom")
for key, what in (("sector", "sector"), ("country", "country"), ("state", "US state"),
                  ("route", "route"), ("attack", "attack type")):
    df = queries.by_dimension(db, view, key)
    if df.empty:
        st.caption(f"No {what} data in view.")
        continue
    ui.chart(charts.by_dimension(df, what, words), df, f"dim_{key}")
