"""A real `zdt worker` writes its ready file once Celery takes tasks and removes it at exit."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from django.conf import settings

from zerodowntime.deploy.models import ProcessHeartbeat
from zerodowntime.subprocesses import ZDT
from zerodowntime.waiting import wait_until


def _ancestors(pid: int) -> list[int]:
    """Return the parent, grandparent, ... of ``pid``."""
    found = []
    while pid > 1:
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        found.append(pid)
    return found


def test_zdt_worker_writes_its_ready_file_once_ready_and_removes_it_on_exit(
    process_env: dict[str, str], tmp_path: Path
) -> None:
    ready = tmp_path / "worker.ready"
    ready.write_text("left by an earlier worker\n")
    env = {**process_env, "ZDT_WORKER_READY_FILE": str(ready), "ZDT_STATE_DIR": str(tmp_path)}
    worker = subprocess.Popen(
        [*ZDT, "worker", "--concurrency", "1", "--no-beat"],
        env=env,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:

        def written() -> str | None:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            text = ready.read_text() if ready.exists() else ""
            return text if text.strip().isdigit() else None

        pid = int(wait_until(written, timeout=60, interval=0.1, what="no ready file"))
        # Celery's main process wrote it, a child of `zdt worker`; it had registered already.
        assert worker.pid in _ancestors(pid)
        row = ProcessHeartbeat.objects.get(role="worker")
        assert row.release == settings.ZDT_RELEASE
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert not ready.exists()
