"""Start real Celery worker processes on the pytest session's test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from zerodowntime.scratch import with_database_name
from zerodowntime.waiting import WaitTimeout, wait_until

REPO = Path(__file__).resolve().parents[3]
SETTINGS = "tests.zerodowntime.background.worker_settings"


def worker_environment() -> dict[str, str]:
    """Return the environment of a worker that sees this test's database and backfills."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=with_database_name(env["DATABASE_URL"], connection.settings_dict["NAME"]),
        DJANGO_SETTINGS_MODULE=SETTINGS,
        ZDT_RELEASE="0.1.0",
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def celery_worker(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a solo-pool worker on the backfills queue in its own process group; stop it after."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "catalog.celery:app",
        "worker",
        "-Q",
        "backfills",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"bgtest-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log.open("ab") as output:
        worker = subprocess.Popen(
            command,
            env=worker_environment(),
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield worker
    finally:
        stop(worker)


def kill(worker: subprocess.Popen[bytes]) -> None:
    """Kill the worker's process group with SIGKILL and reap it."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop the worker (SIGTERM, then SIGKILL after 15 s) if it is still running."""
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        kill(worker)


def wait_for(condition: Callable[[], bool], *, timeout: float, log: Path) -> None:
    """Poll ``condition`` until it holds; fail with the worker's log after ``timeout`` s."""
    try:
        wait_until(condition, timeout=timeout, interval=0.05, what="condition not met")
    except WaitTimeout as exc:
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise AssertionError(f"{exc}; worker log:\n{tail}") from None
