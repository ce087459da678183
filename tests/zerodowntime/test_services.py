"""The embedded PostgreSQL and Redis: start, reuse, stop, and the URLs they publish."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest
import redis

from zerodowntime import services


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state directory of our own, with the session's URLs hidden from the code under test."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    directory = tmp_path / "state"
    yield directory
    services.down(directory)


def test_up_starts_both_servers_and_is_idempotent(state: Path) -> None:
    urls = services.up(state, durable=False)
    assert urls.embedded
    with psycopg.connect(urls.database_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("zdt",)
    assert redis.Redis.from_url(urls.redis_url).ping()
    assert services.up(state, durable=False) == urls
    assert services.resolve_urls(state) == urls
    assert "running" in services.status(state)["postgresql"]


def test_down_stops_both_and_up_restarts_on_the_same_data(state: Path) -> None:
    urls = services.up(state, durable=False)
    with psycopg.connect(urls.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    assert services.down(state) is True
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(urls.database_url, connect_timeout=2)
    assert services.status(state) == {
        "postgresql": "embedded, stopped",
        "redis": "embedded, stopped",
    }
    assert services.down(state) is False
    again = services.up(state, durable=False)
    with psycopg.connect(again.database_url) as conn:
        assert conn.execute("SELECT to_regclass('kept')::text").fetchone() == ("kept",)


def test_a_busy_preferred_port_is_avoided(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(services, "PREFERRED_POSTGRES_PORT", port)
        urls = services.up(state, durable=False)
    assert f":{port}/" not in urls.database_url


def test_unusable_state_directory_is_a_clear_error(tmp_path: Path, state: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(services.ServiceError, match="cannot use .* as the state directory"):
        services.up(blocker / "state")


def test_environment_urls_win_and_need_each_other(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example:5432/x")
    with pytest.raises(services.ServiceError, match="set both DATABASE_URL and REDIS_URL"):
        services.resolve_urls(state)
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    urls = services.resolve_urls(state)
    assert urls is not None and not urls.embedded
    assert services.up(state) == urls
    assert not (state / "postgres").exists()


def test_zdt_env_prints_shell_exports(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from zerodowntime.cli.main import cli

    urls = services.up(state, durable=False)
    monkeypatch.setenv("ZDT_STATE_DIR", str(state))
    result = CliRunner().invoke(cli, ["env"])
    assert result.exit_code == 0
    assert f"export DATABASE_URL={urls.database_url}" in result.output
    assert f"export REDIS_URL={urls.redis_url}" in result.output
    assert os.environ.get("DATABASE_URL") is None


def test_a_restart_keeps_the_ports_while_clients_were_connected_at_the_stop(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from zerodowntime.cli.main import cli

    urls = services.up(state, durable=False)
    # The servers close these connections at their stop: TIME_WAIT sockets stay on their ports.
    database = psycopg.connect(urls.database_url)
    broker = redis.Redis.from_url(urls.redis_url)
    assert broker.ping() and database.execute("SELECT 1").fetchone() == (1,)
    services.down(state)
    database.close()
    broker.close()

    monkeypatch.setenv("ZDT_STATE_DIR", str(state))
    stopped = CliRunner().invoke(cli, ["env"])
    assert stopped.exit_code == 0
    assert "stopped: `zdt up` starts them on these ports" in stopped.output
    assert f"export REDIS_URL={urls.redis_url}" in stopped.output

    assert services.up(state, durable=False) == urls
    running = CliRunner().invoke(cli, ["env"])
    assert "stopped" not in running.output
