"""Explorer: every incident matching the filter, sortable, with downloads of all rows."""

import streamlit as st

from incidentlens import ui
from incidentlens.present import bundle, exports
from incidentlens.query import queries

db, f = ui.start("pages/explorer.py")
ui.header("Explorer", db, f, "explorer")

df = queries.incidents(db, f, queries.EXPLORER_COLUMNS)
st.markdown(f"**{len(df)}** incidents match. Click a row's link to open its record.")
base = ui.permalink("incident").split("?")[0]
df.insert(0, "record", [f"{base}?id={i}" for i in df["incident_id"]])
for col in ("countries", "us_states", "victim_sectors", "label_terms", "msp_label_by"):
    df[col] = df[col].map(lambda v: ", ".join(v) if v is not None else "")
st.dataframe(
    df, hide_index=True, width="stretch", height=520,
    column_config={
        "record": st.column_config.LinkColumn("Record", display_text="open"),
        "attack_date": st.column_config.DateColumn("Attack date", format="YYYY-MM-DD"),
        "labelled_msp": st.column_config.CheckboxColumn("Labelled MSP"),
        "source_count": st.column_config.NumberColumn("Sources"),
        "independent_sources": st.column_config.NumberColumn("Independent outlets"),
    },
)

st.subheader("Download every matching row")
if df.empty:
    st.info("No incident matches these filters, so the files below hold only their column headers.")
st.caption(f"{len(df)} incidents · {ui.plain(f.describe(db.package))} · dataset v{db.version}. "
           "Each file carries the filter in words and the dataset version. CSV and Excel are made "
           "safe to open in spreadsheets.")
cols = st.columns(4)
for col, fmt in zip(cols, exports.FORMATS):
    col.download_button(
        f"Download {fmt.upper()}", data=lambda fmt=fmt: exports.to_bytes(db, f, fmt),
        file_name=exports.filename(db, fmt), on_click="ignore", width="stretch",
        key=f"dl_{fmt}",
    )
st.download_button(
    "Download data bundle (zip: CSV + Parquet + datapackage.json + CITATION.cff + README)",
    data=lambda: bundle.build(db, f, ui.permalink("explorer")), file_name=exports.filename(db, "bundle"),
    on_click="ignore", key="dl_bundle", mime="application/zip",
)
st.caption("The bundle is what researchers should cite: the curated rows matching the filter, exactly as "
           "published, described by a Frictionless data package, with the licence and how to cite.")
