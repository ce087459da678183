"""The lock probe sees a request stuck behind a lock, for how long and behind what."""

from __future__ import annotations

import os
import threading
import time

import psycopg

from zerodowntime.rehearsal.probes import LockProbe
from zerodowntime.rehearsal.traffic import monotonic_clock


def test_probe_measures_a_request_waiting_behind_an_exclusive_lock() -> None:
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS zdt_probe_t; CREATE TABLE zdt_probe_t (id int)")
    probe = LockProbe(url, clock=monotonic_clock(), interval=0.05)
    holder = psycopg.connect(url)
    holder.execute("LOCK TABLE zdt_probe_t IN ACCESS EXCLUSIVE MODE")
    waiter = threading.Thread(
        target=lambda: (
            psycopg.connect(url, application_name="zdt-web-test", autocommit=True)
            .execute("SELECT count(*) FROM zdt_probe_t")
            .fetchall()
        )
    )
    probe.start()
    waiter.start()
    time.sleep(0.6)
    holder.execute("ALTER TABLE zdt_probe_t ADD COLUMN x int")  # the blocker's query
    time.sleep(0.3)
    holder.commit()
    waiter.join(timeout=5)
    time.sleep(0.1)
    probe.stop()
    holder.close()
    longest = max(probe.samples, key=lambda s: s.longest_wait)
    assert 0.6 <= longest.longest_wait < 3
    assert longest.blocked_requests == 1 and longest.waiting == 1
    assert "FROM zdt_probe_t" in longest.query
    assert "ADD COLUMN x" in longest.blocker
    assert probe.sampled >= 10 and probe.errors == 0
    last = probe.samples[-1].at
    assert probe.longest_between(0, last) == longest


def test_probe_keeps_sampling_after_its_connection_is_lost() -> None:
    url = os.environ["DATABASE_URL"]
    probe = LockProbe(url, clock=monotonic_clock(), interval=0.05)
    probe.start()
    time.sleep(0.4)
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'zdt-probe' AND datname = current_database()"
        ).fetchall()
    time.sleep(0.2)
    before = probe.sampled
    time.sleep(0.8)
    probe.stop()
    assert ended == [(True,)]
    assert probe.errors >= 1
    assert probe.sampled >= before + 5, (before, probe.sampled)
