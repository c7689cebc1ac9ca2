"""SQL console: researchers run one read-only SELECT at a time over a snapshot of the dataset."""

import streamlit as st

from incidentlens import ui
from incidentlens.console import (
    DEFAULT_ROWS,
    DEFAULT_TIMEOUT_S,
    EXAMPLES,
    MAX_SQL_CHARS,
    MEMORY_LIMIT,
    VIEW_NOTES,
    Console,
    ConsoleError,
    for_display,
    format_result,
)
from incidentlens.data.database import Database
from incidentlens.present import exports

MAX_URL_CHARS = 4_000  # longer queries are not written into the link (browsers and proxies cut URLs)

db, f = ui.start("pages/sql.py")


@st.cache_resource(show_spinner="Preparing the SQL console…", on_release=Console.close)
def _console(directory: str, version: str, _db: Database) -> Console:
    return Console.from_database(_db)


console = _console(str(db.directory.resolve()), db.version, db)

st.title("SQL console")
st.markdown(
    f"Run **one read-only `SELECT`** (a `WITH …` query, `FROM`-first, `SUMMARIZE` or `DESCRIBE` too) "
    f"over a snapshot of dataset v{ui.plain(db.version)}. The console **cannot** change the data, read "
    "files, reach the network, load extensions or change settings, and it runs one statement at a time. "
    f"A query is stopped after {DEFAULT_TIMEOUT_S:g} s and may use {MEMORY_LIMIT} of "
    f"working memory, in a separate process that is stopped if it goes further; at most "
    f"{DEFAULT_ROWS:,} rows are shown."
)
st.caption("The sidebar filters do not apply here: the console always sees the whole dataset.")


def _use_example() -> None:
    name = st.session_state.get("sql_example")
    if name:
        st.session_state["sql_text"] = EXAMPLES[name]


url_sql = str(st.query_params.get("sql", ""))[: MAX_SQL_CHARS]
if "sql_text" not in st.session_state:  # first visit, or back from another page
    st.session_state["sql_text"] = (url_sql or st.session_state.get("sql_saved")
                                    or next(iter(EXAMPLES.values())))

left, right = st.columns([3, 2])
with left:
    st.selectbox("Examples", list(EXAMPLES), index=None, key="sql_example",
                 placeholder="Start from an example…", on_change=_use_example)
    st.text_area("SQL", key="sql_text", height=240, max_chars=MAX_SQL_CHARS)
    clicked = st.button("Run", type="primary", icon=":material/play_arrow:")
with right:
    st.subheader("Tables")
    schema = console.schema_table(db.package)
    for table, cols in schema.groupby("table", sort=False):
        with st.expander(f"{table} ({len(cols)} columns)"):
            if table in VIEW_NOTES:
                st.caption(VIEW_NOTES[table])
            st.dataframe(cols[["column", "type", "description"]], hide_index=True, width="stretch")

# A shared link runs its query once on arrival; after that only the Run button does.
if clicked or (url_sql and st.session_state.get("sql_ran") != url_sql):
    sql = st.session_state["sql_text"] if clicked else url_sql
    st.session_state["sql_ran"] = st.session_state["sql_saved"] = sql
    if len(sql) <= MAX_URL_CHARS:
        st.query_params["sql"] = sql
    elif "sql" in st.query_params:
        del st.query_params["sql"]
    try:
        st.session_state["sql_last"] = (console.run(sql), None)
    except ConsoleError as exc:
        st.session_state["sql_last"] = (None, str(exc))

if len(st.session_state.get("sql_ran", "")) > MAX_URL_CHARS:
    st.caption(f"This query is longer than {MAX_URL_CHARS:,} characters, so it is not kept in the link.")

result, error = st.session_state.get("sql_last", (None, None))
if error:
    st.error(ui.plain(error))
elif result is not None:
    st.markdown(f"**{len(result.rows):,}** rows · {result.elapsed_s:.2f} s")
    if result.truncated:
        st.warning(f"Truncated at {len(result.rows):,} rows: the query returned more. "
                   "Aggregate, filter or add a LIMIT to see what you need.", icon="✂️")
    st.dataframe(for_display(result), hide_index=True, width="stretch")
    st.download_button(
        "Download CSV", data=format_result(result, "csv").encode("utf-8"),
        file_name=exports.filename(db, "csv", stem="sql-result"), mime="text/csv",
        on_click="ignore", icon=":material/download:",
        help="Text that a spreadsheet would run as a formula starts with an apostrophe.",
    )
