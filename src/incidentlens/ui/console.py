"""The SQL console page: researchers run one read-only SELECT at a time over a snapshot of the dataset.

Whatever a visitor typed or linked is echoed as plain text (st.code), never as Markdown. A result is
kept between reruns only when it is small (`KEEP_BYTES`): a bigger one is drawn once and its CSV is
made when the button is pressed, by running the query again, so no session holds result-sized
memory for long.
"""

from functools import partial
from typing import NamedTuple

import streamlit as st

from incidentlens import ui
from incidentlens.console import (
    DEFAULT_BYTES,
    DEFAULT_ROWS,
    DEFAULT_TIMEOUT_S,
    EXAMPLES,
    MAX_SQL_CHARS,
    MEMORY_LIMIT,
    VIEW_NOTES,
    Console,
    ConsoleError,
    Result,
    for_display,
    format_result,
    size_text,
)
from incidentlens.data.database import Database
from incidentlens.present import exports

MAX_URL_CHARS = 4_000  # longer queries are not written into the link (browsers and proxies cut URLs)
KEEP_BYTES = 1024**2  # results up to this size are kept for reruns; bigger ones are drawn once


class Last(NamedTuple):
    """What the session keeps of the last query: its rows only when the result is small."""

    result: Result | None  # None after an error, or when the result was too big to keep
    error: str | None
    dropped_rows: int  # rows of a result drawn once and not kept


@st.cache_resource(show_spinner="Preparing the SQL console…", on_release=Console.close)
def _console(directory: str, version: str, _db: Database) -> Console:
    return Console.from_database(_db)


def page(db: Database) -> None:
    """Draw the console for one session; the page file only starts the app and calls this."""
    console = _console(str(db.directory.resolve()), db.version, db)

    st.markdown(
        f"Run **one read-only `SELECT`** (a `WITH …` query, `FROM`-first, `SUMMARIZE` or `DESCRIBE` too) "
        f"over a snapshot of dataset v{ui.plain(db.version)}. The console **cannot** change the data, read "
        "files, reach the network, load extensions or change settings, and it runs one statement at a time. "
        f"A query is stopped after {DEFAULT_TIMEOUT_S:g} s and may use {MEMORY_LIMIT} of "
        f"working memory, in a separate process that is stopped if it goes further; at most "
        f"{DEFAULT_ROWS:,} rows and {size_text(DEFAULT_BYTES)} of results are shown."
    )
    st.caption("The sidebar filters do not apply here: the console always sees the whole dataset.")

    def _use_example() -> None:
        name = st.session_state.get("sql_example")
        if name:
            st.session_state["sql_text"] = EXAMPLES[name]

    def _link_notes(links: list[str]) -> list[str]:
        """What the page did not do as a link asked, said rather than done silently (Markdown: numbers
        only, never the link's text)."""
        notes = []
        if len(links) > 1:
            notes.append(
                f"The link holds {len(links)} queries (`sql` appears {len(links)} times); only the first was used."
            )
        if len(links[0]) > MAX_SQL_CHARS:
            notes.append(
                f"The linked query is {len(links[0]):,} characters long; the limit is {MAX_SQL_CHARS:,}, "
                "so it was not run (nor cut to fit)."
            )
        return notes

    def _run(sql: str) -> Result | None:
        """Run `sql`, keep it in the link when it fits, and remember the outcome (the rows only when
        small); return the result to draw now."""
        st.session_state["sql_saved"] = sql
        if len(sql) <= MAX_URL_CHARS:
            st.query_params["sql"] = sql
        elif "sql" in st.query_params:
            del st.query_params["sql"]
        st.session_state["sql_link"] = st.query_params.get_all("sql")  # our own link: not a new arrival
        try:
            result = console.run(sql)
        except ConsoleError as exc:
            st.session_state["sql_last"] = Last(None, str(exc), 0)
            return None
        small = result.nbytes <= KEEP_BYTES
        st.session_state["sql_last"] = Last(result if small else None, None, 0 if small else len(result.rows))
        return result

    def _csv(result: Result) -> bytes:
        """The download: made when the button is pressed, never held ready in the media store."""
        return format_result(result, "csv").encode("utf-8")

    def _csv_again(sql: str) -> bytes:
        """The CSV of a result too big to keep: the query runs again when the button is pressed."""
        return _csv(console.run(sql))

    def _draw(result: Result, sql: str, kept: bool) -> None:
        """The result with its size, why it stops where it does, and a CSV made on demand."""
        st.markdown(f"**{len(result.rows):,}** rows · {result.elapsed_s:.2f} s")
        if result.cut_by == "bytes":
            st.warning(
                f"Cut at {len(result.rows):,} rows: the result reached the size limit of "
                f"{size_text(result.max_bytes)}. Select fewer or shorter columns, aggregate or add a "
                "LIMIT to see what you need.",
                icon="✂️",
            )
        elif result.cut_by == "rows":
            st.warning(
                f"Truncated at {len(result.rows):,} rows: the query returned more. "
                "Aggregate, filter or add a LIMIT to see what you need.",
                icon="✂️",
            )
        st.dataframe(for_display(result), hide_index=True, width="stretch", placeholder="NULL")  # SQL's word
        st.download_button(
            "Download CSV",
            data=partial(_csv, result) if kept else partial(_csv_again, sql),
            file_name=exports.filename(db, "csv", stem="sql-result"),
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            help="Text that a spreadsheet would run as a formula starts with an apostrophe."
            + ("" if kept else " The query runs again to make the file."),
        )

    def _outcome(to_run: str | None) -> None:
        """Run what was asked, if anything, and show the last outcome: its error as plain text, its
        result (drawn now, or kept because small), or why it is gone. A function, so that a result too
        big to keep lives in its frame only: the script's globals outlive the run (the callbacks and the
        download's callable refer to them)."""
        fresh = _run(to_run) if to_run is not None else None
        for note in st.session_state.get("sql_notes", []):
            st.warning(note)
        if len(st.session_state.get("sql_saved", "")) > MAX_URL_CHARS:
            st.caption(f"This query is longer than {MAX_URL_CHARS:,} characters, so it is not kept in the link.")
        last = st.session_state.get("sql_last")
        if last is None:  # a linked query was refused: its note says why
            return
        if last.error is not None:
            st.error("The console did not run this query, or could not finish it:")
            st.code(last.error, language=None, wrap_lines=True)
        elif fresh is not None or last.result is not None:
            _draw(
                fresh if fresh is not None else last.result, st.session_state["sql_saved"], kept=last.result is not None
            )
        else:
            st.info(
                f"The last result ({last.dropped_rows:,} rows) was larger than {size_text(KEEP_BYTES)}, so it "
                "is not kept between interactions: press Run to see it again."
            )

    # A link's query runs once on arrival; after that only the Run button does.
    to_run = None
    links = st.query_params.get_all("sql")
    if links and links != st.session_state.get("sql_link"):
        st.session_state["sql_link"] = links
        st.session_state["sql_notes"] = _link_notes(links)
        if len(links[0]) <= MAX_SQL_CHARS:
            st.session_state["sql_text"] = to_run = links[0]
        else:
            st.session_state["sql_last"] = None
    if "sql_text" not in st.session_state:  # first visit, or back from another page
        st.session_state["sql_text"] = st.session_state.get("sql_saved") or next(iter(EXAMPLES.values()))
    if to_run is None and "sql_last" not in st.session_state:  # first visit: the editor's query, run
        to_run = st.session_state["sql_text"]

    left, right = st.columns([3, 2])
    with left:
        st.selectbox(
            "Examples",
            list(EXAMPLES),
            index=None,
            key="sql_example",
            placeholder="Start from an example…",
            on_change=_use_example,
        )
        st.text_area("SQL", key="sql_text", height=240, max_chars=MAX_SQL_CHARS)
        if st.button("Run", type="primary", icon=":material/play_arrow:"):
            to_run = st.session_state["sql_text"]
            st.session_state["sql_notes"] = []
    with right:
        st.subheader("Tables")
        schema = console.schema_table(db.package)
        for table, cols in schema.groupby("table", sort=False):
            with st.expander(f"{table} ({len(cols)} columns)"):
                if table in VIEW_NOTES:
                    st.caption(VIEW_NOTES[table])
                st.dataframe(cols[["column", "type", "description"]], hide_index=True, width="stretch")

    _outcome(to_run)
