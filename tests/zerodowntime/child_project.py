"""Drive a Django project that is not the catalog in child processes, on the session's server.

Shared by the tests that build a project of their own (``adoption``, ``git_releases``): its
settings read ``DB_*`` variables naming a database of the test session's PostgreSQL, and its
commands run as shell lines in its folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from zerodowntime.scratch import scratch_database, with_database_name

BIN = str(Path(sys.executable).parent)  # python and zdt of the test session


@dataclass
class Run:
    """What one command printed."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        """Return stdout and stderr together."""
        return self.stdout + self.stderr


def database_env(database: str) -> dict[str, str]:
    """Return a project's own ``DB_*`` variables for ``database`` on the session's PostgreSQL."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return {
        "DB_NAME": database,
        "DB_HOST": url.hostname or "127.0.0.1",
        "DB_PORT": str(url.port or 5432),
        "DB_USER": url.username or "postgres",
        "DB_PASSWORD": url.password or "",
    }


@contextmanager
def project_env(prefix: str) -> Iterator[dict[str, str]]:
    """Yield a child project's environment on a fresh database ``prefix_<random>``, then drop it.

    The session's ``ZDT_*``, ``DJANGO_*``, ``DATABASE_URL`` and ``REDIS_URL`` are left out (the
    project reads its ``DB_*`` variables); ``PATH`` starts with the session's python and zdt.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZDT_", "DJANGO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    clean["PATH"] = f"{BIN}{os.pathsep}{clean.get('PATH', '')}"
    with scratch_database(os.environ["DATABASE_URL"], name):
        yield {**clean, **database_env(name)}


def database_url(database: str) -> str:
    """Return the URL of ``database`` on the session's PostgreSQL."""
    return with_database_name(os.environ["DATABASE_URL"], database)


def query(database: str, sql: str) -> list[tuple[object, ...]]:
    """Return the rows of ``sql`` run on ``database``."""
    with psycopg.connect(database_url(database)) as conn:
        return conn.execute(sql).fetchall()


def shell(command: str, cwd: Path, env: dict[str, str]) -> Run:
    """Run ``command`` with bash in ``cwd`` and return what it printed."""
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return Run(command, result.returncode, result.stdout, result.stderr, time.monotonic() - started)
