"""Start and stop a local `streamlit run app.py`, or the production setup (deploy/run.sh: N
processes behind nginx), for tests, benchmarks and the load test.

One place for the command lines, the health poll and the reading of nginx's log, so the callers
cannot drift apart.
"""

from __future__ import annotations

import collections
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
DEPLOY = ROOT / "deploy" / "run.sh"
# Debian's chromium for browser tests, benchmarks and screenshots (never `playwright install`).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> int:
    """The first of n consecutive free loopback ports (deploy/run.sh numbers its processes so)."""
    while True:
        first = free_port()
        try:
            for port in range(first, first + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue


def command(port: int, address: str = "127.0.0.1", app: Path = APP) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


def start(
    port: int,
    data: Path | None = None,
    output: IO | int = subprocess.DEVNULL,
    prefix: list[str] | None = None,
    app: Path = APP,
) -> subprocess.Popen:
    """Launch the dashboard (or another Streamlit script, run from its own folder) on loopback,
    not yet waiting for it."""
    env = dict(os.environ)
    if data is not None:
        env["INCIDENTLENS_DATA"] = str(data)
    return subprocess.Popen(
        [*(prefix or []), *command(port, app=app)], cwd=app.parent, env=env, stdout=output, stderr=subprocess.STDOUT
    )


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 30.0, poll: float = 0.02) -> float:
    """Seconds until `/_stcore/health` answers ok; raises if the server dies or times out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.read().strip() == b"ok":
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(poll)
    raise TimeoutError(f"streamlit did not answer /_stcore/health within {timeout:g} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_deployed(processes: int, run_dir: Path, data: Path | None = None) -> tuple[subprocess.Popen, int, list[int]]:
    """deploy/run.sh on free loopback ports, once nginx answers health: (the launcher, nginx's port,
    the Streamlit processes' pids). The launcher's output goes to run_dir/launcher.log."""
    listen, first = free_port(), free_ports(processes)
    cmd = ["bash", str(DEPLOY), "-n", str(processes), "-l", f"127.0.0.1:{listen}", "-b", str(first), "-r", str(run_dir)]
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "launcher.log", "wb") as fh:
        proc = subprocess.Popen(cmd + (["-d", str(data)] if data else []), stdout=fh, stderr=subprocess.STDOUT)
    try:
        wait_healthy(proc, listen, timeout=600, poll=0.2)  # apt may install nginx first
    except (RuntimeError, TimeoutError) as exc:
        stop(proc)
        log = (run_dir / "launcher.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"deploy/run.sh: {exc}; its log:\n{log}") from None
    lines = [line.split() for line in (run_dir / "pids").read_text().splitlines()]
    return proc, listen, [int(pid) for name, pid in lines if name != "nginx"]


@dataclass(frozen=True)
class Affinity:
    """What nginx's access log (deploy/nginx.conf.template's format) says about session affinity."""

    cookies: int  # distinct affinity cookies seen on requests
    split: list[str]  # log lines of every cookie whose requests reached more than one process
    sessions: collections.Counter  # WebSocket sessions per process address
    served_by: collections.Counter  # requests per process address


def affinity(access_log: Path) -> Affinity:
    upstreams: dict[str, set[str]] = collections.defaultdict(set)
    lines: dict[str, list[str]] = collections.defaultdict(list)
    sessions: collections.Counter = collections.Counter()
    served: collections.Counter = collections.Counter()
    for line in access_log.read_text(errors="replace").splitlines():
        match = re.search(r'"\S+ (\S+)[^"]*" .* upstream=(.+) node=(\S*)$', line)
        if not match or match.group(2) == "-":
            continue
        served[match.group(2)] += 1
        if match.group(3) not in ("", "-"):  # nginx logs an absent cookie as "-"
            upstreams[match.group(3)].add(match.group(2))
            lines[match.group(3)].append(line)
        if match.group(1).startswith("/_stcore/stream"):
            sessions[match.group(2)] += 1
    split = [line for node, u in upstreams.items() if len(u) > 1 for line in lines[node]]
    return Affinity(len(upstreams), split, sessions, served)
