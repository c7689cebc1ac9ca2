"""Widgets of the Policy page: which action to show (one whose window has incidents, by default)
and its details with the incidents either side of it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from incidentlens.data.database import Database
from incidentlens.present import format, tables
from incidentlens.query import policy
from incidentlens.query.filters import Filters
from incidentlens.ui import plain, safe_link


def _windows(action: pd.Series) -> policy.Windows:
    return policy.windows(pd.Timestamp(action["date"]).date(), str(action["date_precision"]))


def pick(db: Database, f: Filters, acts: pd.DataFrame) -> pd.Series:
    """The action to detail, kept in the URL (`action=`); it opens on the one with the most incidents
    in its window, so the first view has numbers."""
    ids = tuple(acts["policy_id"])
    dates = [format.date_as_known(d, p) for d, p in zip(acts["date"], acts["date_precision"])]
    names = {i: f"{n}. {t} ({d})" for n, (i, t, d) in enumerate(zip(ids, acts["title"], dates), start=1)}
    wanted = st.query_params.get("action", "")
    if wanted in ids:
        first = ids.index(wanted)
    else:
        totals = policy.window_totals(db, f, [(list(a["jurisdictions"]), _windows(a)) for _, a in acts.iterrows()])
        first = totals.index(max(totals))
    chosen = st.selectbox("Details of one action", ids, index=first, format_func=lambda i: names[i], key="pol_pick")
    st.query_params["action"] = chosen
    return acts.set_index("policy_id").loc[chosen]


def details(db: Database, f: Filters, action: pd.Series) -> None:
    """What the action does, its sources, and the incidents in its jurisdiction before and after."""
    st.markdown(f"**{plain(action['title'])}**  \n{plain(format.action_facts(action, db.package))}")
    st.markdown(plain(action["what_it_does"]))
    if action["notes"]:
        st.caption(plain(action["notes"]))
    st.markdown(" · ".join(safe_link(url) for url in action["source_urls"]))
    w, where = _windows(action), list(action["jurisdictions"])
    ba = policy.before_after(db, f, where, w)
    either = policy.either_side(db, f, where, w)
    st.markdown(plain(format.window_sentence(action, int(ba["before"].sum()), int(ba["after"].sum()), w, either)))
    if w.after_end > dt.date.today():
        st.caption("The 'after' window has not ended yet, so it is incomplete.")
    st.dataframe(tables.before_after(ba, db.package), hide_index=True, width="stretch")
    st.caption(
        "Descriptive counts with 95% Wilson intervals; small numbers on either side make the shares "
        "unstable. They do not show that an action changed anything."
    )
