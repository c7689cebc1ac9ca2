"""Methodology: the method text, the data dictionary and vocabularies, changelog, citation."""

from pathlib import Path

import pandas as pd
import streamlit as st

from incidentlens import ui
from incidentlens.data.schema import humanise
from incidentlens.present import narrative

ROOT = Path(__file__).resolve().parents[1]
db, f = ui.start("pages/methodology.py")
st.title("Methodology and data dictionary")
st.caption(f"Dataset v{db.version}, released {db.package.created} · licence {db.package.license}")

method, dictionary, vocab, changes, cite = st.tabs(
    ["Method", "Data dictionary", "Vocabularies", "Changelog", "How to cite"])
with method:
    path = ROOT / "docs" / "methodology.md"
    st.markdown(path.read_text(encoding="utf-8") if path.exists() else "Methodology text not found.")
with dictionary:
    for res in db.package.resource_names():
        st.markdown(f"#### `{res}.csv`")
        st.dataframe(pd.DataFrame([{
            "column": fl.name, "type": fl.type + (" list (;)" if fl.is_list else ""),
            "required": fl.required, "meaning": fl.description,
            "allowed values": ", ".join(fl.enum or fl.item_enum or ()),
        } for fl in db.package.fields(res)]), hide_index=True, width="stretch")
with vocab:
    families = db.package.families
    st.markdown("#### Provider types")
    st.dataframe(pd.DataFrame([{"code": c, "name": humanise(c), "family": humanise(fam),
                                "definition": db.package.vocabulary("incidents", "provider_type")[c]}
                               for c, fam in db.package.type_family.items()]),
                 hide_index=True, width="stretch")
    for res, name in (("incidents", "victim_sectors"), ("incidents", "route"), ("incidents", "attack_type"),
                      ("sources", "source_type"), ("sources", "label_term")):
        st.markdown(f"#### {humanise(name)}")
        st.dataframe(pd.DataFrame([{"code": k, "meaning": v}
                                   for k, v in db.package.vocabulary(res, name).items()]),
                     hide_index=True, width="stretch")
with changes:
    path = db.directory / "CHANGELOG.md"
    st.markdown(path.read_text(encoding="utf-8") if path.exists() else "No changelog.")
with cite:
    c = narrative.dataset_citation(db.version, db.package.created)
    st.markdown("**APA-style**")
    st.code(c["apa"], language=None, wrap_lines=True)
    st.markdown("**BibTeX**")
    st.code(c["bibtex"], language="bibtex")
