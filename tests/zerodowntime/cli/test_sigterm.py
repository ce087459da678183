"""SIGTERM to a long-running `zdt` command stops its children and the servers it started.

Each command runs as a real process with a state directory of its own, so it starts its own
embedded PostgreSQL and Redis. Every process it starts inherits ``ZDT_STATE_DIR``: after the
SIGTERM, no process on the machine may still carry that directory in its environment.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT
from zerodowntime.waiting import WaitTimeout, wait_until

pytestmark = pytest.mark.timeout(300)


def _holders(state: Path) -> list[int]:
    """Return the pids of the processes whose environment names ``state`` as ZDT_STATE_DIR."""
    marker = f"ZDT_STATE_DIR={state}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:

    def met() -> bool:
        if condition():
            return True
        assert process.poll() is None, f"exited with {process.returncode} before {what}"
        return False

    wait_until(met, timeout=150, interval=0.3, what=f"no {what}")


def _healthy(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _server_logs(report_dir: Path) -> Callable[[], bool]:
    return lambda: len(list(report_dir.glob("rehearsal-*/logs/*-web-*.log"))) >= 2


@pytest.mark.parametrize("command", ["serve", "worker", "demo", "rehearse"])
def test_sigterm_leaves_nothing_running(tmp_path: Path, command: str) -> None:
    state, log = tmp_path / "state", tmp_path / "out.log"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(ZDT_STATE_DIR=str(state), ZDT_EMBEDDED="1", CATALOG_LOG_LEVEL="WARNING")
    port = free_port()
    args, ready, what = {
        "serve": (["serve", "--port", str(port), "-w", "1"], _healthy(port), "/health/"),
        "worker": (
            ["worker", "-c", "1"],
            lambda: b"ready." in log.read_bytes(),
            "worker ready",
        ),
        "demo": (["demo", "--rows", "30", "--port", str(port)], _healthy(port), "/health/"),
        "rehearse": (
            ["rehearse", "--rows", "30", "--phase-seconds", "60", "--path", "0.1.0,0.1.1"]
            + ["--report-dir", str(tmp_path / "reports")],
            _server_logs(tmp_path / "reports"),
            "app servers",
        ),
    }[command]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*ZDT, *args], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        _wait(ready, process, what)
        if command == "rehearse":
            time.sleep(3)  # the worker and the traffic start after the servers
        assert len(_holders(state)) >= 3  # the command, its child, PostgreSQL and Redis
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
        with contextlib.suppress(WaitTimeout):
            wait_until(lambda: not _holders(state), timeout=10, interval=0.2, what="still held")
        assert _holders(state) == [], log.read_text(errors="replace")[-3000:]
        assert not _listening(port)
        assert not list(state.glob("celerybeat-schedule-*"))
    finally:
        for pid in _holders(state):
            os.kill(pid, signal.SIGKILL)
