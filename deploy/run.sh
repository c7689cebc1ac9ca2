#!/usr/bin/env bash
# Serve IncidentLens to many readers: N Streamlit processes on loopback behind Debian's nginx,
# which keeps each reader's session on one process (deploy/nginx.conf.template explains how).
#
#   deploy/run.sh [-n PROCESSES] [-l LISTEN] [-b FIRST_PORT] [-d DATA_DIR] [-r RUN_DIR]
#
#   -n  Streamlit processes (default: the number of CPUs); each is one Python process, so each
#       uses at most about one core (the GIL), and N processes can use N cores
#   -l  what nginx listens on (default 127.0.0.1:8080; 0.0.0.0:80 for the world, as root)
#   -b  the processes listen on 127.0.0.1:FIRST_PORT, FIRST_PORT+1, ... (default 8601)
#   -d  data directory (default: $INCIDENTLENS_DATA, else the repo's data/)
#   -r  folder for nginx's rendered config, pid, logs and temp files, and the file `pids`
#       listing "<port> <pid>" per process and "nginx <pid>" (default /tmp/incidentlens-<port>)
#
# Installs nginx with apt when it is missing (scripts/apt-install.sh, no service started). Runs in the
# foreground; Ctrl-C or SIGTERM stops nginx and every process it started. Each process is
# `incidentlens serve`; set INCIDENTLENS_BASE_URL (or base_url in incidentlens.toml) to the address
# readers use: it is the host Streamlit then accepts WebSocket connections for, and the permalinks'.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PROCESSES="$(nproc)"
LISTEN="127.0.0.1:8080"
FIRST_PORT=8601
RUN=""
while getopts "n:l:b:d:r:" opt; do
  case "$opt" in
    n) PROCESSES="$OPTARG" ;;
    l) LISTEN="$OPTARG" ;;
    b) FIRST_PORT="$OPTARG" ;;
    d) export INCIDENTLENS_DATA="$(cd "$OPTARG" && pwd)" ;;
    r) RUN="$OPTARG" ;;
    *) sed -n '2,18p' "$0" >&2; exit 2 ;;
  esac
done
RUN="${RUN:-/tmp/incidentlens-${LISTEN##*:}}"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || bash "$ROOT/scripts/setup.sh" requirements.txt

bash "$ROOT/scripts/apt-install.sh" nginx
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

mkdir -p "$RUN"
: > "$RUN/pids"
PIDS=()
stop() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

SERVERS=""
set -m  # each process below in a process group of its own, so stopping it stops its children too
for ((i = 0; i < PROCESSES; i++)); do
  port=$((FIRST_PORT + i))
  "$ROOT/.venv/bin/incidentlens" serve --address 127.0.0.1 --port "$port" >"$RUN/streamlit-$port.log" 2>&1 &
  PIDS+=("$!")
  echo "$port $!" >> "$RUN/pids"
  SERVERS+="        server 127.0.0.1:$port max_fails=3 fail_timeout=10s;"$'\n'
done
for ((i = 0; i < PROCESSES; i++)); do
  "$PY" - "$((FIRST_PORT + i))" <<'PYEOF'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/_stcore/health"
for _ in range(600):
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.read().strip() == b"ok":
                sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(f"{url} did not answer")
PYEOF
done

CONF="$RUN/nginx.conf"
SERVERS="$SERVERS" LISTEN="$LISTEN" RUN="$RUN" "$PY" - "$ROOT/deploy/nginx.conf.template" "$CONF" <<'PYEOF'
import os, sys
text = open(sys.argv[1], encoding="utf-8").read()
for key in ("LISTEN", "RUN", "SERVERS"):
    text = text.replace(f"@{key}@", os.environ[key].rstrip("\n"))
open(sys.argv[2], "w", encoding="utf-8").write(text)
PYEOF
"$NGINX" -t -q -p "$RUN" -c "$CONF"
"$NGINX" -p "$RUN" -c "$CONF" &
PIDS+=("$!")
echo "nginx $!" >> "$RUN/pids"
echo "IncidentLens: http://$LISTEN/ -> $PROCESSES Streamlit processes on 127.0.0.1:$FIRST_PORT-$((FIRST_PORT + PROCESSES - 1)) (logs in $RUN)"
wait -n "${PIDS[@]}"
echo "a process stopped; stopping the rest" >&2
exit 1
