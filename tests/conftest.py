"""Shared fixtures: a small fictional dataset (tests/fixtures/data) laid out with the real
schema, so tests never depend on the curated data unless they say so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paths import FIXTURE, REAL


def make_data_dir(target: Path) -> Path:
    """Copy the fixture CSVs and the real datapackage.json into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in FIXTURE.iterdir():
        shutil.copy(path, target / path.name)
    shutil.copy(REAL / "datapackage.json", target / "datapackage.json")
    return target


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A fresh, writable copy of the fixture dataset (tests may break it)."""
    return make_data_dir(tmp_path / "data")


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    """A read-only-by-convention copy shared by a whole session."""
    return make_data_dir(tmp_path_factory.mktemp("fixture") / "data")


@pytest.fixture(scope="session")
def db(fixture_dir):
    from incidentlens.data.database import load

    return load(fixture_dir)


@pytest.fixture(scope="session")
def real_db():
    from incidentlens.data.database import load

    return load(REAL)
