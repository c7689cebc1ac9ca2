#!/usr/bin/env bash
# Install what the dashboard needs (first run only) and start it on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/incidentlens serve "$@"
