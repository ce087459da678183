"""The generic rehearsal's clients: processes of each release's code that send ORM traffic.

Each client is ``python -m zerodowntime.rehearsal.orm_client traffic`` run in its release's
checked-out code (:class:`~zerodowntime.deploy.ref_code.RefCode`) as an app server would be:
its heartbeat registers its release, its database sessions are named ``zdt-web-<release>``.
Its operations are read from its output file as they come, labelled with the phase of their
scheduled time; their acknowledgements are kept for the integrity checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from zerodowntime.deploy.ref_code import RefCode
from zerodowntime.rehearsal.cluster import ClusterError
from zerodowntime.rehearsal.records import RequestRecord
from zerodowntime.waiting import WaitTimeout, wait_until

CLIENT_MODULE = "zerodowntime.rehearsal.orm_client"


@dataclass
class OrmClient:
    """One process of one release sending ORM traffic."""

    name: str
    release: str
    popen: subprocess.Popen[bytes]
    log: Path
    out: Path
    offset: int = 0
    ready: bool = False

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """Return the end of the process's log."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


class OrmFleet:
    """Start, stop and roll ORM clients; gather their operations as :class:`RequestRecord` s.

    ``code_for(release)`` gives the release's code; each client sends ``rate`` operations per
    second; ``origin`` is the ``time.monotonic()`` of the rehearsal clock's zero;
    ``phase_at(seconds)`` names the phase an operation scheduled then belongs to; the models of
    ``exclude`` get no traffic.
    """

    def __init__(
        self,
        code_for: Callable[[str], RefCode],
        workdir: Path,
        *,
        rate: float,
        seed: int,
        origin: float,
        phase_at: Callable[[float], str],
        exclude: Sequence[str] = (),
        start_timeout: float = 90.0,
        stop_timeout: float = 20.0,
    ) -> None:
        self.code_for = code_for
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.rate = rate
        self.seed = seed
        self.origin = origin
        self.phase_at = phase_at
        self.exclude = list(exclude)
        # The models a client could not make an instance of (left out of its traffic), and why.
        self.left_out: dict[str, str] = {}
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.clients: list[OrmClient] = []  # running, in rotation
        self._all: list[OrmClient] = []
        self._records: list[RequestRecord] = []
        self._acks: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # What the live progress reads ---------------------------------------------------------

    @property
    def records(self) -> list[RequestRecord]:
        """Return every operation ended so far."""
        self.collect()
        with self._lock:
            return list(self._records)

    @property
    def acknowledgements(self) -> list[dict[str, Any]]:
        """Return every acknowledged write and delete so far, in each client's order."""
        self.collect()
        with self._lock:
            return list(self._acks)

    @property
    def scheduled(self) -> int:
        """Return how many operations have ended so far."""
        return len(self.records)

    @property
    def failed(self) -> int:
        """Return how many operations failed so far."""
        return sum(1 for record in self.records if not record.ok)

    def in_flight(self) -> int:
        """Return the operations in flight (not reported by the clients: 0)."""
        return 0

    # Processes ----------------------------------------------------------------------------

    def start(self, release: str) -> OrmClient:
        """Start a client of ``release`` and wait until it is ready to send."""
        code = self.code_for(release)
        number = len(self._all) + 1
        name = f"{number:02d}-orm-{release}"
        log, out = self.logs / f"{name}.log", self.logs / f"{name}.jsonl"
        env = code.environment()
        env.update(ZDT_PROCESS_ROLE="web", PGAPPNAME=f"zdt-web-{release}"[:63])
        args = ["traffic", "--rate", str(self.rate), "--seed", str(self.seed * 1000 + number)]
        args += ["--origin", repr(self.origin), "--out", str(out.resolve())]
        args += [argument for label in self.exclude for argument in ("--exclude", label)]
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                code.python(CLIENT_MODULE, *args),
                cwd=code.folder,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        client = OrmClient(name, release, popen, log, out)
        with self._lock:
            self._all.append(client)
        self._wait_ready(client)
        self.clients.append(client)
        return client

    def _wait_ready(self, client: OrmClient) -> None:
        def ready() -> bool:
            self.collect()
            if client.ready:
                return True
            if not client.alive():
                raise ClusterError(
                    f"ORM client {client.name} exited with {client.popen.returncode}:\n"
                    + client.log_tail()
                )
            return False

        try:
            wait_until(
                ready, timeout=self.start_timeout, interval=0.1, what=f"{client.name} not ready"
            )
        except WaitTimeout as exc:
            raise ClusterError(str(exc)) from None

    def start_many(self, release: str, count: int) -> None:
        """Start ``count`` clients of ``release``."""
        for _ in range(count):
            self.start(release)

    def stop(self, client: OrmClient) -> None:
        """Stop ``client`` (SIGTERM: it ends its operations in flight), then read its last ones."""
        if client in self.clients:
            self.clients.remove(client)
        if client.alive():
            client.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                client.popen.wait(timeout=self.stop_timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(client.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            client.popen.wait(timeout=10)
        self.collect()

    def roll(self, release: str, on_switch: Callable[[str], None] | None = None) -> None:
        """Replace every client of another release by one of ``release``, one at a time."""
        for old in [c for c in self.clients if c.release != release]:
            new = self.start(release)
            self.stop(old)
            if on_switch is not None:
                on_switch(f"{old.name} -> {new.name}")

    def stop_all(self) -> None:
        """Stop every client."""
        for client in list(self.clients):
            self.stop(client)

    def __enter__(self) -> OrmFleet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    # Output -------------------------------------------------------------------------------

    def collect(self) -> None:
        """Read the complete lines each client wrote since the last call."""
        with self._lock:
            for client in self._all:
                self._read(client)

    def _read(self, client: OrmClient) -> None:
        try:
            with client.out.open("rb") as handle:
                handle.seek(client.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        client.offset += len(complete)
        for line in complete.splitlines():
            entry = json.loads(line)
            if entry.get("ready"):
                client.ready = True
                self.left_out.update(entry.get("left_out") or {})
                continue
            self._records.append(
                RequestRecord(
                    scheduled=entry["scheduled"],
                    started=entry["started"],
                    finished=entry["finished"],
                    phase=self.phase_at(entry["scheduled"]),
                    server=client.name,
                    client_release=client.release,
                    operation=entry["operation"],
                    served_release=client.release,
                    ok=entry["ok"],
                    error=entry["error"],
                )
            )
            if entry["ok"] and entry.get("ack"):
                self._acks.append(entry["ack"])
