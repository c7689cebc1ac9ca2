"""Tables on the page: incident lists with record links, readable tables with a CSV download,
and the Explorer's downloads of every matching row."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from incidentlens.data.database import Database
from incidentlens.present import bundle, exports, narrative
from incidentlens.present.tables import CALLED, WAS
from incidentlens.query.filters import Filters
from incidentlens.ui import permalink, plain

UNKNOWN = "unknown"  # what a table cell shows for a blank value
COUNTS_HELP = (
    "Organisations affected through the provider: the lowest and highest sourced count; "
    "unknown where no source gave one."
)


def record_url() -> str:
    """The record page's address; a row's link adds `?id=…`."""
    return permalink("incident").split("?")[0]


def incidents(df: pd.DataFrame) -> None:
    """Incident rows from `present.tables`, with the record link and help on the two key columns;
    as tall as the rows need, up to about fourteen of them. A blank count or year reads "unknown":
    Streamlit's default, "None", reads as zero victims to a policy reader. Rows load as the reader
    scrolls once there are more than 1,000 (Streamlit sends smaller tables whole): at 100k
    incidents the Explorer settled in 3.7 s instead of 5.2, the record picker in 7.1 s instead of
    14.5. Such tables lose the grid's own search and CSV button; the page's downloads stay."""
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        height=min(520, 38 + 35 * max(len(df), 1)),
        placeholder=UNKNOWN,
        lazy=True,
        column_config={
            "Victim orgs (low)": st.column_config.NumberColumn(help=COUNTS_HELP, width=110),
            "Victim orgs (high)": st.column_config.NumberColumn(help=COUNTS_HELP, width=110),
            "Record": st.column_config.LinkColumn("Record", display_text="open", width=56),
            "Incident": st.column_config.TextColumn(width=300),
            CALLED: st.column_config.TextColumn(
                width=146,
                help="Every label the sources used for the provider (a repost counts once, for its original).",
            ),
            WAS: st.column_config.TextColumn(
                width=132, help="The provider type coded from evidence of what it sold and did."
            ),
            "Year": st.column_config.NumberColumn(format="%d", width=56),
        },
    )


def whole(df: pd.DataFrame, where: Any = st, unbroken: tuple[str, ...] = ()) -> None:
    """A small table drawn whole, its text wrapped rather than cut at a column's edge. st.table
    reads Markdown in its cells (a browser showed a link and bold text there), so every text cell
    and heading is escaped and shows as written. Columns named in `unbroken` (dates) are kept at
    their longest value's width: at 1280 px the timeline's dates broke at a hyphen ("2021-07-" /
    "03"). A min-width, not a no-wrap style: the cell's own Markdown block overrides no-wrap."""
    shown = df.rename(columns=plain).map(lambda v: plain(v) if isinstance(v, str) else v)
    styled = shown.style
    for column in unbroken:
        longest = int(df[column].astype(str).str.len().max()) if len(df) else 0
        styled = styled.set_properties(subset=[plain(column)], **{"min-width": f"calc({longest}ch + 1.5rem)"})
    where.table(styled, hide_index=True)


def csv_download(df: pd.DataFrame, file_name: str, key: str) -> None:
    """The rows of a table shown on the page, as a CSV file."""
    st.download_button(
        f"Download as CSV ({len(df)} rows)",
        exports.spreadsheet_safe(df).to_csv(index=False).encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def exports_of(db: Database, f: Filters, n: int) -> None:
    """Every matching row in every format, with the codes and column names of the curated files."""
    st.subheader("Download every matching row")
    if n == 0:
        st.info("No incident matches these filters, so the files below hold only their column headers.")
    st.caption(
        f"{narrative.incidents(n)} · {plain(f.describe(db.package))} · dataset v{db.version}. The files keep "
        "the curated column names and codes (the data dictionary on the Methodology page explains "
        "them), carry the filter in words and the dataset version, and are safe to open in spreadsheets."
    )
    # A wrapping row of buttons as wide as their labels: four equal columns cut "Download
    # Parquet" and "Download Excel (.xlsx)" to "Download Parq…" on a 1024 px screen.
    row = st.container(horizontal=True)
    for fmt in exports.FORMATS:
        row.download_button(
            f"Download {exports.NAMES[fmt]}",
            data=partial(exports.to_bytes, db, f, fmt),
            file_name=exports.filename(db, fmt),
            on_click="ignore",
            width="content",
            key=f"dl_{fmt}",
        )
    st.download_button(
        "Download data bundle (zip: CSV + Parquet + datapackage.json + CITATION.cff + README)",
        data=partial(bundle.build, db, f, permalink("explorer")),
        file_name=exports.filename(db, "bundle"),
        on_click="ignore",
        key="dl_bundle",
        mime="application/zip",
    )
    st.caption(
        "The bundle is what researchers should cite: the curated rows matching the filter, exactly as "
        "published, described by a Frictionless data package, with the licence and how to cite. Its CSV "
        "files keep every cell exactly, so a text cell may start with `=`, `+`, `-` or `@`, which a "
        "spreadsheet could run as a formula: to open the tables in a spreadsheet, use the copies in the "
        f"bundle's `{bundle.SPREADSHEET}/` folder (or the CSV download above)."
    )
