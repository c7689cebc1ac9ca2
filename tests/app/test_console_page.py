"""The SQL page against hostile links and results: what it keeps in memory, what it runs, and that
whatever a visitor typed or linked is shown as plain text, never as a traceback or Markdown."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest
import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from incidentlens.console import EXAMPLES, MAX_SQL_CHARS
from paths import ROOT

# Elements whose text Streamlit renders as Markdown: no visitor's text may reach them.
MARKDOWN = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")


class _Recording(MediaFileManager):
    """The page's media file manager, kept so a test can press a deferred download itself."""

    made: list[MediaFileManager] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _Recording.made.append(self)


@pytest.fixture
def open_sql(fixture_dir, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))
    monkeypatch.setattr(app_test, "MediaFileManager", _Recording)
    _Recording.made.clear()

    def open_page(sql: str | list[str] | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if sql is not None:
            at.query_params["sql"] = sql
        at.switch_page("pages/sql.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def _results(at: AppTest) -> list:
    """Result tables (the schema panel's tables have a `description` column)."""
    return [d.value for d in at.dataframe if "description" not in d.value.columns]


def _markdown_texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in MARKDOWN for e in at.get(kind)]


def _plain_texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("code", "text") for e in at.get(kind)]


def _held_bytes(value: object) -> int:
    """Text and bytes reachable from `value`: what a session keeps alive."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        return sum(_held_bytes(k) + _held_bytes(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(_held_bytes(v) for v in value)
    if dataclasses.is_dataclass(value):
        return sum(_held_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 0


def _download(at: AppTest) -> bytes:
    """Press the CSV download: the page must make it on demand, from a callable."""
    [button] = at.get("download_button")
    file_id = button.proto.deferred_file_id
    assert file_id and not button.proto.url, "the CSV was made before anyone asked for it"
    manager = _Recording.made[-1]
    url = manager.execute_deferred(file_id)
    return manager.read_file(urlsplit(url).path.rsplit("/", 1)[-1].split(".")[0]).content


# --- g. opening the page ------------------------------------------------------------------------


def test_page_opens_with_an_example_already_run(open_sql):
    at = open_sql()
    first = next(iter(EXAMPLES.values()))
    assert at.text_area(key="sql_text").value == first
    [shown] = _results(at)
    assert list(shown.columns) == ["provider_type", "incidents"] and len(shown) > 0


# --- a. memory ------------------------------------------------------------------------------------


def test_big_results_are_shown_once_not_kept_and_downloaded_on_demand(open_sql):
    at = open_sql("SELECT repeat('x', 1000000) AS t FROM range(5)")
    [shown] = _results(at)
    assert len(shown) == 5
    assert _held_bytes(at.session_state.to_dict()) < 100_000
    csv = _download(at)
    assert len(csv.splitlines()) == 6 and len(csv) > 5_000_000
    at.run()  # any rerun: the result is not redrawn from memory
    assert _results(at) == [] and any("press Run" in t for t in _markdown_texts(at))


def test_small_results_are_kept_and_downloaded_from_memory(open_sql):
    at = open_sql("SELECT 42 AS answer, random() AS r")
    [first] = _results(at)
    at.run()
    [again] = _results(at)
    assert again.equals(first)
    lines = _download(at).decode().splitlines()
    assert lines[0] == "answer,r" and lines[1] == f"42,{float(first.at[0, 'r'])!r}"  # numpy 2 reprs np.float64(…)


def test_a_giant_value_is_refused_in_one_line(open_sql):
    at = open_sql("SELECT repeat('x', 45000000) AS t")
    assert _results(at) == []
    assert any(t.startswith("The first row alone is larger than 16 MiB") for t in _plain_texts(at))
    assert _held_bytes(at.session_state.to_dict()) < 100_000


def test_results_cut_by_size_say_so(open_sql):
    at = open_sql("SELECT repeat('x', 1000000) AS t FROM range(60)")
    [shown] = _results(at)
    assert 0 < len(shown) < 60
    assert any(f"Cut at {len(shown):,} rows" in t and "16 MiB" in t for t in _markdown_texts(at))


# --- b. nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [70, 200])
def test_deeply_nested_values_never_raise(levels, open_sql):
    at = open_sql("SELECT " + "[" * levels + "1" + "]" * levels + " AS v")
    if levels <= 100:
        [shown] = _results(at)
        assert shown.at[0, "v"] == "[" * levels + "1" + "]" * levels
    else:
        assert _results(at) == []
        assert any("nested more than 100 levels deep" in t for t in _plain_texts(at))


# --- d. links ------------------------------------------------------------------------------------


def test_a_linked_query_over_the_limit_is_refused_not_cut(open_sql):
    at = open_sql("SELECT 42 AS answer" + " " * MAX_SQL_CHARS + "+ 1")
    assert _results(at) == []
    assert any(f"the limit is {MAX_SQL_CHARS:,}" in t and "not run" in t for t in _markdown_texts(at))
    at.run()
    assert _results(at) == []  # not on a rerun either


def test_repeated_sql_keys_run_the_first_and_say_so(open_sql):
    at = open_sql(["SELECT 1 AS first", "SELECT 2 AS second"])
    [shown] = _results(at)
    assert list(shown.columns) == ["first"]
    assert any("2 queries" in t and "only the first" in t for t in _markdown_texts(at))


# --- f. plain text -------------------------------------------------------------------------------


def test_errors_and_echoed_sql_are_plain_text(open_sql):
    sql = 'SELECT * FROM "**bold** ![x](http://tracker.invalid/p.png) <b>x</b>"'
    at = open_sql(sql)
    assert not any("tracker.invalid" in t for t in _markdown_texts(at))
    [message] = [t for t in _plain_texts(at) if "tracker.invalid" in t]
    assert "**bold** ![x](http://tracker.invalid/p.png) <b>x</b>" in message
    at.text_area(key="sql_text").set_value("SELECT 1; SELECT '*x*'").run()
    at.button[0].click().run()
    assert not at.exception
    assert any(t.startswith("Only a single SELECT") for t in _plain_texts(at))
    assert not any("Only a single SELECT" in t for t in _markdown_texts(at))


def test_a_null_reads_null(open_sql):
    at = open_sql("SELECT NULL AS nothing, 1 AS one")
    result = next(d for d in at.dataframe if "nothing" in d.value.columns)
    assert result.value["nothing"].isna().all() and result.proto.placeholder == "NULL"
