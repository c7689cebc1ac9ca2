"""Policy context: government actions on MSPs set against the incidents over time."""

import datetime as dt

import pandas as pd
import streamlit as st

from incidentlens import ui
from incidentlens.data.schema import humanise
from incidentlens.present import charts
from incidentlens.query import policy

db, f = ui.start("pages/policy.py")
ui.header("Policy context: incidents and government action", db, f, "policy")
st.markdown(
    "Incidents per quarter (filtered by the sidebar) with the dated government actions on MSPs "
    "and IT providers marked above them. Hover a marker to see what the action does; pick one "
    "below for its details and sources. The before/after counts are **descriptive, not causal**: "
    "they show what was reported around each action, not what it changed."
)
pkg = db.package
kinds_vocab = pkg.vocabulary("policy_actions", "kind")
all_actions = policy.actions(db)
jur_options = sorted({j for js in all_actions["jurisdictions"] for j in js})
c1, c2 = st.columns(2)
jur = c1.multiselect("Jurisdiction", jur_options, key="pol_jur")
kinds = c2.multiselect("Kind of action", list(kinds_vocab), format_func=humanise, key="pol_kind")
acts = policy.actions(db, tuple(jur), tuple(kinds))
q = policy.quarterly(db, f)

ui.chart(charts.policy_timeline(q, acts, f.describe(pkg)),
         acts[["date", "jurisdictions", "kind", "title", "status"]], "policy_timeline", "policy")

st.subheader("The actions")
table = acts.assign(
    no=range(1, len(acts) + 1),
    date=pd.to_datetime(acts["date"]).dt.strftime("%Y-%m-%d"),
    jurisdictions=acts["jurisdictions"].map(", ".join),
    kind=acts["kind"].map(humanise),
    names=acts["provider_types_named"].map(lambda v: ", ".join(humanise(x) for x in v)),
    sources=acts["source_urls"].map(len),
)[["no", "date", "jurisdictions", "kind", "title", "status", "names", "sources"]]
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"names": "Provider types named", "sources": "Sources"})

if acts.empty:
    st.info("No action matches the jurisdiction and kind chosen.")
    st.stop()
labels = {r.policy_id: f"{i + 1}. {r.title} ({pd.Timestamp(r.date):%Y-%m-%d})" for i, r in enumerate(acts.itertuples())}
pick = st.selectbox("Details of one action", list(labels), format_func=labels.get, key="pol_pick")
row = acts.set_index("policy_id").loc[pick]
st.markdown(f"**{ui.plain(row['title'])}** — {ui.plain(row['body'])}, {', '.join(row['jurisdictions'])}, "
            f"{humanise(row['kind']).lower()}, status: {humanise(row['status']).lower()}")
st.markdown(ui.plain(row["what_it_does"]))
if row["notes"]:
    st.caption(ui.plain(row["notes"]))
for url in row["source_urls"]:
    st.markdown(ui.safe_link(url))

date = pd.Timestamp(row["date"]).date()
ba = policy.before_after(db, f, list(row["jurisdictions"]), date)
nb, na = int(ba["before"].sum()), int(ba["after"].sum())
lo, hi = date.replace(year=date.year - policy.WINDOW_YEARS), date.replace(year=date.year + policy.WINDOW_YEARS)
st.markdown(f"**Incidents with victims in {', '.join(row['jurisdictions'])}:** {nb} in the two years before "
            f"({lo:%Y-%m-%d} to {date:%Y-%m-%d}) and {na} in the two years after (to {hi:%Y-%m-%d}).")
if hi > dt.date.today():
    st.caption("The 'after' window has not ended yet, so it is incomplete.")


def fmt(k, share, low, high) -> str:
    return "—" if share is None or pd.isna(share) else f"{k} ({share:.0%}, CI {low:.0%}–{high:.0%})"


def column(side: str) -> list[str]:
    cols = [side, f"{side}_share", f"{side}_low", f"{side}_high"]
    return [fmt(*r) for r in ba[cols].itertuples(index=False)]


st.dataframe(pd.DataFrame({
    "provider assessed as": ba["provider_type"].map(humanise),
    f"before (n={nb})": column("before"),
    f"after (n={na})": column("after"),
}), hide_index=True, width="stretch")
st.caption("Descriptive counts with 95% Wilson intervals; small numbers on either side make the shares unstable. "
           "They do not show that an action changed anything.")
