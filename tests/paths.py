"""Where the test data lives (a plain module: test files cannot import one of two conftests)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "data"
REAL = ROOT / "data"
