"""Overview: the break/fix question answered in words, how solid the answer is, the key chart."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import narrative
from incidentlens.ui import overview

db, f = ui.start("app.py", "IncidentLens")
ui.header(db, f, "")
v = overview.view(db, f)
h, ans, readings = v.headline, v.answer, v.readings
link = ui.permalink("")

st.markdown(
    "When an attack reaches many victims through an IT provider, the press often calls it an "
    "**MSP attack**. Was the provider really a managed service provider, or a break/fix shop, "
    "a software vendor, a host?"
)
with st.container(border=True):
    st.markdown(f"**{ui.plain(narrative.answer_sentence(ans))}**")
    st.markdown(ui.plain(narrative.robustness_sentence(readings)))

c1, c2, c3, c4 = st.columns(4)
c1.metric("Incidents in view", ans.n)
c2.metric(
    "Labelled MSP by ≥1 source",
    ans.labelled.k,
    help="At least one source (a repost counts once, for its original) used the label 'managed service provider'.",
)
c2.caption(f"{ans.labelled.percent()} of {ans.n}")
for col, name, s in ((c3, "…provider assessed as an MSP", ans.msp), (c4, "…provider a break/fix shop", ans.break_fix)):
    col.metric(name, s.k)
    col.caption(f"{s.percent()} of {s.n}" + (" · small sample" if s.small_sample else ""))

st.subheader("How solid is this number?")
st.caption(
    "The same shares recomputed under each defensible reading of the data: the range is what a "
    "witness can quote. Methodology explains each reading."
)
ui.chart(v.robustness, v.readings_table, "overview_robustness", "")

st.subheader("What was behind the MSP label?")
ui.chart(v.key, v.key_table, "overview_key", "")

st.subheader("Takeaways")
st.markdown("\n".join(f"- {ui.plain(sentence)}" for sentence in v.takeaways))

cite = st.expander("Cite these numbers (copy a sentence)", key=overview.CITE, on_change="rerun")
if cite.open:  # built only when opened: a dozen blocks less to send and draw on every filter change
    with cite:
        st.code(narrative.cite_answer(ans, h, link), language=None, wrap_lines=True)
        st.code(narrative.cite_labelled(h, link), language=None, wrap_lines=True)
        for t in h.labelled_by_type:  # zero counts too: "none was a break/fix shop" answers a question
            st.code(narrative.cite_type(h, t.code, link), language=None, wrap_lines=True)
        st.caption("Cite the dataset itself from the Methodology page (APA and BibTeX).")

st.caption(
    f"Dataset version {db.version}, released {db.package.created}. What this shows: publicly "
    "reported incidents in which an IT provider or another supplier was the route to many victims, "
    "and how sources labelled that provider. What it does not show: how common such attacks are "
    "overall, or incidents never reported in public. Shares carry 95% Wilson intervals; "
    "'unknown' is kept in every count."
)
