"""Heartbeats: a real `zdt serve` registers its release and removes itself on a clean exit."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from zerodowntime.deploy.heartbeat import Heartbeat, live_processes
from zerodowntime.deploy.models import ProcessHeartbeat
from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT
from zerodowntime.waiting import wait_until


def test_zdt_serve_registers_a_heartbeat_and_removes_it_on_exit(
    process_env: dict[str, str],
) -> None:
    port, release = free_port(), settings.ZDT_RELEASE  # the test database's release: the default
    server = subprocess.Popen(
        [*ZDT, "serve", "--port", str(port), "--workers", "1"],
        env=process_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        rows = wait_until(
            lambda: list(ProcessHeartbeat.objects.filter(port=port)),
            timeout=30,
            interval=0.2,
            what="zdt serve registered no heartbeat",
        )
        assert len(rows) == 1, server.stderr
        row = rows[0]
        assert (row.role, row.release) == ("web", release)
        # The gunicorn worker records its master, which `zdt serve` started.
        master_stat = Path(f"/proc/{row.parent_pid}/stat").read_text()
        assert int(master_stat.rsplit(")", 1)[1].split()[1]) == server.pid
        first_seen = row.last_seen
        row = wait_until(
            lambda: ProcessHeartbeat.objects.filter(port=port, last_seen__gt=first_seen).first(),
            timeout=5,
            interval=0.2,
            what="the heartbeat was not refreshed",
        )
        assert [p.pid for p in live_processes()] == [row.pid]
        response = httpx.get(f"http://127.0.0.1:{port}/health/", timeout=10)
        assert response.json() == {"status": "ok", "release": release}
        assert response.headers["X-ZDT-Release"] == release
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not ProcessHeartbeat.objects.filter(port=port).exists()


@pytest.mark.django_db
def test_stale_heartbeats_are_not_live() -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.create(
        role="worker", release="0.1.0", pid=1, host="h", started_at=now, last_seen=now
    )
    ProcessHeartbeat.objects.create(
        role="web",
        release="0.1.0",
        pid=2,
        host="h",
        started_at=now,
        last_seen=now - timedelta(minutes=5),
    )
    assert [p.pid for p in live_processes()] == [1]


@pytest.mark.django_db
def test_unregister_only_from_the_registering_process() -> None:
    heartbeat = Heartbeat(role="worker", release="0.1.0")
    heartbeat.beat()
    heartbeat.pid += 1  # as seen from a forked child: not the owner
    heartbeat.unregister()
    assert ProcessHeartbeat.objects.count() == 1
