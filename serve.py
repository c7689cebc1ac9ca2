"""The dashboard as served: `streamlit run serve.py` (what `incidentlens serve` runs).

The same app.py and pages/ as `streamlit run app.py`, wrapped in Streamlit's ASGI app so that
IncidentLens's middleware sits in front: /_stcore/metrics answers 404 unless INCIDENTLENS_METRICS=1
(Streamlit 1.67 has no setting for it). Tests open app.py directly with AppTest.
"""

import streamlit as st
from starlette.middleware import Middleware

from incidentlens.ui.server import MetricsGate

app = st.App("app.py", middleware=[Middleware(MetricsGate)])
