"""Attribution: label -> assessed type, who applies the MSP label, trends and breakdowns."""

import streamlit as st

from incidentlens import ui
from incidentlens.data.schema import humanise
from incidentlens.present import charts
from incidentlens.query import compare, queries

db, f = ui.start("pages/attribution.py")
ui.header("Attribution: what was called an MSP, and what it was", db, f, "attribution")

high_only = st.toggle("High-confidence codings only", key="high_only",
                      help="Redraw every chart using only incidents whose provider type is coded "
                           "with high confidence (a sensitivity check).")
view = f.with_(conf=("high",)) if high_only else f
words = view.describe(db.package)
n = queries.count(db, view)
if n == 0:
    st.info("No incident matches this filter. Widen or reset the filters in the sidebar.")
    st.stop()

st.subheader("From label to reality")
flows = queries.label_flows(db, view)
ui.chart(charts.sankey(flows, n, words), flows, "sankey", "attribution")

st.subheader("Who applies the MSP label?")
who = queries.who_labels(db, view)
ui.chart(charts.who_labels(who, words), who, "who", "attribution")

st.subheader("Over time")
years = queries.by_year(db, view)
ui.chart(charts.by_year(years, words), years, "years", "attribution")
share = queries.labelled_share_by_year(db, view)
ui.chart(charts.labelled_share_by_year(share, words), share, "share_years", "attribution")

st.subheader("Where and whom")
for key, what in (("sector", "sector"), ("country", "country"), ("state", "US state"),
                  ("route", "route"), ("attack", "attack type")):
    df = queries.by_dimension(db, view, key)
    if df.empty:
        st.caption(f"No {what} data in view.")
        continue
    ui.chart(charts.by_dimension(df, what, words), df, f"dim_{key}", "attribution")

st.subheader("Compare two groups")
st.caption("Pick two slices of the incidents in view; see the share whose provider was assessed as one "
           "type in each, and the difference with a 95% interval (Newcombe's method).")
pkg = db.package
preset_names = [*compare.PRESETS, "Custom"]
url_a, url_b = st.query_params.get("ca", ""), st.query_params.get("cb", "")
preset_default = next((name for name, pair in compare.PRESETS.items() if pair == (url_a, url_b)),
                      "Custom" if url_a or url_b else preset_names[0])
preset = st.selectbox("Comparison", preset_names, index=preset_names.index(preset_default), key="cmp_preset")
if preset == "Custom":
    c1, c2 = st.columns(2)
    text_a = c1.text_input("Group A (URL-style filter)", url_a or "labelled_by=trade_press", max_chars=500,
                           key="cmp_a", help="e.g. years=2019-2021&sector=dental")
    text_b = c2.text_input("Group B (URL-style filter)", url_b or "labelled_by=security_vendor", max_chars=500,
                           key="cmp_b")
else:
    text_a, text_b = compare.PRESETS[preset]
types = list(pkg.type_family)
share_default = st.query_params.get("cshare", "msp")
code = st.selectbox("Share of incidents whose provider was assessed as", types, format_func=humanise,
                    index=types.index(share_default) if share_default in types else 0, key="cmp_share")
slice_a, slice_b = compare.parse_slice(text_a, pkg), compare.parse_slice(text_b, pkg)
for note in slice_a.notes + slice_b.notes:
    st.warning(note)
result = compare.compare(db, f, slice_a.filters, slice_b.filters, code)
st.query_params.update({"ca": text_a, "cb": text_b, "cshare": code})
m1, m2, m3 = st.columns(3)
m1.metric("A", result.result.a.percent(), help=result.a_words)
m1.caption(f"{result.result.a.k} of {result.result.a.n}: {ui.plain(result.a_words)}")
m2.metric("B", result.result.b.percent(), help=result.b_words)
m2.caption(f"{result.result.b.k} of {result.result.b.n}: {ui.plain(result.b_words)}")
diff = result.result
m3.metric("Difference A − B", "n/a" if diff.diff is None else f"{diff.diff * 100:+.0f} pts",
          help="95% interval by Newcombe's hybrid score method")
if diff.diff is not None:
    m3.caption(f"95% CI {diff.low * 100:+.0f} to {diff.high * 100:+.0f} points"
               + (" · small sample" if diff.small_sample else ""))
st.markdown(ui.plain(result.sentence()))
