"""Invariants of the curated dataset in data/ and a few facts checked by hand against the
research notes, read straight from the CSV (not through the package)."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from incidentlens.data.schema import load_package
from incidentlens.data.validate import validate
from paths import REAL


@pytest.fixture(scope="module")
def rows():
    with open(REAL / "incidents.csv", encoding="utf-8", newline="") as fh:
        incidents = {r["incident_id"]: r for r in csv.DictReader(fh)}
    with open(REAL / "sources.csv", encoding="utf-8", newline="") as fh:
        sources = list(csv.DictReader(fh))
    return incidents, sources


def test_real_data_validates():
    assert validate(REAL) == []


def test_release_size_and_sourcing(rows):
    incidents, sources = rows
    assert len(incidents) >= 95
    assert len(sources) >= 300
    independent = defaultdict(set)
    for s in sources:
        if s["is_repost"] == "no":
            independent[s["incident_id"]].add(s["url"])
    assert all(i in {s["incident_id"] for s in sources} for i in incidents)
    two_or_more = sum(1 for i in incidents if len(independent[i]) >= 2)
    assert two_or_more / len(incidents) >= 0.85


def test_every_code_is_in_the_vocabulary(rows):
    incidents, sources = rows
    pkg = load_package(REAL)
    assert {r["provider_type"] for r in incidents.values()} <= set(pkg.vocabulary("incidents", "provider_type"))
    assert {s["label_term"] for s in sources} <= set(pkg.vocabulary("sources", "label_term"))
    assert {s["source_type"] for s in sources} <= set(pkg.vocabulary("sources", "source_type"))


def test_urls_are_http(rows):
    _, sources = rows
    assert all(s["url"].startswith(("http://", "https://")) for s in sources)


def test_version_is_the_release_everywhere_it_shows(rows):
    version = load_package(REAL).version
    assert version == "2027.01.0"
    root = REAL.parent
    for doc in ("README.md", "docs/methodology.md", "data/CHANGELOG.md"):
        assert f"{version}" in (root / doc).read_text(encoding="utf-8"), doc


def test_hand_checked_texas_2019(rows):
    """Research: TSM Consulting's remote tool pushed REvil into 22 (first reported 23) Texas
    local governments on 16 Aug 2019."""
    incidents, sources = rows
    tx = incidents["2019-08-texas-municipalities-tsm"]
    assert tx["provider_name"] == "TSM Consulting"
    assert tx["attack_date"] == "2019-08-16"
    assert (tx["downstream_orgs_min"], tx["downstream_orgs_max"]) == ("22", "23")
    assert tx["us_states"] == "TX" and tx["route"] == "provider_tools_abused"
    assert any(s["label_term"] == "msp" for s in sources if s["incident_id"] == tx["incident_id"])


def test_hand_checked_kaseya_and_synnovis(rows):
    incidents, _ = rows
    kaseya = incidents["2021-07-kaseya-vsa"]
    assert kaseya["provider_type"] == "software_vendor" and kaseya["route"] == "product_compromise"
    synnovis = next(r for r in incidents.values() if "Synnovis" in r["provider_name"])
    assert synnovis["provider_type"] == "non_it_supplier"


def test_duplicated_research_entries_are_one_record(rows):
    incidents, _ = rows
    for name in ("netgain", "solarwinds", "gilmore"):
        assert sum(name in i for i in incidents) == 1, name
    assert not any("colosseum" in i for i in incidents)  # skipped: no third party


def test_policy_timeline_hover_dates_actions_as_precisely_as_known(real_db):
    from incidentlens.present import charts
    from incidentlens.query import policy
    from incidentlens.query.filters import Filters

    acts = policy.actions(real_db)
    fig = charts.policy_timeline(policy.quarterly(real_db, Filters()), acts, "all incidents")
    shown = {row[0]: row[4] for row in fig.data[-1].customdata}  # the markers: title -> date shown
    by_precision = dict(zip(acts["title"], acts["date_precision"]))
    assert set(by_precision.values()) >= {"day", "month", "year"}  # the data has all three
    for title, when in shown.items():
        precision = by_precision[title]
        assert len(when) == {"year": 4, "day": 10}.get(precision, len(when)), (title, when)
        if precision == "month":
            assert when.split()[0].isalpha() and when.split()[1].isdigit(), (title, when)
