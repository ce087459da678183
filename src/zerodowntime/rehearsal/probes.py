"""Sample PostgreSQL for backends waiting on locks, on a connection of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg

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


class LockProbe:
    """Record, every ``interval`` seconds, who waits on a lock and for how long.

    Backends whose ``application_name`` starts with ``request_prefix`` are the app servers'
    (``zdt serve`` sets ``PGAPPNAME``); they count as blocked requests.
    """

    def __init__(
        self,
        database_url: str,
        *,
        clock: Callable[[], float],
        interval: float = 0.05,
        request_prefix: str = "zdt-web",
    ) -> None:
        self.database_url = database_url
        self.clock = clock
        self.interval = interval
        self.request_prefix = request_prefix
        self.samples: list[LockSample] = []
        self.sampled = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> LockSample | None:
        """Take one sample; return it when some backend was waiting."""
        cursor.execute(WAITING_SQL)
        rows = cursor.fetchall()
        self.sampled += 1
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

    def _run(self) -> None:
        """Sample until stopped; a lost connection (a database restart) is opened again."""
        while not self._stop.is_set():
            try:
                with (
                    psycopg.connect(
                        self.database_url, autocommit=True, application_name="zdt-probe"
                    ) as conn,
                    conn.cursor() as cursor,
                ):
                    while not self._stop.is_set() and not conn.closed:
                        try:
                            self.sample(cursor)
                        except psycopg.Error:
                            self.errors += 1
                            if conn.broken:
                                break
                        self._stop.wait(self.interval)
            except psycopg.Error:
                self.errors += 1
                self._stop.wait(max(self.interval, 0.2))

    def start(self) -> None:
        """Start sampling in a background thread."""
        self._thread = threading.Thread(target=self._run, name="zdt-lock-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def longest_between(self, start: float, end: float) -> LockSample | None:
        """Return the sample with the longest wait seen between ``start`` and ``end``."""
        inside = [s for s in self.samples if start <= s.at <= end]
        return max(inside, key=lambda s: s.longest_wait, default=None)
