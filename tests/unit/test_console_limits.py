"""The console's limits on what a result may hold: size as well as rows, nesting depth, and text
that is not UTF-8, each ending in a result with a note or in one plain line, never a traceback."""

from __future__ import annotations

import json

import pytest

from incidentlens.console import Console, ConsoleError, output, worker


@pytest.fixture(scope="module")
def console(db):
    con = Console.from_database(db)
    yield con
    con.close()


def _nested(levels: int) -> str:
    return "SELECT " + "[" * levels + "1" + "]" * levels + " AS v"


# --- a. size --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT repeat('x', 1000000) AS t FROM range(60)",  # text
        "SELECT [repeat('x', 1000000)] AS t FROM range(60)",  # text inside lists
        "SELECT range(0, 1000) AS t FROM range(5000)",  # many small values
    ],
    ids=["text", "text in lists", "values"],
)
def test_results_are_cut_by_size_with_a_note(sql, console):
    result = console.run(sql)
    assert 0 < len(result.rows) < 5000 and result.truncated and result.cut_by == "bytes"
    assert result.nbytes <= worker.DEFAULT_BYTES
    note = output.format_result(result, "table").splitlines()[-1]
    assert f"cut at {len(result.rows):,} rows" in note and "16 MiB" in note


def test_the_size_limit_is_chosen_per_run_within_a_ceiling(console):
    small = console.run("SELECT repeat('x', 1000) AS t FROM range(100)", max_bytes=10_000)
    assert small.cut_by == "bytes" and 1 <= len(small.rows) < 10
    # 100 MB of text: more than the 64 MiB ceiling, so even the largest limit cuts it
    large = console.run("SELECT repeat('x', 1000000) AS t FROM range(100)", max_bytes=10**12)
    assert large.cut_by == "bytes" and large.nbytes <= worker.MAX_BYTES
    assert len(large.rows) > len(console.run("SELECT repeat('x', 1000000) AS t FROM range(100)").rows)


def test_a_first_row_over_the_size_limit_is_refused_in_one_line(console):
    with pytest.raises(ConsoleError, match=r"^The first row alone is larger than 16 MiB") as info:
        console.run("SELECT repeat('x', 45000000) AS t")
    assert "\n" not in str(info.value)


def test_main_sql_notes_a_cut_by_size(db, capsys):
    assert output.main_sql("SELECT repeat('x', 1000000) AS t FROM range(100)", "csv", 1000, db) == 0
    out = capsys.readouterr()
    rows = len(out.out.splitlines()) - 1
    assert 0 < rows < 100
    assert out.err == f"note: cut at {rows:,} rows: the result reached the size limit of 64 MiB\n"


# --- b. nesting -------------------------------------------------------------------------------------


def test_values_nested_beyond_the_limit_are_refused_in_one_line(console):
    assert console.run(_nested(worker.MAX_DEPTH)).rows[0][0] is not None
    with pytest.raises(ConsoleError, match=r"nested more than 100 levels deep") as info:
        console.run(_nested(worker.MAX_DEPTH + 1))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("levels", [70, 200, 450])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_main_sql_handles_deep_nesting_without_a_traceback(levels, fmt, db, capsys):
    code = output.main_sql(_nested(levels), fmt, 10, db)
    out = capsys.readouterr()
    if levels <= worker.MAX_DEPTH:
        assert code == 0 and out.err == ""
        if fmt == "json":  # one line by design
            assert json.loads(out.out)["rows"] == [[json.loads("[" * levels + "1" + "]" * levels)]]
        else:
            assert len(out.out.splitlines()) >= 2
    else:
        assert code == 2 and out.out == ""
        assert out.err.startswith("error: ") and "nested more than 100 levels deep" in out.err
        assert out.err.count("\n") == 1


def test_for_display_stringifies_what_arrow_cannot_nest(console):
    import pyarrow as pa

    df = output.for_display(console.run(_nested(70) + ", [[1]] AS shallow"))
    assert isinstance(df.at[0, "v"], str) and df.at[0, "v"].startswith("[[[[")
    assert df.at[0, "shallow"] == [[1]]
    table = pa.Table.from_pandas(df)
    with pa.ipc.new_stream(pa.BufferOutputStream(), table.schema) as writer:
        writer.write_table(table)  # as st.dataframe does: Arrow refuses 64 levels or more here


# --- e. text that is not UTF-8 --------------------------------------------------------------------


def test_text_that_is_not_utf8_is_refused(console):
    with pytest.raises(ConsoleError, match=r"not valid UTF-8"):
        console.run("SELECT '\udcff' AS x")


def test_main_sql_refuses_undecodable_arguments_in_one_line(db, capsys):
    """`sys.argv` carries bytes that are not UTF-8 as lone surrogates (surrogateescape)."""
    assert output.main_sql("SELECT '\udcff' AS x", "table", 10, db) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("error: ") and out.err.count("\n") == 1
    assert "Traceback" not in out.err and "\udcff" not in out.err
