"""Run a local deployment: app servers and a worker per release, a rolling switch, clean stops.

Processes are ``zdt serve`` / ``zdt worker`` subprocesses, each in its own session so that the
whole process group can be killed when the cluster closes (including on Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from zerodowntime.rehearsal.cpu_groups import CpuShare, shared_group
from zerodowntime.rehearsal.traffic import Rotation
from zerodowntime.services import free_port
from zerodowntime.subprocesses import finish, zdt_command
from zerodowntime.waiting import WaitTimeout, wait_until

EnvFor = Callable[[str, str], dict[str, str]]
# The niceness a process starts at until it is ready (an app server healthy and warmed up, a
# worker registered): its start-up (Python, Django, the project's imports) then takes no CPU
# from the servers in rotation, as a new instance on capacity of its own would not.
STARTING_NICENESS = 10


class ClusterError(RuntimeError):
    """A process of the local deployment did not start or stop as expected."""


@dataclass
class ManagedProcess:
    """One app server or worker started by the cluster."""

    name: str
    role: str
    release: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None
    # A worker's: the file it writes once Celery takes tasks (``ZDT_WORKER_READY_FILE``).
    ready_file: Path | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def address(self) -> str:
        """Return ``127.0.0.1:port`` of an app server."""
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """Return the end of the process's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def terminate(self, timeout: float) -> None:
        """Send SIGTERM (graceful stop), then kill the whole group after ``timeout`` seconds."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill_group()

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


class Cluster:
    """App servers in a :class:`Rotation` and workers, for one release at a time.

    ``env_for(role, release)`` returns the environment of a process of that role and release.
    """

    def __init__(
        self,
        env_for: EnvFor,
        workdir: Path,
        rotation: Rotation,
        *,
        web_workers: int = 2,
        web_threads: int = 4,
        start_timeout: float = 90.0,
        drain_timeout: float = 15.0,
    ) -> None:
        self.env_for = env_for
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.rotation = rotation
        self.web_workers = web_workers
        self.web_threads = web_threads
        self.start_timeout = start_timeout
        self.drain_timeout = drain_timeout
        self.servers: list[ManagedProcess] = []
        self.workers: list[ManagedProcess] = []
        # The throw-away deployment's own key (a project refuses to serve with a public one).
        self.secret_key = secrets.token_urlsafe(50)
        self._count = 0
        # Only a process allowed to give the priority back lowers it (root, or RLIMIT_NICE).
        self.starting_niceness = STARTING_NICENESS if can_restore_priority() else 0
        # One client for every health check: building a client (and its TLS context) per
        # request costs enough CPU to delay the load generator running in this process.
        self.http = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))

    def _spawn(
        self,
        role: str,
        release: str,
        args: list[str],
        port: int | None,
        *,
        ready_file: bool = False,
    ) -> ManagedProcess:
        self._count += 1
        name = f"{self._count:02d}-{role}-{release}" + (f"-{port}" if port else "")
        log = self.logs / f"{name}.log"
        env = self.env_for(role, release)
        env.setdefault("SECRET_KEY", self.secret_key)
        ready = None
        if ready_file:
            ready = log.with_suffix(".ready")
            env["ZDT_WORKER_READY_FILE"] = str(ready)
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                zdt_command(*args),
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        # The child is the leader of a new process group: whatever it starts inherits this.
        set_group_niceness(popen.pid, self.starting_niceness)
        return ManagedProcess(name, role, release, popen, log, port, ready)

    def retire(self, process: ManagedProcess, timeout: float) -> None:
        """Stop ``process`` gracefully at the starting niceness.

        Its shutdown (a Celery worker's, gunicorn's draining workers) then takes no CPU from the
        processes in service, as the shutdown of an instance on capacity of its own would not.
        """
        if self.starting_niceness and process.alive():
            set_group_niceness(process.popen.pid, self.starting_niceness)
        process.terminate(timeout=timeout)

    def ready(self, process: ManagedProcess) -> None:
        """Give ``process`` (and its process group) its normal priority: it is ready to work."""
        if self.starting_niceness and process.alive():
            set_group_niceness(process.popen.pid, 0)

    def start_server(self, release: str) -> ManagedProcess:
        """Start an app server of ``release``; wait until /health/ answers (not in rotation)."""
        port = free_port()
        args = ["serve", "--release", release, "--port", str(port)]
        args += ["--workers", str(self.web_workers), "--threads", str(self.web_threads)]
        server = self._spawn("web", release, args, port)
        self.servers.append(server)
        self._wait_healthy(server)
        self._warm_up(server)
        self.ready(server)
        return server

    def _warm_up(self, server: ManagedProcess) -> None:
        """Send concurrent requests so that every worker thread has loaded the URLconf and the
        schema and opened its database connection (``/health/ready/``) before taking traffic."""
        base = f"http://{server.address}"

        def touch(number: int) -> None:
            with contextlib.suppress(httpx.HTTPError):
                if number % 2:
                    self.http.get(f"{base}/health/ready/", timeout=10)
                else:
                    self.http.post(f"{base}/graphql/", json={"query": "{ __typename }"}, timeout=10)

        threads = self.web_workers * self.web_threads
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(touch, range(4 * threads)))

    def _wait_healthy(self, server: ManagedProcess) -> None:
        def healthy() -> bool:
            if not server.alive():
                raise ClusterError(
                    f"app server {server.name} exited with {server.popen.returncode}:\n"
                    + server.log_tail()
                )
            try:
                answer = self.http.get(f"http://{server.address}/health/", timeout=2).json()
            except (httpx.HTTPError, ValueError):
                return False
            if answer.get("status") == "ok" and answer.get("release") == server.release:
                return True
            raise ClusterError(f"{server.name} answers {answer}, not release {server.release}")

        try:
            wait_until(
                healthy,
                timeout=self.start_timeout,
                interval=0.2,
                what=f"app server {server.name} was not healthy",
            )
        except WaitTimeout as exc:
            raise ClusterError(str(exc)) from None

    def start_servers(self, release: str, count: int) -> list[ManagedProcess]:
        """Start ``count`` app servers of ``release`` and put them into rotation."""
        started = [self.start_server(release) for _ in range(count)]
        for server in started:
            self.rotation.add(server.address)
        return started

    def drain_and_stop(self, server: ManagedProcess) -> float:
        """Take ``server`` out of rotation, wait for its requests in flight, stop it.

        Return the seconds spent waiting for in-flight requests.
        """
        self.rotation.remove(server.address)
        began = time.monotonic()
        with contextlib.suppress(WaitTimeout):
            wait_until(
                lambda: self.rotation.in_flight(server.address) == 0,
                timeout=self.drain_timeout,
                interval=0.01,
                what=f"{server.name} still had requests in flight",
            )
        drained = time.monotonic() - began
        self.retire(server, timeout=30)
        self.servers.remove(server)
        return drained

    def roll(self, release: str, on_switch: Callable[[str], None] | None = None) -> None:
        """Replace every app server by one of ``release``, one at a time."""
        for old in [s for s in self.servers if s.release != release]:
            new = self.start_server(release)
            self.rotation.add(new.address)
            self.drain_and_stop(old)
            if on_switch is not None:
                on_switch(f"{old.name} -> {new.name}")

    def start_worker(self, release: str) -> ManagedProcess:
        """Start a Celery worker with beat for ``release``; it writes a file once ready."""
        args = ["worker", "--release", release, "-c", "1"]
        worker = self._spawn("worker", release, args, None, ready_file=True)
        self.workers.append(worker)
        time.sleep(0.5)
        if not worker.alive():
            raise ClusterError(f"worker {worker.name} exited:\n{worker.log_tail()}")
        return worker

    def stop_workers(self) -> None:
        """Stop every worker (warm shutdown, killed after 20 s)."""
        for worker in self.workers:
            self.retire(worker, timeout=20)
        self.workers.clear()

    def stop_all(self) -> None:
        """Stop every process: servers out of rotation first, then workers."""
        for server in list(self.servers):
            self.rotation.remove(server.address)
            server.terminate(timeout=10)
        self.servers.clear()
        self.stop_workers()
        self.http.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()


def run_aside(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a deployment command (``zdt migrate``) to the end, its output captured as text.

    It runs in a session of its own at the starting niceness: its Python (start-up, the plan, the
    checks) yields the CPU to the processes in service, as a deploy job on a runner of its own
    would; the SQL it sends runs in the database's processes as usual. Raise
    :class:`~zerodowntime.subprocesses.CommandFailed` when it exits non-zero.
    """
    process = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    if can_restore_priority():
        set_group_niceness(process.pid, STARTING_NICENESS)
    return finish(process)


def can_restore_priority() -> bool:
    """Return True when this process may set a niceness back to 0 (root, or RLIMIT_NICE 20)."""
    if os.geteuid() == 0:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or soft >= 20


def set_group_niceness(group: int, niceness: int) -> None:
    """Set the niceness of process group ``group``, the leader of its own session (gone: nothing).

    With the kernel's autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``), each
    session is scheduled as one group against the others and a process's own niceness only ranks
    it within its session: the session's niceness, in ``/proc/<pid>/autogroup``, is set too. Where
    the rehearsal may make an idle CPU group, a group lowered joins it and one set back to 0
    leaves it (:mod:`zerodowntime.rehearsal.cpu_groups`).
    """
    with contextlib.suppress(ProcessLookupError):
        os.setpriority(os.PRIO_PGRP, group, niceness)
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        Path(f"/proc/{group}/autogroup").write_text(str(niceness))
    idle = shared_group(CpuShare.IDLE)
    if idle is not None:
        if niceness:
            idle.admit_group(group)
        else:
            idle.release_group(group)
