"""Overview: headline figures with intervals, the key chart and generated takeaways."""

import pandas as pd
import streamlit as st

from incidentlens import ui
from incidentlens.present import charts, narrative
from incidentlens.query import queries

db, f = ui.start("app.py")
ui.header("IncidentLens", db, f, "")
st.markdown(
    "When a cyberattack reaches many victims through an IT provider, the press often calls it an "
    "**MSP attack**. This dashboard sets what each public source *called* the provider against "
    "what the provider *actually was*, incident by incident."
)
h = queries.headline(db, f)

c1, c2, c3 = st.columns(3)
c1.metric("Incidents in view", h.n)
c2.metric("Labelled MSP by ≥1 source", h.labelled.k, help="At least one source (a repost counts once, for its "
          "original) used the label 'managed service provider'.")
c2.caption(f"{h.labelled.percent()} of {h.n}")
msp = h.labelled_share("msp")
c3.metric("…of which provider assessed as an MSP", msp.k)
c3.caption(f"{msp.percent()} of {msp.n}" + (" · small sample" if msp.small_sample else ""))

st.subheader("What was behind the MSP label?")
rows = [{"assessed type": t.label, "incidents": t.share.k, "of labelled MSP": t.share.n,
         "share": t.share.share, "95% CI low": t.share.low, "95% CI high": t.share.high,
         "small sample": t.share.small_sample} for t in h.labelled_by_type]
ui.chart(charts.labelled_vs_assessed(h), pd.DataFrame(rows), "overview_key", "")

st.subheader("Takeaways")
for sentence in narrative.takeaways(h):
    st.markdown(f"- {ui.plain(sentence)}")

with st.expander("Cite these numbers (copy a sentence)", expanded=False):
    link = ui.permalink("")
    st.code(narrative.cite_labelled(h, link), language=None, wrap_lines=True)
    for t in h.labelled_by_type:
        if t.share.k or t.code in ("msp", "unknown"):
            st.code(narrative.cite_type(h, t.code, link), language=None, wrap_lines=True)
    st.caption("Cite the dataset itself from the Methodology page (APA and BibTeX).")

st.caption(
    f"Dataset version {db.version}, released {db.package.created}. What this shows: publicly "
    "reported incidents in which an IT provider or another supplier was the route to many victims, "
    "and how sources labelled that provider. What it does not show: how common such attacks are "
    "overall, or incidents never reported in public. Shares carry 95% Wilson intervals; "
    "'unknown' is kept in every count."
)
