"""Register this process and its release in PostgreSQL and keep a heartbeat while it runs.

App servers and workers started by ``zdt serve`` / ``zdt worker`` set ``ZDT_PROCESS_ROLE``
(``web`` or ``worker``); the deploy app's ``ready()`` then starts :class:`Heartbeat` in a daemon
thread. The record is removed on a clean exit; a killed process's record goes stale instead.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import DatabaseError, connection
from django.utils import timezone

from zerodowntime import conf

logger = logging.getLogger("zerodowntime.deploy")

STALE_AFTER_BEATS = 5


def heartbeat_interval() -> float:
    """Return the seconds between two heartbeats (setting ``ZDT_HEARTBEAT_INTERVAL``)."""
    return conf.get().heartbeat_interval


def stale_after() -> timedelta:
    """Return how old a heartbeat may be for its process to count as live."""
    return timedelta(seconds=heartbeat_interval() * STALE_AFTER_BEATS)


@dataclass(frozen=True)
class LiveProcess:
    """A process whose heartbeat is recent."""

    role: str
    release: str
    pid: int
    host: str
    port: int | None
    started_at: datetime
    last_seen: datetime


def live_processes(*, now: datetime | None = None) -> list[LiveProcess]:
    """Return the processes whose last heartbeat is recent, oldest release first."""
    from zerodowntime.deploy.models import ProcessHeartbeat

    since = (now or timezone.now()) - stale_after()
    rows = ProcessHeartbeat.objects.filter(last_seen__gte=since).order_by("release", "role", "pid")
    return [
        LiveProcess(r.role, r.release, r.pid, r.host, r.port, r.started_at, r.last_seen)
        for r in rows
    ]


class Heartbeat:
    """Register one process and refresh its ``last_seen`` until stopped."""

    def __init__(self, *, role: str, release: str, port: int | None = None) -> None:
        self.role = role
        self.release = release
        self.port = port
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Create or refresh this process's record."""
        from zerodowntime.deploy.models import ProcessHeartbeat

        ProcessHeartbeat.objects.update_or_create(
            host=self.host,
            pid=self.pid,
            defaults={
                "role": self.role,
                "release": self.release,
                "port": self.port,
                "started_at": self.started_at,
                "last_seen": timezone.now(),
            },
        )

    def unregister(self) -> None:
        """Remove this process's record (only from the process that registered it)."""
        from zerodowntime.deploy.models import ProcessHeartbeat

        if os.getpid() != self.pid:
            return
        ProcessHeartbeat.objects.filter(host=self.host, pid=self.pid).delete()

    def _run(self) -> None:
        while not apps.ready and not self._stop.wait(0.05):
            pass
        while not self._stop.is_set():
            try:
                self.beat()
            except DatabaseError as exc:
                logger.warning("heartbeat of pid %s failed: %s", self.pid, exc)
                connection.close()
            self._stop.wait(heartbeat_interval())
        connection.close()

    def start(self) -> None:
        """Start beating in a daemon thread and unregister at interpreter exit."""
        self._thread = threading.Thread(target=self._run, name="zdt-heartbeat", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop the thread and remove the record."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            self.unregister()
        except DatabaseError as exc:
            logger.warning("could not unregister pid %s: %s", self.pid, exc)


_current: Heartbeat | None = None


def start_from_environment() -> Heartbeat | None:
    """Start the heartbeat when ``ZDT_PROCESS_ROLE`` is set (once per process)."""
    global _current
    role = conf.environ("ZDT_PROCESS_ROLE")
    if not role or (_current is not None and _current.pid == os.getpid()):
        return _current
    port = conf.environ("ZDT_PROCESS_PORT")
    _current = Heartbeat(
        role=role, release=conf.release().version, port=int(port) if port else None
    )
    _current.start()
    return _current
