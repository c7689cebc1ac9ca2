"""Explorer: every incident matching the filter in plain words, sortable, with downloads of all rows."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import narrative, tables
from incidentlens.query import queries
from incidentlens.ui import tables as show

db, f = ui.start("pages/explorer.py", "Explorer")
ui.header(db, f, "explorer")

rows = queries.incidents(db, f, queries.EXPLORER_COLUMNS)
st.markdown(
    f"{narrative.matching(len(rows))}. Click a column to sort; **open** shows the full record with every source."
)
show.incidents(tables.explorer(rows, db.package, show.record_url()))
show.exports_of(db, f, len(rows))
