"""What IncidentLens adds in front of Streamlit's own server (serve.py mounts it with st.App).

Streamlit 1.67 always serves `/_stcore/metrics` (session counts, cache and memory figures) to
anyone who asks, and has no setting to turn it off. The gate answers it with 404 unless the
operator sets INCIDENTLENS_METRICS=1 (for a scraper behind the proxy).
"""

from __future__ import annotations

import os

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

METRICS_ENV = "INCIDENTLENS_METRICS"
METRICS_PATH = "/_stcore/metrics"


class MetricsGate:
    """ASGI middleware: /_stcore/metrics is 404 unless INCIDENTLENS_METRICS=1."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hidden = os.environ.get(METRICS_ENV) != "1"
        if hidden and scope["type"] == "http" and scope["path"].rstrip("/").endswith(METRICS_PATH):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)
