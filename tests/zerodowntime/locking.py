"""Helpers for DDL tests: a second connection that holds a lock, and simulated app traffic."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection


def conninfo() -> str:
    """Return a libpq connection string for the test database Django is using."""
    s = connection.settings_dict
    parts = {
        "dbname": s["NAME"],
        "user": s["USER"],
        "host": s["HOST"],
        "port": s["PORT"],
        "password": s["PASSWORD"],
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


@contextmanager
def holding(statement: str, seconds: float) -> Iterator[psycopg.Connection]:
    """Run ``statement`` in an open transaction on another connection; end it after ``seconds``.

    The block runs while the lock is held; the transaction is rolled back after ``seconds``
    (in the background) or when the block ends, whichever comes first.
    """
    holder = psycopg.connect(conninfo())
    holder.execute(statement)
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            holder.rollback()

    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield holder
    finally:
        timer.cancel()
        timer.join()
        release()
        holder.close()


class AppTraffic(threading.Thread):
    """Insert rows into a table in a loop, as the application would, timing each query."""

    def __init__(self, table: str) -> None:
        super().__init__(daemon=True)
        self.table = table
        self.latencies: list[float] = []
        self.errors: list[BaseException] = []
        self._halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(conninfo(), autocommit=True) as app:
            while not self._halt.is_set():
                started = time.monotonic()
                try:
                    app.execute(f"INSERT INTO {self.table} (name) VALUES ('app')")
                except psycopg.Error as error:  # pragma: no cover - reported by the test
                    self.errors.append(error)
                self.latencies.append(time.monotonic() - started)
                time.sleep(0.01)

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self._halt.set()
        self.join(timeout=10)

    @property
    def longest(self) -> float:
        """Return the longest query time seen."""
        return max(self.latencies, default=0.0)


def execute(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """Run ``sql`` on Django's connection and return the rows, if any."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def use_fast_retries(settings: Any) -> None:
    """Use a short lock timeout and back-off so lock tests stay quick."""
    settings.ZDT_LOCK_TIMEOUT = "200ms"
    settings.ZDT_DDL_RETRY_BASE_DELAY = 0.1
    settings.ZDT_DDL_RETRY_MAX_DELAY = 0.4
