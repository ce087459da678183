"""`zdt check` finds a database without leaving a server running that it started."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from zerodowntime import services
from zerodowntime.cli.check_cmds import _database_available


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the state folder of a project that wants the embedded servers, none configured."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZDT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ZDT_EMBEDDED", "1")
    return tmp_path / "state"


def test_the_projects_stopped_embedded_servers_are_not_started_and_left_running(
    state: Path,
) -> None:
    services.up(state, durable=False, any_port=True)  # `zdt up` once, then `zdt down`
    services.down(state)
    with _database_available():
        url = os.environ["DATABASE_URL"]
        with psycopg.connect(url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not services.embedded_running(state), "the project's servers were started"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)  # the throw-away server is stopped


def test_the_projects_running_embedded_servers_are_used_and_left_running(state: Path) -> None:
    urls = services.up(state, durable=False, any_port=True)
    try:
        with _database_available():
            assert "DATABASE_URL" not in os.environ  # the running servers are found by state
            assert services.resolve_urls() == urls
        assert services.embedded_running(state)
    finally:
        services.down(state)
