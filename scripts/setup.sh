#!/usr/bin/env bash
# Create .venv and install the project; called by run-dashboard.sh and run-tests.sh.
# Usage: scripts/setup.sh requirements.txt|requirements-dev.txt
set -euo pipefail
cd "$(dirname "$0")/.."
REQ="${1:-requirements.txt}"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "IncidentLens needs Python 3.11 or newer as \$PYTHON or python3." >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately.
    rm -rf .venv
    bash scripts/apt-install.sh python3-venv
    "$PY" -m venv .venv
  fi
fi
STAMP=".venv/.installed-$(cat requirements.txt "$REQ" pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
  touch "$STAMP"
fi
