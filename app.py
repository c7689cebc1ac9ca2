"""IncidentLens dashboard entry point: page config and navigation only."""

import streamlit as st

st.set_page_config(page_title="IncidentLens", page_icon="🔎", layout="wide")
st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/insights:", default=True),
        st.Page("app_pages/attribution.py", title="Attribution", icon=":material/account_tree:",
                url_path="attribution"),
        st.Page("app_pages/explorer.py", title="Explorer", icon=":material/table:", url_path="explorer"),
        st.Page("app_pages/incident.py", title="Incident record", icon=":material/description:",
                url_path="incident"),
        st.Page("app_pages/policy.py", title="Policy context", icon=":material/gavel:", url_path="policy"),
        st.Page("app_pages/brief.py", title="Brief (PDF/Word)", icon=":material/picture_as_pdf:",
                url_path="brief"),
        st.Page("app_pages/sql.py", title="SQL console", icon=":material/terminal:", url_path="sql"),
        st.Page("app_pages/methodology.py", title="Methodology", icon=":material/menu_book:",
                url_path="methodology"),
    ]
).run()
