#!/usr/bin/env bash
# Install everything the tests need (Debian's chromium and nginx, the venv) and run
# lint and formatting, the import contracts, the type check, the data validator and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Never `playwright install`: browser tests and chart export use Debian's chromium. nginx is for
# the test of the production setup (deploy/run.sh); fonts-wqy-zenhei draws Chinese, Japanese and
# Korean text in PDF briefs; poppler-utils' pdftoppm draws brief pages for the layout tests.
bash scripts/apt-install.sh chromium fonts-liberation fonts-wqy-zenhei nginx poppler-utils
bash scripts/setup.sh requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
.venv/bin/incidentlens validate
set +e
INCIDENTLENS_REQUIRE_BROWSER=1 .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" = 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$code"
