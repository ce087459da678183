"""Fixtures for tests that run the catalog in a real app server (`zdt serve`)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.zerodowntime.deploy.conftest import process_env  # noqa: F401  (fixture)
from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT
from zerodowntime.waiting import WaitTimeout, wait_until

Serve = Callable[..., str]


@pytest.fixture
def serve(process_env: dict[str, str]) -> Iterator[Serve]:  # noqa: F811
    """Return ``serve(**env)``: start `zdt serve` of the newest release, return its base URL."""
    servers: list[subprocess.Popen[bytes]] = []

    def start(workers: int = 2, threads: int = 4, worker_class: str = "gthread", **env: str) -> str:
        port = free_port()
        server = subprocess.Popen(
            [
                *ZDT,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                worker_class,
            ],
            env={**process_env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append(server)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: answers(f"{base}/health/ready/"),
                timeout=60,
                interval=0.2,
                what="the server did not become ready",
            )
        except WaitTimeout as exc:
            pytest.fail(str(exc))
        return base

    yield start
    for server in servers:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def answers(url: str) -> bool:
    """Return True when ``url`` answers 200."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
