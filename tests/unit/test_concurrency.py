"""The query layer is safe to call from many threads at once (Streamlit runs each session on its
own thread against one cached Database): same answers as one thread, and no exception."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from incidentlens.query import queries
from incidentlens.query.filters import Filters

THREADS = 24
ROUNDS = 6

FILTERS = [
    Filters(),
    Filters(years=(2019, 2021)),
    Filters(ptype=("msp",)),
    Filters(sector=("dental", "healthcare")),
    Filters(country=("US",), attack=("ransomware",)),
    Filters(label=("msp",)),
    Filters(label=("not_msp",)),
    Filters(labelled_by=("government", "trade_press")),
    Filters(family=("managed_it",), conf=("high",)),
    Filters(q="fixture"),
    Filters(years=(2030, 2031)),  # matches nothing
]


def _run(db, f: Filters) -> dict:
    return {
        "headline": queries.headline(db, f),
        "flows": queries.label_flows(db, f),
        "incidents": queries.incidents(db, f, ["incident_id", "provider_type", "labelled_msp"]),
        "count": queries.count(db, f),
    }


def _same(a: dict, b: dict) -> None:
    assert a["headline"] == b["headline"]
    assert a["count"] == b["count"]
    pd.testing.assert_frame_equal(a["flows"], b["flows"])
    pd.testing.assert_frame_equal(a["incidents"], b["incidents"])


def test_filters_cover_both_empty_and_non_empty_results(db):
    counts = {queries.count(db, f) for f in FILTERS}
    assert 0 in counts and len(counts) > 3


def test_many_threads_get_single_threaded_answers(db):
    threads = THREADS
    expected = [_run(db, f) for f in FILTERS]
    barrier = threading.Barrier(threads)

    def worker(i: int) -> list[tuple[int, dict]]:
        barrier.wait(timeout=30)  # start together so calls really overlap
        out = []
        for r in range(ROUNDS):
            k = (i + r) % len(FILTERS)
            out.append((k, _run(db, FILTERS[k])))
        return out

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker, i) for i in range(threads)]
        results = [fut.result(timeout=120) for fut in futures]  # re-raises any worker exception

    checked = 0
    for per_thread in results:
        for k, got in per_thread:
            _same(got, expected[k])
            checked += 1
    assert checked == threads * ROUNDS


def test_headline_counts_agree_with_incident_rows_under_load(db):
    """A cross-check that does not compare a query with itself."""

    def worker(f: Filters):
        h = queries.headline(db, f)
        rows = queries.incidents(db, f, ["incident_id", "labelled_msp"])
        return h.n, h.labelled.k, len(rows), int(rows["labelled_msp"].sum())

    with ThreadPoolExecutor(max_workers=16) as pool:
        for n, k, rows, labelled in pool.map(worker, FILTERS * 4):
            assert (n, k) == (rows, labelled)
