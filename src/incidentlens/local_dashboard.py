"""Start and stop a local `streamlit run app.py` for tests, benchmarks and the load test.

One place for the command line and the health poll, so the three callers cannot drift apart.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

APP = Path(__file__).resolve().parents[2] / "app.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
