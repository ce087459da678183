"""An open-loop load generator: requests leave at a fixed rate, whether or not earlier ones ended.

A server that stalls therefore shows up as latency (measured from each request's scheduled
time), never as fewer requests. Requests are spread over the servers in rotation the way a
round-robin load balancer would, and every one is recorded.

Each request opens its own connection (no pool): a connection pool scans its queue on every
request, so with a thousand requests in flight behind a stalled server the generator itself fell
behind and measured its own delay (docs/design.md, §5).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zerodowntime.deploy.middleware import RELEASE_HEADER
from zerodowntime.rehearsal.records import RequestRecord
from zerodowntime.rehearsal.scenario import HttpCall, Operation, Outcome

NO_SERVER = "no server in rotation"
# The most a response's head (status line and headers) may take.
MAX_HEAD_BYTES = 64 * 1024


class ResponseError(Exception):
    """A server answered something that is not an HTTP/1.1 response."""


# What a refused, reset, cut short or garbled connection raises.
TRANSPORT_ERRORS = (OSError, EOFError, asyncio.LimitOverrunError, ResponseError)


async def post(server: str, call: HttpCall) -> tuple[int, dict[str, str], bytes]:
    """Send ``call`` to ``server`` (``host:port``) on a connection of its own; return the answer.

    Returns the status, the headers (names in lower case) and the body. The request is written
    and the response read on asyncio's own streams, with ``Connection: close``: an HTTP client
    library costs four to five times the CPU per request (2.1 to 2.5 ms against 0.5 ms here),
    which the load generator takes from the servers it measures when they share the machine.
    """
    host, port = server.rsplit(":", 1)
    body = json.dumps(call.body).encode()
    headers = {
        "host": server,
        "content-type": "application/json",
        **call.headers,
        "content-length": str(len(body)),
        "connection": "close",
    }
    head = f"POST {call.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    reader, writer = await asyncio.open_connection(host, int(port), limit=MAX_HEAD_BYTES)
    try:
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        status, answer = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        content = await _read_body(reader, answer)
    finally:
        writer.close()
    return status, answer, content


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Return the status and the headers (names in lower case) of a response's head."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise ResponseError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        if line:
            name, colon, value = line.partition(":")
            if not colon:
                raise ResponseError(f"not a header line: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
    return int(rest[:3]), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """Read the body the headers announce: chunked, of a given length, or up to the close."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while size := _number((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # the end of the (empty) trailer
        return b"".join(chunks)
    if "content-length" in headers:
        return await reader.readexactly(_number(headers["content-length"].encode(), 10))
    return await reader.read()


def _number(text: bytes, base: int) -> int:
    """Return a length read from a response, or raise ResponseError."""
    try:
        return int(text.strip(), base)
    except ValueError:
        raise ResponseError(f"not a length: {text[:40]!r}") from None


class Rotation:
    """The servers that receive traffic (``host:port``), and the requests in flight to each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: list[str] = []
        self._next = 0
        self._in_flight: Counter[str] = Counter()

    def add(self, server: str) -> None:
        """Put ``server`` into rotation."""
        with self._lock:
            if server not in self._servers:
                self._servers.append(server)

    def remove(self, server: str) -> None:
        """Take ``server`` out of rotation (requests in flight to it still finish)."""
        with self._lock:
            if server in self._servers:
                self._servers.remove(server)

    def servers(self) -> list[str]:
        """Return the servers in rotation."""
        with self._lock:
            return list(self._servers)

    def acquire(self) -> str | None:
        """Return the next server, round robin, counting the request as in flight."""
        with self._lock:
            if not self._servers:
                return None
            server = self._servers[self._next % len(self._servers)]
            self._next += 1
            self._in_flight[server] += 1
            return server

    def release(self, server: str) -> None:
        """Count one request to ``server`` as finished."""
        with self._lock:
            self._in_flight[server] -= 1

    def in_flight(self, server: str | None = None) -> int:
        """Return the requests in flight to ``server`` (or to all servers)."""
        with self._lock:
            if server is not None:
                return self._in_flight[server]
            return sum(self._in_flight.values())


class TrafficView(Protocol):
    """What the live progress reads from a traffic source while it runs."""

    @property
    def scheduled(self) -> int: ...

    @property
    def records(self) -> list[RequestRecord]: ...

    @property
    def failed(self) -> int: ...

    def in_flight(self) -> int: ...


@dataclass(frozen=True)
class WeightedOperation:
    """An operation of the current mix and the release whose clients send it."""

    client_release: str
    operation: Operation
    weight: float


class OpenLoopTraffic:
    """Send requests at ``rate`` per second from a background thread until stopped."""

    def __init__(
        self,
        *,
        rate: float,
        rotation: Rotation,
        state: Any,
        clock: Callable[[], float],
        timeout: float = 10.0,
        seed: int = 0,
    ) -> None:
        if rate <= 0:
            raise ValueError("the request rate must be positive")
        self.rate = rate
        self.rotation = rotation
        self.state = state
        self.clock = clock
        self.timeout = timeout
        self.records: list[RequestRecord] = []
        self.phase = "start"
        self._mix: list[WeightedOperation] = []
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scheduled = 0
        self._failed = 0

    def set_mix(self, mix: Sequence[WeightedOperation]) -> None:
        """Replace the operations sent from now on."""
        self._mix = [m for m in mix if m.weight > 0]

    def set_phase(self, name: str) -> None:
        """Label the requests scheduled from now on with phase ``name``."""
        self.phase = name

    @property
    def failed(self) -> int:
        """Return how many recorded requests failed so far (counted as they are recorded: the
        live progress asks several times a second, and a scan of every record would hold the
        interpreter away from the generator's thread for longer as the run grows)."""
        return self._failed

    def in_flight(self) -> int:
        """Return the requests in flight to every server."""
        return self.rotation.in_flight()

    def start(self) -> None:
        """Start sending in a background thread."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run()), name="zdt-traffic", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop scheduling and wait for the requests in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)

    def _choose(self) -> tuple[WeightedOperation, HttpCall] | None:
        mix = self._mix
        for _ in range(5):
            if not mix:
                return None
            chosen = self._rng.choices(mix, weights=[m.weight for m in mix])[0]
            call = chosen.operation.build(self.state, self._rng)
            if call is not None:
                return chosen, call
        return None

    async def _run(self) -> None:
        pending: set[asyncio.Task[None]] = set()
        first = self.clock()
        while not self._stop.is_set():
            due = first + self.scheduled / self.rate
            delay = due - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            self.scheduled += 1
            task = asyncio.create_task(self._send(due, self.phase))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending, timeout=self.timeout + 1)

    async def _send(self, due: float, phase: str) -> None:
        chosen = self._choose()
        started = self.clock()
        if chosen is None:
            return
        weighted, call = chosen
        server = self.rotation.acquire()
        served: str | None = None
        if server is None:
            outcome = Outcome(False, NO_SERVER)
        else:
            try:
                async with asyncio.timeout(self.timeout):
                    status, headers, content = await post(server, call)
                served = headers.get(RELEASE_HEADER.lower())
                try:
                    body = json.loads(content)
                except ValueError:
                    body = None
                outcome = weighted.operation.classify(self.state, call, status, body)
            except TimeoutError:
                outcome = Outcome(False, f"TimeoutError: no answer within {self.timeout:g} s")
            except TRANSPORT_ERRORS as exc:
                outcome = Outcome(False, f"{type(exc).__name__}: {exc}"[:300])
            finally:
                self.rotation.release(server)
        self.records.append(
            RequestRecord(
                scheduled=due,
                started=started,
                finished=self.clock(),
                phase=phase,
                server=server or "",
                client_release=weighted.client_release,
                operation=weighted.operation.name,
                served_release=served,
                ok=outcome.ok,
                error=outcome.error,
            )
        )
        if not outcome.ok:
            self._failed += 1


def monotonic_clock() -> Callable[[], float]:
    """Return a clock of seconds since now."""
    origin = time.monotonic()
    return lambda: time.monotonic() - origin
