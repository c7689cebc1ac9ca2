"""The synthetic dataset generator: schema-valid, loadable, clearly marked, the size asked for."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from incidentlens.data import synth
from incidentlens.data.database import load
from incidentlens.data.schema import REPO_DATA, load_package
from incidentlens.data.validate import validate

N = 2_000


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "data"
    synth.write(N, out, seed=7)
    return out


def test_synthetic_data_validates(synth_dir):
    assert validate(synth_dir) == []


def test_synthetic_data_loads_with_counts_matching(synth_dir):
    db = load(synth_dir)
    assert db.scalar("SELECT count(*) FROM incidents") == N
    n_sources = db.scalar("SELECT count(*) FROM sources")
    assert N <= n_sources <= 5 * N
    per = db.query("SELECT min(source_count) AS lo, max(source_count) AS hi FROM incidents").iloc[0]
    assert 1 <= per["lo"] and per["hi"] <= 5
    assert 1 <= db.scalar("SELECT count(*) FROM policy_actions") <= 10
    years = db.query("SELECT min(attack_year) AS lo, max(attack_year) AS hi FROM incidents").iloc[0]
    assert 2015 <= years["lo"] and years["hi"] <= 2025


def test_synthetic_data_is_marked_and_uses_the_vocabularies(synth_dir):
    real = load_package(REPO_DATA)
    pkg = json.loads((synth_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert pkg["version"] == f"{real.version}-synthetic"
    assert "SYNTHETIC" in pkg["title"] and "SYNTHETIC" in pkg["description"]
    assert pkg["resources"] == real.raw["resources"]
    with open(synth_dir / "incidents.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N
    first = rows[0]
    assert first["incident_id"].endswith("-synth-1") and first["title"] == "Synthetic incident 1"
    assert {r["provider_type"] for r in rows} <= set(real.field("incidents", "provider_type").enum)
    with open(synth_dir / "sources.csv", newline="", encoding="utf-8") as fh:
        urls = [r["url"] for r in csv.DictReader(fh)]
    assert all(u.startswith("https://example.invalid/synthetic/") for u in urls)
    assert len(set(urls)) == len(urls)


def test_same_seed_same_bytes(tmp_path):
    synth.write(50, tmp_path / "a", seed=3)
    synth.write(50, tmp_path / "b", seed=3)
    for name in ("incidents.csv", "sources.csv", "policy_actions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_empty_dataset_is_valid(tmp_path):
    synth.write(0, tmp_path / "empty")
    problems = validate(tmp_path / "empty")
    assert problems == []
    assert load(tmp_path / "empty").scalar("SELECT count(*) FROM incidents") == 0


def test_main_synth(tmp_path, capsys):
    assert synth.main_synth(10, str(tmp_path / "cli")) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert synth.main_synth(-1, str(tmp_path / "bad")) == 2


def test_week_dates_are_mondays_inside_the_range(tmp_path):
    """Rule D1 for every week-precision date, also for weeks starting before the first day."""
    synth.write(20_000, tmp_path / "d", seed=0)  # seed 0 has weeks in the first days of 2015
    dates = pd.read_csv(tmp_path / "d" / "incidents.csv", usecols=["attack_date", "attack_date_precision"])
    week = pd.to_datetime(dates.loc[dates["attack_date_precision"] == "week", "attack_date"])
    assert len(week) and (week.dt.dayofweek == 0).all()
    assert week.min() >= pd.Timestamp(synth.FIRST_DAY) and week.max() <= pd.Timestamp(synth.LAST_DAY)
