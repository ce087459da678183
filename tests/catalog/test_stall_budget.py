"""`zdt migrate` behind a long transaction, with a real app server under load.

A transaction that read ``product_product`` stays open while ``zdt migrate --release 0.1.1``
runs. Each attempt of the migration's ``ALTER TABLE`` waits at most the lock timeout (and the
requests queued behind it with it), then backs off so they run: no request fails, none takes
500 ms, the migration finishes once the transaction ends, and its log names the blocker. A
blocker that outlives the time budget makes the migration fail cleanly, naming it; once the
blocker is gone, the next run succeeds.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest

from tests.catalog.conftest import answers
from tests.conftest import ZdtRun
from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT
from zerodowntime.waiting import WaitTimeout, wait_until

BLOCKER_NAME = "stall-test-blocker"
BLOCKER_QUERY = "SELECT count(*) FROM product_product"
HOLD_SECONDS = 10.0
THREADS = 4
CREATE = 'mutation { productCreate(name: "Stall") { product { id } } }'
READ = "{ products(first: 5) { edges { node { id name } } } }"


@dataclass
class Outcome:
    """One request: when it started and ended, and whether it succeeded."""

    started: float
    ended: float
    ok: bool
    detail: str = ""


@dataclass
class Load:
    """Threads that create and list products, one request after the other, until stopped."""

    base: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, timeout=10) as client:
            number = 0
            while not self.stop.is_set():
                number += 1
                query = CREATE if number % 2 else READ
                started = time.monotonic()
                try:
                    answer = client.post("/graphql/", json={"query": query}, headers=headers)
                    body = answer.json()
                    ok = answer.status_code == 200 and "errors" not in body
                    detail = "" if ok else str(body)[:200]
                except (httpx.HTTPError, ValueError) as exc:
                    ok, detail = False, repr(exc)
                self.outcomes.append(Outcome(started, time.monotonic(), ok, detail))
                time.sleep(0.02)


class Blocker:
    """A transaction on another connection that read the table and stays open."""

    def __init__(self, database_url: str) -> None:
        self.connection = psycopg.connect(database_url, application_name=BLOCKER_NAME)
        self.connection.execute(BLOCKER_QUERY)
        self.pid = self.connection.info.backend_pid
        self.started_at = time.monotonic()
        self.timeout_seconds = 0.2  # the default lock timeout: the first wait began this early
        self.ended_at: float | None = None
        self._timer: threading.Timer | None = None

    def end_after(self, seconds: float) -> None:
        """Roll the transaction back ``seconds`` from now (in the background)."""
        self._timer = threading.Timer(seconds, self.end)
        self._timer.start()

    def end(self) -> None:
        """Roll the transaction back now and close the connection."""
        if self.ended_at is None:
            self.ended_at = time.monotonic()
            self.connection.rollback()
            self.connection.close()

    def close(self) -> None:
        """End the transaction if it is still open, and stop the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()
        self.end()


@pytest.fixture
def served(zdt: ZdtRun, scratch_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Migrate the scratch database to 0.1.0, serve it; yield the base URL and a token."""
    zdt("migrate", "--release", "0.1.0", check=True)
    zdt("populate", "--amount", "2000", check=True)
    token = zdt("token", check=True).stdout.strip().split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [*ZDT, "serve", "--release", "0.1.0", "--port", str(port)]
        + ["--workers", "2", "--threads", "4"],
        env=scratch_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(
                lambda: answers(f"{base}/health/"),
                timeout=60,
                interval=0.2,
                what="the app server did not answer /health/",
            )
        except WaitTimeout as exc:
            pytest.fail(str(exc))
        with httpx.Client(base_url=base, timeout=30) as client:  # load every worker's code
            for query in [CREATE, READ] * 8:
                client.post(
                    "/graphql/", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
                )
        yield base, token
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _columns(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'product_product'::regclass"
            " AND attnum > 0 AND NOT attisdropped"
        ).fetchall()
    return {name for (name,) in rows}


@pytest.mark.timeout(240)
def test_a_long_transaction_stalls_no_request_and_is_named(
    served: tuple[str, str], scratch_env: dict[str, str]
) -> None:
    base, token = served
    load = Load(base, token)
    threads = [threading.Thread(target=load.run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    blocker = Blocker(scratch_env["DATABASE_URL"])
    try:
        time.sleep(1.0)
        migrate = subprocess.Popen(
            [*ZDT, "migrate", "--release", "0.1.1"],
            env=scratch_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert migrate.stderr is not None and migrate.stdout is not None
        lines, waiting = [], None
        for line in migrate.stderr:  # the blocker is held 10 s from the first lock timeout on
            lines.append(line)
            if "lock timeout" in line and blocker.ended_at is None and waiting is None:
                waiting = time.monotonic() - blocker.timeout_seconds
                blocker.end_after(HOLD_SECONDS)
        code = migrate.wait(timeout=120)
        migrated_at = time.monotonic()
        stdout = migrate.stdout.read()
        time.sleep(1.0)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        blocker.close()

    output = stdout + "".join(lines)
    waits = "".join(line for line in lines if "lock timeout" in line)
    assert code == 0, output[-3000:]
    assert blocker.ended_at is not None and migrated_at > blocker.ended_at
    assert blocker.ended_at - blocker.started_at >= HOLD_SECONDS
    assert f"pid {blocker.pid} ({BLOCKER_NAME}, idle in transaction" in waits, output[:3000]
    assert BLOCKER_QUERY in waits
    assert "created_at" in _columns(scratch_env["DATABASE_URL"])
    failed = [o.detail for o in load.outcomes if not o.ok]
    assert len(load.outcomes) > 100, len(load.outcomes)
    assert failed == [], failed[:3]
    # The requests that met the migration: from its first lock wait to its end. (Before it, the
    # migration had taken no lock; the machine's own noise there is not the migration's.)
    assert waiting is not None
    met = [o for o in load.outcomes if o.ended >= waiting and o.started <= migrated_at]
    slowest = max(o.ended - o.started for o in met)
    slow = [
        (round(o.started - waiting, 2), round((o.ended - o.started) * 1000))
        for o in load.outcomes
        if o.ended - o.started > 0.3
    ]
    assert len(met) > 50, len(met)
    assert slowest < 0.5, f"the slowest request took {slowest * 1000:.0f} ms: {slow}"


@pytest.mark.timeout(240)
def test_a_blocker_that_outlives_the_budget_fails_cleanly_then_the_next_run_succeeds(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    zdt("migrate", "--release", "0.1.0", check=True)
    url = scratch_env["DATABASE_URL"]
    scratch_env["ZDT_DDL_TIME_BUDGET"] = "3"
    blocker = Blocker(url)
    try:
        began = time.monotonic()
        refused = zdt("migrate", "--release", "0.1.1")
        took = time.monotonic() - began
    finally:
        blocker.close()

    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    last = refused.stderr.strip().splitlines()[-1]
    assert f"pid {blocker.pid} ({BLOCKER_NAME}, idle in transaction" in last, last
    assert BLOCKER_QUERY in last and "ZDT_DDL_TIME_BUDGET" in last
    assert took < 60
    assert "created_at" not in _columns(url)  # nothing of 0.1.1 applied

    zdt("migrate", "--release", "0.1.1", check=True)
    assert "created_at" in _columns(url)
