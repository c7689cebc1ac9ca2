"""Policy context: government actions on MSPs set against the incidents over time, and the
incidents either side of one action (descriptive, not causal)."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import charts, tables
from incidentlens.query import policy
from incidentlens.ui import policy as show

db, f = ui.start("pages/policy.py", "Policy context: incidents and government action")
ui.header(db, f, "policy")
st.markdown(
    "Incidents per quarter (filtered by the sidebar) with the dated government actions on MSPs "
    "and IT providers marked above them. Hover a marker to see what the action does; pick one "
    "below for its details and sources. The before/after counts are **descriptive, not causal**: "
    "they show what was reported around each action, not what it changed."
)
pkg = db.package
c1, c2 = st.columns(2)
jur = c1.multiselect(
    "Jurisdiction", sorted({j for js in policy.actions(db)["jurisdictions"] for j in js}), key="pol_jur"
)
kinds = c2.multiselect(
    "Kind of action", list(pkg.vocabulary("policy_actions", "kind")), format_func=pkg.label, key="pol_kind"
)
acts = policy.actions(db, tuple(jur), tuple(kinds))
quarters = policy.quarterly(db, f)
ui.chart(
    charts.policy_timeline(quarters, acts, f.describe(pkg)),
    tables.by_quarter(quarters, pkg),
    "policy_timeline",
    "policy",
)

st.subheader("The actions")
st.dataframe(tables.policy_actions(acts, pkg), hide_index=True, width="stretch")
if acts.empty:
    st.info("No action matches the jurisdiction and kind chosen.")
    st.stop()
show.details(db, f, show.pick(db, f, acts))
