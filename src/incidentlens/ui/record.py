"""Widgets of the incident record: the list to pick from, the key facts, the sources, and the
correction helper that produces a ready-to-send text and says where to send it."""

from __future__ import annotations

import os
from typing import NoReturn

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from incidentlens.data.database import Database
from incidentlens.present import format, narrative, tables
from incidentlens.query import queries
from incidentlens.query.filters import Filters
from incidentlens.ui import permalink, plain, safe_link
from incidentlens.ui import tables as show

# Where corrections go: an e-mail address or an issue-tracker URL; unset, the page points to the
# repository's issue tracker in words.
CORRECTIONS_SETTING = "INCIDENTLENS_CORRECTIONS"
# Sections of the record drawn only once the reader opens them (their session-state keys).
FIELDS, CORRECTION = "record_fields", "correction"
EXPANDERS = (FIELDS, CORRECTION)
# Titles in the picker's drop-down: every option is sent to the browser, and at 100k synthetic
# incidents the list alone held the page for seconds. The table below still links every incident.
PICK_LIMIT = 1000


def heading(db: Database, incident_id: str) -> str:
    """The open record's title (escaped Markdown), or the picker's heading when none is open."""
    title = queries.incident_title(db, incident_id)
    return "Incident record" if title is None else plain(title)


def picker(db: Database, f: Filters, incident_id: str) -> NoReturn:
    """No record open (or an unknown id): say so, and list the incidents in view to pick from."""
    if incident_id:
        st.error(
            f"No incident with id '{plain(incident_id)}' in dataset v{db.version}. "
            "Pick one below, or search in the sidebar."
        )
    rows = queries.incidents(db, f, queries.EXPLORER_COLUMNS)
    st.markdown(
        f"{narrative.matching(len(rows))} the filters ({plain(f.describe(db.package))}). "
        "Open one to see every field, every source and the label each source used."
    )
    titles = dict(zip(rows["incident_id"].head(PICK_LIMIT), rows["title"].head(PICK_LIMIT)))
    st.selectbox(
        "Open an incident",
        list(titles),
        index=None,
        format_func=lambda i: titles[i],
        placeholder="Type to search the titles",
        key="pick_id",
        on_change=_open_picked,
    )
    if len(rows) > PICK_LIMIT:
        st.caption(narrative.pick_limit(PICK_LIMIT, len(rows)))
    show.incidents(tables.incident_list(rows, db.package, show.record_url()))
    st.stop()


def _open_picked() -> None:
    """Put the picked incident in the URL before the run the pick starts, so that run already
    draws the record (one run per pick, not a run of the list and a rerun)."""
    if st.session_state["pick_id"]:
        st.query_params["id"] = st.session_state["pick_id"]


def facts(record: dict, db: Database) -> None:
    """The three facts a reader looks for first: what it was, how many victims, was it called an MSP.

    Drawn as label, value and detail in Markdown and a heading rather than st.metric: the metric's
    code is loaded on first use, and on a record opened from the picker that load kept the three
    facts as grey placeholders for about 0.2 s (browser benchmark)."""
    pkg = db.package
    c1, c2, c3 = st.columns(3)
    _fact(
        c1,
        "Provider assessed as",
        format.label(pkg, record["provider_type"]),
        f"{plain(format.provider_name(record['provider_name']))} · "
        f"{format.label(pkg, record['provider_family'])} family · "
        f"{format.label(pkg, record['type_confidence']).lower()} confidence",
    )
    _fact(
        c2,
        "Organisations affected",
        format.count_range(record["downstream_orgs_min"], record["downstream_orgs_max"]),
        f"Attack date {format.date_as_known(record['attack_date'], record['attack_date_precision'])}",
    )
    _fact(
        c3,
        "Called an MSP by a source",
        "yes" if record["labelled_msp"] else "no",
        "by " + format.labels(pkg, record["msp_label_by"])
        if record["labelled_msp"]
        else "no original source used the label",
    )


def _fact(col: DeltaGenerator, label: str, value: str, detail: str) -> None:
    col.markdown(f":small[{label}]")
    col.subheader(plain(value), anchor=False)
    col.caption(detail)


def sources(src: pd.DataFrame, db: Database, relationship_source: object) -> None:
    """Every source with the label it used, who said it, and whether it is a repost."""
    st.subheader(f"Sources ({len(src)})")
    for s in src.itertuples():
        line = format.source_entry(s, db.package, s.source_id == relationship_source)
        st.markdown(f"**{plain(s.publisher)}** {plain(line)}  \n{plain(s.supports)}  \n{safe_link(s.url)}")


def correction(db: Database, record: dict) -> None:
    """A correction text ready to send, with where to send it; built only once the reader opens it."""
    box = st.expander("Suggest a correction", key=CORRECTION, on_change="rerun")
    if not box.open:
        return
    with box:
        fields = {fl.name: fl for fl in db.package.fields("incidents")}
        name = st.selectbox(
            "What is wrong",
            list(fields),
            key="corr_field",
            index=list(fields).index("provider_type"),
            format_func=lambda n: format.field_name(fields[n]),
        )
        proposed = st.text_input("What it should say", key="corr_value", max_chars=500)
        evidence = st.text_input("Public source for the change (a web address)", key="corr_source", max_chars=500)
        field, incident_id = fields[name], record["incident_id"]
        text = format.correction_text(
            db.version,
            incident_id,
            record["title"],
            permalink("incident", {"id": incident_id}),
            field,
            format.field_value(db.package, field, record.get(name)),
            proposed,
            evidence,
        )
        st.code(text, language=None, wrap_lines=True)
        where = format.destination(
            os.environ.get(CORRECTIONS_SETTING, ""), f"Correction: {incident_id}, {field.name}", text
        )
        st.markdown(f"**Where to send it:** {plain(where.how)}")
        if where.link:
            st.link_button("Open it ready to send", where.link, icon=":material/send:")
        if not evidence.strip().startswith(("http://", "https://")):
            st.caption(
                "Corrections are checked against public sources: add the address of a page that supports the change."
            )
