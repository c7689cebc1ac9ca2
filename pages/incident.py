"""Incident record: every field, the coding and its basis, every source with its label."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from incidentlens import ui
from incidentlens.data.schema import humanise
from incidentlens.present import narrative
from incidentlens.query import queries

db, f = ui.start("pages/incident.py")
raw_id = st.query_params.get("id", "")
incident_id = str(raw_id)[:120]
record = queries.incident(db, incident_id) if incident_id else None

if record is None:
    st.title("Incident record")
    if incident_id:
        st.error(f"No incident with id '{ui.plain(incident_id)}' in dataset v{db.version}.")
    ids = queries.incidents(db, f, ["incident_id", "title"])
    choice = st.selectbox("Open an incident", ids["incident_id"], index=None,
                          format_func=lambda i: f"{i} — {ids.set_index('incident_id').at[i, 'title']}")
    if choice:
        st.query_params["id"] = choice
        st.rerun()
    st.page_link("pages/explorer.py", label="Back to the Explorer", icon=":material/arrow_back:")
    st.stop()


def text(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(humanise(str(v)) if len(str(v)) > 2 else str(v) for v in value) or "—"
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == "":
        return "—"
    if isinstance(value, (pd.Timestamp, dt.date)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


st.title(record["title"])
st.caption(f"{incident_id} · dataset v{db.version} · last reviewed {text(record['last_reviewed'])}")
st.markdown(ui.plain(record["summary"]))

c1, c2, c3 = st.columns(3)
c1.metric("Provider assessed as", humanise(record["provider_type"]))
c1.caption(f"Family: {humanise(record['provider_family'])} · confidence: {record['type_confidence']}")
lo, hi = text(record["downstream_orgs_min"]), text(record["downstream_orgs_max"])
c2.metric("Organisations affected", lo if lo == hi else f"{lo}–{hi}")
c3.metric("Labelled MSP", "yes" if record["labelled_msp"] else "no")
c3.caption("by " + (text(record["msp_label_by"]) if record["labelled_msp"] else "no original source"))

st.subheader("Why this provider type")
st.markdown(ui.plain(record["type_basis"]))
if record.get("disagreements"):
    st.subheader("Where sources disagree")
    st.markdown(ui.plain(record["disagreements"]))

st.subheader("All fields")
fields = db.package.fields("incidents")
st.dataframe(pd.DataFrame({"field": [fl.name for fl in fields],
                           "value": [text(record[fl.name]) for fl in fields],
                           "meaning": [fl.description for fl in fields]}),
             hide_index=True, width="stretch")

src = queries.sources_for(db, incident_id)
st.subheader(f"Sources ({len(src)})")
for s in src.itertuples():
    date = text(s.published_date)
    st.markdown(
        f"**{ui.plain(s.publisher)}** ({humanise(s.source_type)}, {date}{ui.plain(narrative.repost_note(s))}) — "
        f"{ui.plain(narrative.label_credit(s))}  \n{ui.plain(s.supports)}  \n{ui.safe_link(s.url)}"
    )

st.subheader("Label timeline")
dated = src[src["published_date"].notna()].copy()
if dated.empty:
    st.caption("No source in this record has a publication date.")
else:
    dated["date"] = pd.to_datetime(dated["published_date"]).dt.strftime("%Y-%m-%d")
    st.dataframe(dated[["date", "publisher", "speaker", "speaker_type", "label_term", "label_text"]],
                 hide_index=True, width="stretch")

with st.expander("Suggest a correction"):
    field_name = st.selectbox("Field", [fl.name for fl in fields], key="corr_field")
    proposed = st.text_input("Proposed value", key="corr_value", max_chars=500)
    evidence = st.text_input("Source (URL of a public page)", key="corr_source", max_chars=500)
    st.code(
        f"Correction for IncidentLens dataset v{db.version}\nincident_id: {incident_id}\n"
        f"field: {field_name}\ncurrent value: {text(record[field_name])}\n"
        f"proposed value: {proposed}\nsource: {evidence}\n",
        language=None,
    )
    st.caption("Copy this text into an issue or an e-mail to the curators; see CONTRIBUTING.md.")
st.page_link("pages/explorer.py", label="Back to the Explorer", icon=":material/arrow_back:")
