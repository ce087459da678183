"""A task travels through the real Redis to a `zdt worker` process and back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from catalog.celery import app
from zerodowntime.scratch import with_database_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_ping_task_round_trip_through_redis(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        DATABASE_URL=with_database_name(
            os.environ["DATABASE_URL"], connection.settings_dict["NAME"]
        ),
        ZDT_STATE_DIR=str(tmp_path),
    )
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "zdt"),
            "worker",
            "--release",
            "0.2.0",
            "--concurrency",
            "1",
            "--no-beat",
        ],
        env=env,
        cwd=ROOT,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        result = app.send_task("catalog.ping")
        assert result.get(timeout=60) == {"status": "ok", "release": "0.2.0"}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
