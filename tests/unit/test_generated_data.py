"""Issue 15.4, as a property: whatever `incidentlens validate` accepts, the loader loads, and it
loads exactly what the validator read (Python's csv module), for generated data folders that vary
free text, numbers, quoting, line endings and the descriptor's custom keys."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
from generated import Dataset, datasets
from hypothesis import HealthCheck, event, given, settings

from incidentlens.data.database import load
from incidentlens.data.schema import LIST_SEPARATOR
from incidentlens.data.validate import validate
from incidentlens.query import queries
from incidentlens.query.filters import Filters


def _as_read(d: Path, db, resource: str) -> dict[str, dict[str, str]]:
    """The resource's cells as the validator read them, keyed by the first column (the key)."""
    path = d / db.package.resource(resource)["path"]
    with open(path, encoding="utf-8", newline="") as fh:
        return {row[db.package.columns(resource)[0]]: row for row in csv.DictReader(fh)}


def _as_loaded(value) -> str:
    """A loaded value written back the way the CSV holds it."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return LIST_SEPARATOR.join(value.tolist())
    if pd.isna(value):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
def test_what_validates_loads_exactly_as_read(data: Dataset):
    with tempfile.TemporaryDirectory() as tmp:
        d = data.write(Path(tmp) / "data")
        problems = validate(d)
        event("refused" if problems else "valid")
        if problems:
            assert all(p.line >= 1 and p.column >= 1 for p in problems)
            return
        db = load(d)
        for resource in ("incidents", "sources", "policy_actions"):
            read = _as_read(d, db, resource)
            fields = db.package.fields(resource)
            key = fields[0].name
            loaded = db.query(f"SELECT * FROM {resource}")
            assert len(loaded) == len(read)
            for row in loaded.to_dict("records"):
                original = read[row[key]]
                for f in fields:
                    got = _as_loaded(row[f.name])
                    want = original[f.name]
                    if f.type == "number" and want:
                        assert float(got) == float(want), (resource, f.name)
                    else:
                        assert got == want, (resource, f.name, got, want)
        # What every page asks first.
        lo, hi = queries.year_bounds(db)
        assert lo <= hi
        assert queries.headline(db, Filters()).n == len(_as_read(d, db, "incidents"))
        queries.sidebar_counts(db, Filters())
