"""The pytest plugin under pytest-xdist: one PostgreSQL and Redis per worker, none elsewhere.

A child pytest with ``-n 2`` runs two tests, one per worker; each records the servers it got,
checks they answer, and runs a grandchild session (as the older-release sessions do), which
records the servers it got in turn. The child's controller records what it saw at its end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

CONFTEST = """
import json, os
from pathlib import Path

def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput") and "OUT" in os.environ:
        seen = {"database": os.environ.get("DATABASE_URL")}
        (Path(os.environ["OUT"]) / "controller.json").write_text(json.dumps(seen))
"""

TESTS = """
import json, os, subprocess, sys
from pathlib import Path

import psycopg
import pytest
import redis


def record(name):
    seen = {key: os.environ.get(key) for key in ("DATABASE_URL", "REDIS_URL", "ZDT_STATE_DIR")}
    (Path(os.environ["OUT"]) / f"{name}.json").write_text(json.dumps(seen))
    with psycopg.connect(seen["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(seen["REDIS_URL"]).ping()


def worker(name):
    record(name)
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "zerodowntime.testing.plugin",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:django", "grandchild.py"],
        env=dict(os.environ, GRANDCHILD_OF=name), capture_output=True, text=True,
    )
    assert child.returncode == 0, child.stdout + child.stderr


@pytest.mark.xdist_group("a")
def test_a():
    worker("a")


@pytest.mark.xdist_group("b")
def test_b():
    worker("b")
"""

GRANDCHILD = """
import os
from test_workers import record


def test_grandchild():
    record("grandchild-of-" + os.environ["GRANDCHILD_OF"])
"""


def _accepts(url: str) -> bool:
    address = urlsplit(url)
    with socket.socket() as sock:
        return sock.connect_ex((address.hostname or "", address.port or 0)) == 0


def test_each_worker_gets_its_own_servers_and_a_child_session_its_parents(tmp_path: Path) -> None:
    project, out = tmp_path / "project", tmp_path / "out"
    project.mkdir()
    out.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "conftest.py").write_text(CONFTEST)
    (project / "test_workers.py").write_text(TESTS)
    (project / "grandchild.py").write_text(GRANDCHILD)
    inherited = ("DATABASE_URL", "REDIS_URL", "ZDT_", "PYTEST_", "DJANGO_SETTINGS_MODULE")
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env.update(OUT=str(out), PYTHONPATH=str(project))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "zerodowntime.testing.plugin"]
        + ["-p", "no:cacheprovider", "-p", "no:django", "-n", "2", "--dist", "loadgroup"]
        + ["test_workers.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    seen = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    a, b = seen["a"], seen["b"]
    assert a["DATABASE_URL"] != b["DATABASE_URL"] and a["REDIS_URL"] != b["REDIS_URL"]
    assert a["ZDT_STATE_DIR"] != b["ZDT_STATE_DIR"]
    assert seen["grandchild-of-a"] == a and seen["grandchild-of-b"] == b
    assert seen["controller"] == {"database": None}, "the controller started servers"
    for servers in (a, b):
        assert not _accepts(servers["DATABASE_URL"]) and not _accepts(servers["REDIS_URL"])
        assert not Path(servers["ZDT_STATE_DIR"]).exists()
