"""Poll PostgreSQL at an interval in a thread, on a connection that outlives restarts."""

from __future__ import annotations

import threading

import psycopg


class DatabasePoller:
    """Call :meth:`poll` every ``interval`` seconds until stopped.

    A lost connection (a database restart) is opened again; errors are counted, not raised.
    """

    thread_name = "zdt-poller"

    def __init__(self, database_url: str, *, interval: float, application_name: str) -> None:
        self.database_url = database_url
        self.interval = interval
        self.application_name = application_name
        self.sampled = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        """Do one round of work on ``cursor``."""
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with (
                    psycopg.connect(
                        self.database_url,
                        autocommit=True,
                        application_name=self.application_name,
                    ) as conn,
                    conn.cursor() as cursor,
                ):
                    while not self._stop.is_set() and not conn.closed:
                        try:
                            self.poll(cursor)
                            self.sampled += 1
                        except psycopg.Error:
                            self.errors += 1
                            if conn.broken:
                                break
                        self._stop.wait(self.interval)
            except psycopg.Error:
                self.errors += 1
                self._stop.wait(max(self.interval, 0.2))

    def start(self) -> None:
        """Start polling in a background thread."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread (at most 5 s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
