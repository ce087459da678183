"""``zdt serve``'s gunicorn command freezes the loaded application out of the collector's reach."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from zerodowntime.cli.processes import gunicorn_command
from zerodowntime.services import free_port
from zerodowntime.waiting import wait_until

REPOSITORY = Path(__file__).resolve().parents[3]


def test_a_worker_serves_with_the_loaded_application_frozen() -> None:
    port = free_port()
    command = gunicorn_command("tests.zerodowntime.deploy.gunicorn_app:app", port, 1, 1, "gthread")
    server = subprocess.Popen(
        command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def answer() -> dict[str, object] | None:
            try:
                return dict(httpx.get(f"http://127.0.0.1:{port}/", timeout=2).json())
            except httpx.HTTPError:
                return None

        held = wait_until(answer, timeout=30, interval=0.1, what="gunicorn did not answer")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Every object of the worker once the application was loaded: gunicorn, Django, the app.
    assert int(str(held["frozen"])) > 10_000
    # The URLconf was imported by the worker's start, not by its first request.
    assert held["urlconf_loaded"] is True
