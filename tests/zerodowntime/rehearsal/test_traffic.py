"""The open-loop generator: a slow server shows up as latency, never as fewer requests."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from zerodowntime.rehearsal.scenario import HttpCall, Operation
from zerodowntime.rehearsal.traffic import (
    NO_SERVER,
    OpenLoopTraffic,
    Rotation,
    WeightedOperation,
    monotonic_clock,
)
from zerodowntime.waiting import wait_until

STALLING_SERVER = Path(__file__).with_name("stalling_server.py")


class Ping(Operation):
    name = "ping"

    def build(self, state: Any, rng: random.Random) -> HttpCall:
        return HttpCall("{ ping }")


def _server(delay: float, release: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay)
            body = json.dumps({"data": {"ping": "pong"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-ZDT-Release", release)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    slow, fast = _server(0.6, "slow-release"), _server(0.0, "fast-release")
    yield (f"127.0.0.1:{slow.server_port}", f"127.0.0.1:{fast.server_port}")
    slow.shutdown()
    fast.shutdown()


def _run(rotation: Rotation, rate: float, seconds: float) -> tuple[OpenLoopTraffic, float]:
    """Send for ``seconds``; return the generator and the clock time when it was told to stop."""
    clock = monotonic_clock()
    traffic = OpenLoopTraffic(rate=rate, rotation=rotation, state=None, clock=clock)
    traffic.set_mix([WeightedOperation("1.0", Ping(), 1.0)])
    traffic.set_phase("test")
    traffic.start()
    time.sleep(seconds)
    stopped_at = clock()
    traffic.stop()
    return traffic, stopped_at


def test_a_slow_server_shows_up_as_latency_not_as_fewer_requests(
    servers: tuple[str, str],
) -> None:
    slow, _ = servers
    rotation = Rotation()
    rotation.add(slow)
    traffic, stopped_at = _run(rotation, rate=40, seconds=1.0)
    records = sorted(traffic.records, key=lambda r: r.scheduled)
    sending = stopped_at - records[0].scheduled
    # One closed-loop client would have sent 2 requests in 1 s against a 0.6 s server.
    assert abs(len(records) - sending * 40) <= 2
    assert len(records) == traffic.scheduled >= 20
    assert all(r.ok for r in records) and traffic.failed == 0
    assert min(r.latency for r in records) >= 0.6
    gaps = [b.scheduled - a.scheduled for a, b in zip(records, records[1:], strict=False)]
    assert max(abs(gap - 1 / 40) for gap in gaps) < 1e-6, "sends follow the fixed schedule"


def test_requests_are_spread_round_robin_and_record_the_release_served(
    servers: tuple[str, str],
) -> None:
    rotation = Rotation()
    for server in servers:
        rotation.add(server)
    traffic, _ = _run(rotation, rate=40, seconds=0.5)
    by_server = Counter(r.server for r in traffic.records)
    assert set(by_server) == set(servers)
    assert abs(by_server[servers[0]] - by_server[servers[1]]) <= 1
    releases = {r.server: r.served_release for r in traffic.records}
    assert releases == {servers[0]: "slow-release", servers[1]: "fast-release"}
    assert {(r.phase, r.client_release, r.operation) for r in traffic.records} == {
        ("test", "1.0", "ping")
    }
    assert rotation.in_flight() == 0


def test_no_server_in_rotation_is_a_recorded_failure() -> None:
    traffic, _ = _run(Rotation(), rate=20, seconds=0.3)
    assert traffic.records
    assert all(not r.ok and r.error == NO_SERVER for r in traffic.records)
    assert traffic.failed == len(traffic.records)


def test_a_dead_server_is_a_transport_failure() -> None:
    from zerodowntime.services import free_port

    rotation = Rotation()
    rotation.add(f"127.0.0.1:{free_port()}")
    traffic, _ = _run(rotation, rate=20, seconds=0.3)
    assert traffic.records and all(not r.ok for r in traffic.records)
    assert all(r.error and r.error.startswith("ConnectionRefusedError") for r in traffic.records)
    assert traffic.failed == len(traffic.records)


PONG = json.dumps({"data": {"ping": "pong"}}).encode()
# A response's head and body, framed in each way HTTP/1.1 allows, and one that is not HTTP.
FRAMINGS = {
    "length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-ZDT-Release: r\r\n\r\n" % len(PONG)
    + PONG,
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-ZDT-Release: r\r\n\r\n"
    + b"%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\n\r\n" % (5, PONG[:5], len(PONG) - 5, PONG[5:]),
    "close": b"HTTP/1.1 200 OK\r\nX-ZDT-Release: r\r\n\r\n" + PONG,
    "garbled": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
}


def _raw_server(answer: bytes) -> socket.socket:
    """Listen on a free port; answer every connection with ``answer`` and close it."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with client:
                client.recv(65536)
                client.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return listener


@pytest.mark.parametrize("framing", ["length", "chunked", "close", "garbled"])
def test_every_framing_of_a_response_is_read_and_garbage_is_a_failure(framing: str) -> None:
    listener = _raw_server(FRAMINGS[framing])
    rotation = Rotation()
    rotation.add(f"127.0.0.1:{listener.getsockname()[1]}")
    try:
        traffic, _ = _run(rotation, rate=20, seconds=0.3)
    finally:
        listener.close()
    assert traffic.records
    if framing == "garbled":
        assert all(not r.ok and (r.error or "").startswith("ResponseError: not an HTTP/1.x")
                   for r in traffic.records)  # fmt: skip
    else:
        assert all(r.ok and r.served_release == "r" for r in traffic.records)


def test_a_thousand_requests_in_flight_do_not_slow_the_generator_down(tmp_path: Path) -> None:
    from zerodowntime.services import free_port

    port, release = free_port(), tmp_path / "release"
    # The stalled server runs in a process of its own, as a real one would.
    server = subprocess.Popen([sys.executable, str(STALLING_SERVER), str(port), str(release)])
    try:
        wait_until(lambda: _accepts(port), timeout=10, what="the stalling server")
        rotation = Rotation()
        rotation.add(f"127.0.0.1:{port}")
        clock = monotonic_clock()
        traffic = OpenLoopTraffic(rate=250, rotation=rotation, state=None, clock=clock, timeout=15)
        traffic.set_mix([WeightedOperation("1.0", Ping(), 1.0)])
        traffic.start()
        time.sleep(4.0)  # the stall: about a thousand requests wait on the server
        in_flight = rotation.in_flight()
        release.touch()
        released_at = clock()
        time.sleep(3.0)
        stopped_at = clock()
        traffic.stop()
    finally:
        server.kill()
        server.wait()
    assert in_flight >= 800
    # The schedule held through the stall (a pooled client fell a fifth behind here) ...
    assert traffic.scheduled >= 0.95 * 250 * stopped_at
    assert len(traffic.records) == traffic.scheduled
    assert all(r.ok for r in traffic.records)
    # ... and once the server answers, latency falls back (with a pool it stayed at 4 to 8 s).
    later = [r.latency for r in traffic.records if r.scheduled > released_at + 1.5]
    assert len(later) >= 300
    assert max(later) < 3.0, f"the generator fell behind: {max(later):.2f} s after the stall"


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False
