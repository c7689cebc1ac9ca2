"""Brief: a two-to-four page PDF or Word document for the current filter."""

import shlex

import streamlit as st

from incidentlens import links, ui
from incidentlens.present import brief
from incidentlens.query import queries

db, f = ui.start("pages/brief.py", "Brief for testimony and print")
ui.header(db, f, "brief")
n = queries.count(db, f)
st.markdown(
    "A ready-to-use document for the current filter: the headline figures with n and 95% "
    "intervals, the key charts, a short generated narrative, the incidents in view with numbered "
    "source notes, the method and its limits, and a permalink back to this view. "
    "PDF for print; Word for staff who edit."
)
if n == 0:
    st.warning("No incident matches this filter; the brief will say so. Widen the filters to get figures.")
link = ui.permalink("")
if links.is_local(link):
    st.info(
        f"The brief will be marked as a local copy: its links ({ui.base_url()}) open only on the "
        f"computer serving this dashboard. {links.HOW_TO_SET}"
    )


@st.cache_data(show_spinner=False, max_entries=32)
def make(query: str, fmt: str, link: str, version: str) -> bytes:
    """Built once per filter and format; cached because charts take a browser round trip."""
    return brief.render(brief.build(db, f, link), fmt)


cols = st.columns(2)
for col, fmt, label in ((cols[0], "pdf", "Download PDF brief"), (cols[1], "docx", "Download Word brief")):
    col.download_button(
        label,
        data=lambda fmt=fmt: make(f.to_query_string(), fmt, link, db.version),
        file_name=f"incidentlens-brief-{db.version}.{fmt}",
        on_click="ignore",
        key=f"brief_{fmt}",
        width="stretch",
        mime="application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
st.caption(brief.table_note(n))
st.markdown("**From the command line:**")
flags = " ".join(f"--{k.replace('_', '-')} {shlex.quote(v)}" for k, v in f.to_params().items())
if not links.is_local(link):
    flags = f"--base-url {shlex.quote(ui.base_url())} {flags}"
st.code(f"incidentlens brief --format pdf --out brief.pdf {flags}".strip(), language="bash")
