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


def _latest_release(text: str) -> str:
    """The newest release's section of data/CHANGELOG.md (up to the next `## ` heading)."""
    return text.split("\n## ", 2)[1]


def test_release_notes_state_the_figures_the_data_gives(real_db):
    """The dataset changelog's headline is quoted in testimony: each figure it states is the one
    the released data computes (it once gave the readings' lowest MSP share as 18%, not 20%)."""
    from incidentlens.query import agreement, answer
    from incidentlens.query.filters import Filters

    notes = _latest_release((REAL / "CHANGELOG.md").read_text(encoding="utf-8"))
    said, readings = answer.of(real_db, Filters())

    def pct(x: float) -> str:
        return f"{x * 100:.0f}%"

    def share(s) -> str:
        return f"{s.k} of {s.n} ({pct(s.share)}, 95% CI {s.low * 100:.0f}-{s.high * 100:.0f}%)"

    (msp_low, msp_high), (bf_low, bf_high) = (answer.span(readings, m) for m in answer.MEASURES)
    a = agreement.agreement(real_db)
    expected = [
        f"{share(said.msp)} had a provider assessed as an MSP",
        f"{share(said.break_fix)} a break/fix shop",
        f"across {len(readings)} defensible readings".replace(" 8 ", " eight "),
        f"the MSP share runs from {pct(msp_low)} to {pct(msp_high)}",
        f"the break/fix share from {pct(bf_low)} to {pct(bf_high)}",
        f"{a.agreed} of {a.n} agree, Cohen's kappa {a.kappa:.2f} (95% CI {a.low:.2f}-{a.high:.2f})",
    ]
    assert [e for e in expected if e not in notes] == []
    counted = (
        real_db.query(
            "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM sources), "
            "(SELECT count(*) FROM sources WHERE published_date IS NOT NULL)"
        )
        .iloc[0]
        .tolist()
    )
    incidents, rows, dated = counted
    totals = f"{incidents} incidents (was 103), {rows} source rows (was 446); sources with a publication date: {dated}"
    assert f"**Totals:** {totals} of {rows}" in notes


def test_release_notes_name_an_incident_over_each_record_entry():
    """Each per-record block of the latest release is headed by an incident id in the data, or
    says in words what it is: an empty heading once sat over a lead deferred and added later."""
    notes = _latest_release((REAL / "CHANGELOG.md").read_text(encoding="utf-8"))
    per_record = notes.split("### Per-record corrections", 1)[1]
    with open(REAL / "incidents.csv", encoding="utf-8", newline="") as fh:
        ids = {r["incident_id"] for r in csv.DictReader(fh)}
    headings = [line for line in per_record.splitlines() if line.startswith("**")]
    assert headings
    for line in headings:
        named = line.split("`")[1] if line.count("`") >= 2 else ""
        assert named in ids or ("`" not in line and len(line) > 8), line


def test_release_corrections_table_adds_up_to_its_per_record_list():
    """The corrections-by-category total plus the lines that record an added incident is the
    number of lines in the per-record list, and the caption states all three numbers: a reader
    who counted the list (940) against the table (936) found no word on the difference."""
    notes = _latest_release((REAL / "CHANGELOG.md").read_text(encoding="utf-8"))
    summary, per_record = notes.split("### Per-record corrections", 1)
    table = summary.split("**Corrections by category**", 1)[1].split("\n\n", 2)[1]
    total = sum(int(row.split("|")[2]) for row in table.splitlines()[2:])
    lines = [line for line in per_record.splitlines() if line.startswith("- ")]
    added = [
        line for line in lines if line.startswith("- incident_id — (blank) → ") and "deferred" not in line.split(":")[0]
    ]
    assert len(lines) == total + len(added)
    caption = summary.split("**Corrections by category**", 1)[1].split("\n", 1)[0]
    assert f"other {len(added)} lines" in caption and f"{len(lines)} lines for {total} corrections" in caption
    for line in added:
        assert f"`{line.split(' → ')[1].split(' ')[0]}`" in caption
