"""What a real app server refuses: the public SECRET_KEY, and statements past their timeout."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import psycopg
import pytest
from django.db import connection

from tests.catalog.conftest import Serve
from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT


@pytest.mark.timeout(90)
def test_the_public_secret_key_refuses_to_serve(process_env: dict[str, str]) -> None:
    env = {k: v for k, v in process_env.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [*ZDT, "serve", "--port", str(free_port()), "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the public development key" in result.stderr


@pytest.mark.timeout(120)
def test_an_api_statement_is_cancelled_after_the_statement_timeout(serve: Serve) -> None:
    base = serve(workers=1, threads=2, CATALOG_STATEMENT_TIMEOUT_MS="300")
    dsn = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "USER", "NAME")}
    with psycopg.connect(
        host=dsn["HOST"], port=dsn["PORT"], user=dsn["USER"], dbname=dsn["NAME"]
    ) as locker:
        locker.execute("LOCK TABLE product_product IN ACCESS EXCLUSIVE MODE")
        began = time.monotonic()
        answer = httpx.post(
            f"{base}/graphql/",
            json={"query": "{ products(first: 1) { pageInfo { hasNextPage } } }"},
            timeout=30,
        ).json()
        waited = time.monotonic() - began
        locker.rollback()
    codes = [error["extensions"]["code"] for error in answer.get("errors", [])]
    assert codes == ["QUERY_TIMEOUT"], answer
    assert waited < 2.0


def _trickling(port: int, count: int) -> list[socket.socket]:
    """Open ``count`` connections that announce a 1,000-byte body and send one byte of it."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            b"POST /graphql/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        sockets.append(sock)
    return sockets


@pytest.mark.timeout(120)
def test_slow_clients_hold_no_thread_of_the_asgi_front(serve: Serve) -> None:
    base = serve(workers=2, worker_class="asgi")
    port = int(base.rsplit(":", 1)[1])
    assert httpx.get(f"{base}/health/", timeout=5).status_code == 200
    slow = _trickling(port, 16)
    try:
        time.sleep(0.5)
        for _ in range(3):
            for sock in slow:
                sock.sendall(b" ")
            began = time.monotonic()
            answer = httpx.post(f"{base}/graphql/", json={"query": "{ __typename }"}, timeout=10)
            assert answer.json() == {"data": {"__typename": "Query"}}
            assert time.monotonic() - began < 1.0
            time.sleep(0.3)
    finally:
        for sock in slow:
            sock.close()
