"""Methodology: the method text, the data dictionary and vocabularies (all from datapackage.json),
the changelog, and how to cite under the one title the data package gives; only the open section
is drawn (the dictionary and vocabularies are some forty tables)."""

from pathlib import Path

import streamlit as st

from incidentlens import ui
from incidentlens.present import format, narrative, tables
from incidentlens.query import agreement
from incidentlens.ui import tables as show

ROOT = Path(__file__).resolve().parents[1]
db, f = ui.start("pages/methodology.py", "Methodology and data dictionary")
pkg = db.package
st.caption(f"{pkg.title} · dataset v{db.version}, released {pkg.created} · licence {pkg.license}")

method, dictionary, vocab, changes, cite = st.tabs(
    ["Method", "Data dictionary", "Vocabularies", "Changelog", "How to cite"], key="section", bind="query-params"
)
if method.open:
    with method:
        with st.container(border=True):
            st.markdown(f"**Coding agreement.** {ui.plain(agreement.agreement(db).sentence())}")
            with st.expander("The disagreements and how each was resolved"):
                st.dataframe(tables.disagreements(agreement.disagreements(db), pkg), hide_index=True, width="stretch")
        path = ROOT / "docs" / "methodology.md"
        text = path.read_text(encoding="utf-8") if path.exists() else "Methodology text not found."
        st.markdown(format.under_tab(text))
if dictionary.open:
    with dictionary:
        everything = tables.dictionary(pkg)
        st.caption("Every column of every file, generated from data/datapackage.json. Lists are ;-separated.")
        show.csv_download(everything, f"incidentlens-{db.version}-data-dictionary.csv", "dl_dictionary")
        for name, part in everything.groupby("File", sort=False):
            st.markdown(f"#### `{name}`")
            show.whole(part.drop(columns="File"))
if vocab.open:
    with vocab:
        for res in pkg.resource_names():
            for field in pkg.fields(res):
                if field.vocabulary:
                    st.markdown(f"#### {format.field_name(field)} (`{res}.{field.name}`)")
                    show.whole(tables.vocabulary(pkg, res, field.name))
if changes.open:
    with changes:
        path = db.directory / "CHANGELOG.md"
        st.markdown(format.under_tab(path.read_text(encoding="utf-8")) if path.exists() else "No changelog.")
if cite.open:
    with cite:
        c = narrative.dataset_citation(db.version, pkg.created)
        st.markdown(f"Cite the dataset as **{ui.plain(pkg.title)}**, with its version.")
        st.markdown("**APA-style**")
        st.code(c["apa"], language=None, wrap_lines=True)
        st.markdown("**BibTeX**")
        st.code(c["bibtex"], language="bibtex")
        st.caption("Every data bundle carries the same citation in CITATION.cff.")
