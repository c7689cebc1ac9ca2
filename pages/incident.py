"""Incident record: the key facts, how the provider type was decided, every source with the label
it used, the label timeline, every field, and a correction helper."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import format, tables
from incidentlens.query import queries
from incidentlens.ui import record as show
from incidentlens.ui.tables import whole

incident_id = str(st.query_params.get("id", ""))[:120]
db, f = ui.start("pages/incident.py", lambda db: show.heading(db, incident_id))
record = queries.incident(db, incident_id) if incident_id else None
if record is None:
    show.picker(db, f, incident_id)

pkg = db.package
src = queries.sources_for(db, incident_id)
st.caption(f"{incident_id} · dataset v{db.version} · last reviewed {format.date(record['last_reviewed'])}")
st.markdown(ui.plain(record["summary"]))
show.facts(record, db)

st.subheader("Why this provider type")
st.markdown(ui.plain(record["type_basis"]))
for note in format.coding_notes(record, pkg, src):
    st.markdown(f"- {ui.plain(note)}")
if not format.is_blank(record.get("disagreements")):
    st.subheader("Where sources disagree")
    st.markdown(ui.plain(record["disagreements"]))

show.sources(src, db, record.get("relationship_source_id"))
st.subheader("Label timeline")
timeline = tables.label_timeline(src, pkg)
st.caption(format.undated_note(len(src) - len(timeline), len(src)))
if not timeline.empty:
    whole(timeline, unbroken=("Date",))

# Drawn only when opened (as is the correction helper): the first view of a record does not need
# the fields table, and loading its code delayed the page (browser benchmark).
fields_box = st.expander(
    f"All {len(pkg.fields('incidents'))} fields of this record, with what each records",
    key=show.FIELDS,
    on_change="rerun",
)
if fields_box.open:
    whole(tables.record_fields(record, pkg), fields_box)
show.correction(db, record)
st.page_link("pages/explorer.py", label="Back to the Explorer", icon=":material/arrow_back:")
