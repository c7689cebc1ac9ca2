"""IncidentLens dashboard entry point: page config and navigation only."""

import streamlit as st

st.set_page_config(page_title="IncidentLens", page_icon="🔎", layout="wide")
st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
        st.Page("pages/attribution.py", title="Attribution", icon=":material/account_tree:",
                url_path="attribution"),
        st.Page("pages/explorer.py", title="Explorer", icon=":material/table:", url_path="explorer"),
        st.Page("pages/incident.py", title="Incident record", icon=":material/description:",
                url_path="incident"),
        st.Page("pages/policy.py", title="Policy context", icon=":material/gavel:", url_path="policy"),
        st.Page("pages/brief.py", title="Brief (PDF/Word)", icon=":material/picture_as_pdf:",
                url_path="brief"),
        st.Page("pages/sql.py", title="SQL console", icon=":material/terminal:", url_path="sql"),
        st.Page("pages/methodology.py", title="Methodology", icon=":material/menu_book:",
                url_path="methodology"),
    ]
).run()
