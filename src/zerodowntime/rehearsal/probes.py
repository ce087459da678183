"""Sample PostgreSQL for backends waiting on locks, on a connection of its own."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from zerodowntime.rehearsal.polling import DatabasePoller
from zerodowntime.rehearsal.records import LockSample

WAITING_SQL = """
SELECT a.application_name,
       EXTRACT(EPOCH FROM now() - COALESCE(w.since, a.state_change, a.query_start))::float8,
       left(a.query, 300),
       COALESCE((SELECT left(b.query, 300) FROM pg_stat_activity b
                 WHERE b.pid = (pg_blocking_pids(a.pid))[1]), '')
FROM pg_stat_activity a
LEFT JOIN LATERAL (
    SELECT min(l.waitstart) AS since FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted
) w ON true
WHERE a.wait_event_type = 'Lock'
  AND a.datname = current_database()
  AND a.pid <> pg_backend_pid()
"""


class LockProbe(DatabasePoller):
    """Record, every ``interval`` seconds, who waits on a lock and for how long.

    Backends whose ``application_name`` starts with ``request_prefix`` are the app servers'
    (``zdt serve`` sets ``PGAPPNAME``); they count as blocked requests.
    """

    thread_name = "zdt-lock-probe"

    def __init__(
        self,
        database_url: str,
        *,
        clock: Callable[[], float],
        interval: float = 0.05,
        request_prefix: str = "zdt-web",
    ) -> None:
        super().__init__(database_url, interval=interval, application_name="zdt-probe")
        self.clock = clock
        self.request_prefix = request_prefix
        self.samples: list[LockSample] = []

    def poll(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        """Take one sample."""
        self.sample(cursor)

    def sample(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> LockSample | None:
        """Take one sample; return it when some backend was waiting."""
        cursor.execute(WAITING_SQL)
        rows = cursor.fetchall()
        if not rows:
            return None
        longest = max(rows, key=lambda row: float(str(row[1] or 0)))
        blocked = sum(1 for row in rows if str(row[0] or "").startswith(self.request_prefix))
        found = LockSample(
            at=self.clock(),
            waiting=len(rows),
            blocked_requests=blocked,
            longest_wait=float(str(longest[1] or 0)),
            query=str(longest[2]),
            blocker=str(longest[3]),
        )
        self.samples.append(found)
        return found

    def longest_between(self, start: float, end: float) -> LockSample | None:
        """Return the sample with the longest wait seen between ``start`` and ``end``."""
        inside = [s for s in self.samples if start <= s.at <= end]
        return max(inside, key=lambda s: s.longest_wait, default=None)
