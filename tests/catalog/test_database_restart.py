"""A real `zdt serve` under load while the session's PostgreSQL restarts or stops.

After ``pg_ctl restart -m fast`` (under a light load, so that most app threads hold a stale
connection when PostgreSQL is back) every request that starts once PostgreSQL is back succeeds
(persistent connections are health-checked before reuse, none fails on a stale one), and every
product whose creation was acknowledged is in the table. A new connection to a postmaster that
does not answer gives up after the connect timeout, and readiness answers 503 meanwhile.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.test import Client

from catalog.models import Product
from catalog.tokens.services import token_create
from tests.catalog.conftest import Serve
from zerodowntime.services import POSTGRES_SYSTEM_USER, EmbeddedPostgres

pytestmark = pytest.mark.skipif(
    "ZDT_STATE_DIR" not in os.environ
    or not EmbeddedPostgres(Path(os.environ["ZDT_STATE_DIR"])).is_running(),
    reason="needs the embedded PostgreSQL this session started",
)
CREATE = 'mutation { productCreate(name: "Restart") { product { id } } }'
LOAD_SECONDS = 7.0
THREADS = 4


def _postgres() -> EmbeddedPostgres:
    return EmbeddedPostgres(Path(os.environ["ZDT_STATE_DIR"]))


def _pg_ctl(*args: str) -> None:
    """Run the session server's pg_ctl (its log keeps the server's output, not our pipes)."""
    postgres = _postgres()
    user = POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None
    subprocess.run(
        [
            str(postgres.bin_dir() / "pg_ctl"),
            "-D",
            str(postgres.data),
            "-l",
            str(postgres.log),
            *args,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        user=user,
        timeout=60,
    )


@dataclass
class Outcome:
    """One request of the load: when it started and ended, and what it got."""

    started: float
    ended: float
    ok: bool
    created: str | None = None
    detail: str = ""


@dataclass
class Load:
    """Threads that create and read products until stopped."""

    base: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    light: threading.Event = field(default_factory=threading.Event)

    def run(self, index: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self.stop.is_set():
                if index and self.light.is_set():  # only thread 0 sends during the restart
                    time.sleep(0.01)
                    continue
                started = time.monotonic()
                try:
                    answer = client.post(
                        "/graphql/",
                        json={"query": CREATE},
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                    body = answer.json()
                    ok = answer.status_code == 200 and "errors" not in body
                    created = body["data"]["productCreate"]["product"]["id"] if ok else None
                    outcome = Outcome(started, time.monotonic(), ok, created, str(body)[:200])
                except (httpx.HTTPError, ValueError) as exc:
                    outcome = Outcome(started, time.monotonic(), False, detail=repr(exc))
                self.outcomes.append(outcome)
                time.sleep(0.02)


@pytest.fixture
def server(serve: Serve) -> str:
    return serve()


@pytest.mark.timeout(120)
def test_no_request_fails_after_a_restart_and_no_acknowledged_write_is_lost(server: str) -> None:
    load = Load(server, token_create(name="restart"))
    threads = [threading.Thread(target=load.run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2.0)
        # A light load while PostgreSQL restarts: most app threads keep a connection that the
        # restart made stale, and use it again only once PostgreSQL is back.
        load.light.set()
        time.sleep(0.3)
        _pg_ctl("restart", "-m", "fast", "-w", "-t", "60")
        back = time.monotonic()
        load.light.clear()
        time.sleep(LOAD_SECONDS - 2.0)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    connection.close()
    after = [o for o in load.outcomes if o.started >= back]
    failed_after = [o.detail for o in after if not o.ok]
    assert len(after) > 20, f"only {len(after)} requests after the restart"
    assert failed_after == [], failed_after[:3]
    acknowledged = {o.created for o in load.outcomes if o.created}
    stored = {encode for encode in _stored_ids()}
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged writes lost"


def _stored_ids() -> set[str]:
    from catalog.common.global_ids import encode_global_id

    return {encode_global_id("Product", pk) for pk in Product.objects.values_list("pk", flat=True)}


@pytest.mark.timeout(60)
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gives_up_while_the_postmaster_does_not_answer() -> None:
    pid = int((_postgres().data / "postmaster.pid").read_text().splitlines()[0])
    connection.close()
    os.kill(pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        ready = Client().get("/health/ready/")
        waited = time.monotonic() - began
    finally:
        os.kill(pid, signal.SIGCONT)
        connection.close()
    assert ready.status_code == 503
    assert waited < 6.0, f"waited {waited:.1f} s for a connection"
