"""``zdt serve``'s gunicorn command freezes the loaded application out of the collector's reach."""

from __future__ import annotations

import gc
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx

from zerodowntime.cli.processes import gunicorn_command
from zerodowntime.services import free_port
from zerodowntime.waiting import wait_until

REPOSITORY = Path(__file__).resolve().parents[3]


def app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    """Answer how many objects the serving worker's garbage collector has frozen."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]


def test_a_worker_serves_with_the_loaded_application_frozen() -> None:
    port = free_port()
    command = gunicorn_command(f"{__name__}:app", port, 1, 1, "gthread")
    server = subprocess.Popen(
        command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def answer() -> str | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
            except httpx.HTTPError:
                return None

        frozen = wait_until(answer, timeout=30, interval=0.1, what="gunicorn did not answer")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Every object of the worker once the application was loaded: gunicorn, httpx, this module.
    assert int(frozen) > 10_000
