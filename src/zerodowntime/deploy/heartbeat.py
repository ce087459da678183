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
    parent_pid: int | None = None


def live_releases_at(conninfo: str) -> list[str]:
    """Return the release of each process with a recent heartbeat in the database at ``conninfo``.

    For a database other than Django's (a rehearsal's): read with psycopg, not the ORM.
    """
    import psycopg

    from zerodowntime.deploy.models import ProcessHeartbeat

    table = ProcessHeartbeat._meta.db_table
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            f'SELECT release FROM "{table}" WHERE last_seen > now() - %s', [stale_after()]
        ).fetchall()
    return [release for (release,) in rows]


def live_processes(*, now: datetime | None = None) -> list[LiveProcess]:
    """Return the processes whose last heartbeat is recent, oldest release first."""
    from zerodowntime.deploy.models import ProcessHeartbeat

    since = (now or timezone.now()) - stale_after()
    rows = ProcessHeartbeat.objects.filter(last_seen__gte=since).order_by("release", "role", "pid")
    return [
        LiveProcess(
            r.role, r.release, r.pid, r.host, r.port, r.started_at, r.last_seen, r.parent_pid
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ProcessGroup:
    """The live processes of one server: a gunicorn master's workers, or one worker process."""

    role: str
    release: str
    host: str
    parent_pid: int | None
    port: int | None
    pids: tuple[int, ...]

    def __str__(self) -> str:
        where = f" on port {self.port}" if self.port else ""
        if len(self.pids) == 1 and self.role != "web":
            processes = f"pid {self.pids[0]}"
        else:
            count = f"{len(self.pids)} worker{'s' if len(self.pids) > 1 else ''}"
            processes = f"master {self.parent_pid}, {count} ({', '.join(map(str, self.pids))})"
        return f"{self.role:<7} release {self.release:<8} {self.host}{where}: {processes}"


def group_processes(processes: list[LiveProcess]) -> list[ProcessGroup]:
    """Return one group per server: the app server processes of one master, else one each."""
    groups: dict[tuple[str, str, str, int], list[LiveProcess]] = {}
    for process in processes:
        shared = process.role == "web" and process.parent_pid is not None
        owner = process.parent_pid if shared and process.parent_pid else -process.pid
        groups.setdefault((process.role, process.release, process.host, owner), []).append(process)
    result = [
        ProcessGroup(
            role,
            release,
            host,
            owner if owner > 0 else None,
            members[0].port,
            tuple(sorted(p.pid for p in members)),
        )
        for (role, release, host, owner), members in groups.items()
    ]
    return sorted(result, key=lambda group: (group.release, group.role, group.pids))


class Heartbeat:
    """Register one process and refresh its ``last_seen`` until stopped."""

    def __init__(self, *, role: str, release: str, port: int | None = None) -> None:
        self.role = role
        self.release = release
        self.port = port
        self.pid = os.getpid()
        self.parent_pid = os.getppid()
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
                "parent_pid": self.parent_pid,
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
    """Start the heartbeat when ``ZDT_PROCESS_ROLE`` is set (once per process).

    Its release is the code's (:func:`zerodowntime.deploy.code_release.process_release`): a
    process whose code is not the release it claims raises ``ProcessReleaseRefused``.
    """
    global _current
    role = conf.environ("ZDT_PROCESS_ROLE")
    if not role or (_current is not None and _current.pid == os.getpid()):
        return _current
    from zerodowntime.deploy.code_release import process_release

    port = conf.environ("ZDT_PROCESS_PORT")
    _current = Heartbeat(role=role, release=process_release(), port=int(port) if port else None)
    _current.start()
    return _current
