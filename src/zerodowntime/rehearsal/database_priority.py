"""Run the database's share of an upgrade's own work at a lower CPU priority than its queries.

A rehearsal runs PostgreSQL, the app servers and the load generator on the same few cores. In
production the database has cores of its own: an index build over a big table takes one of them
and the queries run on the others. Here it would take one of two, and every request would wait
for the other. So while PostgreSQL runs on this machine, the backends doing the upgrade's work
(``zdt migrate``'s and the workers' connections, by their ``application_name``, and autovacuum)
run at a lower niceness whenever they are busy with a statement that holds or awaits no lock
that blocks the application's reads or writes (an index built concurrently, a constraint
validated, a backfill batch): the queries of the app servers go first. Where this process may,
such a backend also runs in a CPU cgroup at the weight of niceness 10
(:mod:`zerodowntime.rehearsal.cpu_groups`), since its niceness ranks it only among the
database's own backends, not against the app servers; not an idle one, which would hold every
commit behind a backend descheduled in the middle of writing WAL. A statement that holds or
awaits such a lock (``SHARE`` and stronger) runs at niceness 0, so that it ends as soon as it
can. Between two statements a migration's backend gets niceness 0 back, since its next
statement may take such a lock; a worker's keeps the lower one, since its next statement is
another batch, which would otherwise run at full priority until the next poll (a batch aims at
0.2 s and the poll comes every 0.1 s: up to half of it).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from pathlib import Path

import psycopg

from zerodowntime.rehearsal.cluster import can_restore_priority
from zerodowntime.rehearsal.cpu_groups import CpuGroup, CpuShare, shared_group
from zerodowntime.rehearsal.polling import DatabasePoller
from zerodowntime.sql.facts import Lock

logger = logging.getLogger("zerodowntime.rehearsal")

# Relation locks that block the application's writes (SHARE) or also its reads (ACCESS EXCLUSIVE).
LOCKS_THAT_BLOCK_THE_APPLICATION = [lock.lock_mode_name for lock in Lock if lock.blocks_writes]
BACKENDS_SQL = """
SELECT a.pid,
       COALESCE(a.query_start::text, ''),
       left(COALESCE(a.query, ''), 120),
       a.state = 'active'
         AND NOT EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.pid IN (a.pid, COALESCE(a.leader_pid, a.pid))
                           AND l.locktype = 'relation' AND l.mode = ANY(%(blocking)s)),
       a.state IS DISTINCT FROM 'active'
         AND COALESCE(leader.application_name, a.application_name) LIKE ANY(%(steady)s)
FROM pg_stat_activity a
LEFT JOIN pg_stat_activity leader ON leader.pid = a.leader_pid
WHERE a.pid <> pg_backend_pid()
  AND (a.backend_type = 'autovacuum worker'
       OR COALESCE(leader.application_name, a.application_name) LIKE ANY(%(patterns)s))
"""
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")
# The roles whose connections do the upgrade's own work (``PGAPPNAME=zdt-migrate-0.2.0``).
MIGRATE, WORKER = "migrate", "worker"


def application_name(role: str, release: str) -> str:
    """Return the ``application_name`` of a rehearsal's process of ``role`` at ``release``."""
    return f"zdt-{role}-{release}"


def environment_named(role: str, release: str) -> dict[str, str]:
    """Return this process's environment with the connections named for ``role`` at ``release``."""
    return {**os.environ, "PGAPPNAME": application_name(role, release)}


def on_this_machine(host: str, backend_pid: int) -> bool:
    """Return True when a server reached at ``host`` runs here (its backend ``backend_pid``)."""
    if not (host.startswith("/") or host in LOCAL_HOSTS):
        return False
    try:
        return Path(f"/proc/{backend_pid}/comm").read_text().strip() == "postgres"
    except OSError:
        return False


class DeploymentWorkPriority(DatabasePoller):
    """Keep the niceness of the backends doing deployment work at ``niceness`` while they may.

    ``application_prefixes`` name the deployment's connections (``zdt-migrate`` for
    ``PGAPPNAME=zdt-migrate-0.2.0``); ``steady_prefixes`` those among them whose backends keep
    their niceness while idle (the workers', whose statements are batches). ``unavailable`` says
    why nothing is done (a server on another machine, a process whose priority this one may not
    change).
    """

    thread_name = "zdt-database-priority"

    def __init__(
        self,
        database_url: str,
        *,
        niceness: int = 10,
        application_prefixes: tuple[str, ...] = (f"zdt-{MIGRATE}", f"zdt-{WORKER}"),
        steady_prefixes: tuple[str, ...] = (f"zdt-{WORKER}",),
        interval: float = 0.1,
    ) -> None:
        super().__init__(database_url, interval=interval, application_name="zdt-priority")
        self.niceness = niceness
        self.patterns = [f"{prefix}%" for prefix in application_prefixes]
        self.steady_patterns = [f"{prefix}%" for prefix in steady_prefixes]
        self.unavailable: str | None = None
        self.lowered: dict[tuple[int, str], str] = {}
        self._current: dict[int, int] = {}
        self._machine_checked = False
        self.cpu_group: CpuGroup | None = None

    def _check_machine(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        if self._machine_checked:
            return
        self._machine_checked = True
        connection = cursor.connection
        if not can_restore_priority():
            self.unavailable = "this process may not give a process its niceness 0 back"
        elif not on_this_machine(connection.info.host, connection.info.backend_pid):
            self.unavailable = "PostgreSQL does not run on this machine"
        if self.unavailable:
            logger.info("the database's deployment work keeps its priority: %s", self.unavailable)
            return
        self.cpu_group = shared_group(CpuShare.LOW)

    def poll(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        """Set each deployment backend's niceness from what it does now."""
        self._check_machine(cursor)
        if self.unavailable:
            self._stop.set()
            return
        cursor.execute(
            BACKENDS_SQL,
            {
                "blocking": LOCKS_THAT_BLOCK_THE_APPLICATION,
                "patterns": self.patterns,
                "steady": self.steady_patterns,
            },
        )
        seen: set[int] = set()
        for pid, started, query, may_yield, keeps in cursor.fetchall():
            pid = int(str(pid))
            seen.add(pid)
            if keeps:
                continue
            wanted = self.niceness if may_yield else 0
            if wanted:
                self.lowered[(pid, str(started))] = str(query)
            self._set(pid, wanted)
        for pid in set(self._current) - seen:
            del self._current[pid]
            if self.cpu_group is not None:
                self.cpu_group.release(pid)

    def _set(self, pid: int, niceness: int) -> None:
        if self._current.get(pid, 0) == niceness:
            return
        try:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
        except ProcessLookupError:
            return
        except PermissionError:
            self.unavailable = f"this process may not change the priority of process {pid}"
            logger.info("the database's deployment work keeps its priority: %s", self.unavailable)
            return
        self._current[pid] = niceness
        if self.cpu_group is not None:
            if niceness:
                self.cpu_group.admit(pid)
            else:
                self.cpu_group.release(pid)

    def stop(self) -> None:
        """Stop, and give every backend lowered and still running its niceness 0 back."""
        super().stop()
        for pid in self._current:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, 0)
            if self.cpu_group is not None:
                self.cpu_group.release(pid)
        self._current.clear()

    def statements(self) -> list[str]:
        """Return each kind of statement that ran at the lower priority, with its count."""
        kinds = Counter(" ".join(query.split()[:4]) for query in self.lowered.values())
        return [f"{count} × {kind}" for kind, count in kinds.most_common()]
