"""`zdt upgrade` with the manual deployer and with commands that drive real local processes."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from django.test import override_settings

from tests.conftest import ZdtRun
from zerodowntime.cli.main import cli
from zerodowntime.deploy.plan import Action
from zerodowntime.waiting import WaitTimeout, wait_until

FAKE = "tests.zerodowntime.deploy.fake_manifest.MANIFEST"  # the test database is at its 0.1.0
SLEEPER = f"{shlex.quote(sys.executable)} -c 'import time; time.sleep(300)'"


def _alive(pid: int) -> bool:
    """Return True while ``pid`` runs (a zombie left to be reaped does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0").split("\0")


def _pid(path: Path) -> int:
    return int(path.read_text().strip())


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Path]:
    """Return a folder for pid files; kill whatever they name at the end."""
    yield tmp_path
    for pid_file in tmp_path.glob("*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(_pid(pid_file), 9)


def _start(role: str, folder: Path) -> str:
    """Return a command that starts a sleeper named ROLE RELEASE and writes its pid file."""
    return f"{SLEEPER} {role} {{release}} >/dev/null 2>&1 & echo $! > {folder}/{role}.pid"


def _commands(folder: Path) -> dict[str, str]:
    return {
        "stop_workers": f"kill $(cat {folder}/worker.pid) && echo stopped worker",
        "migrate": f"echo migrating to {{release}} > {folder}/migrated",
        "start_workers": _start("worker", folder),
        "roll_app_servers": (
            f"mv {folder}/web.pid {folder}/old-web.pid; {_start('web', folder)};"
            f" kill $(cat {folder}/old-web.pid) && rm {folder}/old-web.pid"
        ),
    }


def _upgrade(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["upgrade", "--to", "0.1.1", *args])
    return result.exit_code, result.output


@pytest.mark.django_db
def test_command_deployer_stops_starts_and_rolls_real_processes(processes: Path) -> None:
    commands = _commands(processes)
    for role in ("worker", "web"):
        subprocess.run(
            _start(role, processes).replace("{release}", "0.1.0"), shell=True, check=True
        )
    old_worker, old_web = _pid(processes / "worker.pid"), _pid(processes / "web.pid")
    assert _alive(old_worker) and _alive(old_web)

    with override_settings(ZDT_RELEASE_MANIFEST=FAKE, ZDT_DEPLOY_COMMANDS=commands):
        code, output = _upgrade("--deployer", "commands", "--background-timeout", "20")

    assert code == 0, output
    assert "with the commands deployer" in output
    new_worker, new_web = _pid(processes / "worker.pid"), _pid(processes / "web.pid")
    assert not _alive(old_worker) and not _alive(old_web), "the old processes were stopped"
    assert _alive(new_worker) and _cmdline(new_worker)[-2:] == ["worker", "0.1.1"]
    assert _alive(new_web) and _cmdline(new_web)[-2:] == ["web", "0.1.1"]
    assert (processes / "migrated").read_text() == "migrating to 0.1.1\n"
    assert "   | stopped worker" in output, "a command's output is printed"
    numbered = [line for line in output.splitlines() if line[:2] in {f"{n}." for n in range(1, 6)}]
    assert numbered == [f"{n}. {action.value} (0.1.1)" for n, action in enumerate(Action, 1)]
    assert "no background migration pending" in output  # no command: the toolkit looked


@pytest.mark.django_db
def test_a_failing_command_stops_the_upgrade_with_its_output(processes: Path) -> None:
    commands = {
        "stop_workers": f"touch {processes}/stopped",
        "migrate": "echo checking {release}; echo 'lost the cluster' >&2; exit 3",
        "start_workers": f"touch {processes}/started",
    }
    with override_settings(ZDT_RELEASE_MANIFEST=FAKE, ZDT_DEPLOY_COMMANDS=commands):
        code, output = _upgrade("--deployer", "commands")
    assert code == 1
    assert (processes / "stopped").exists()
    assert not (processes / "started").exists(), "no step runs after the failed one"
    assert "migrate at 0.1.1: `echo checking 0.1.1;" in output
    assert "exited with 3" in output
    assert output.rstrip().endswith("checking 0.1.1\nlost the cluster")
    assert "Traceback" not in output


@pytest.mark.django_db
def test_commands_deployer_without_commands_is_one_sentence() -> None:
    code, output = _upgrade("--deployer", "commands")
    assert code == 1
    assert "ZDT_DEPLOY_COMMANDS" in output and "Traceback" not in output


def test_an_unknown_deployer_is_one_sentence() -> None:
    result = CliRunner().invoke(cli, ["upgrade", "--to", "0.1.1", "--deployer", "ansible"])
    assert result.exit_code == 2
    assert "'ansible' is neither manual nor commands" in result.output


def _head(env: dict[str, str]) -> str:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT max(name) FROM django_migrations WHERE app = 'product'"
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_manual_deployer_migrates_and_prints_the_steps_that_are_yours(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    zdt("migrate", "--release", "0.1.0", check=True)
    result = zdt("upgrade", "--to", "0.1.1", check=True)
    lines = result.stdout.splitlines()
    assert "Upgrading the database from 0.1.0 to 0.1.1 with the manual deployer:" in lines
    expected = [
        "1. stop the workers (0.1.1)",
        "   no worker is live: done",
        "2. migrate the database (0.1.1)",
    ]
    assert lines[lines.index(expected[0]) : lines.index(expected[0]) + 3] == expected
    assert "   yours to do: start the workers of 0.1.1 (`zdt worker --release 0.1.1`)" in lines
    # 0.1.1 registers two backfills; nothing runs them until its workers start.
    assert "   product_created_at: pending, 0 rows done" in lines, lines
    assert "   product_slug: pending, 0 rows done" in lines, lines
    assert "   the new workers run them: follow them with `zdt status`" in lines
    assert any(line.startswith("   yours to do: for each app server start") for line in lines)
    assert lines[-1] == "The database is at release 0.1.1."
    assert _head(scratch_env) == "0007_register_backfills"


def _stop(pid: int) -> None:
    """Stop a `zdt worker` the way systemd would: SIGTERM, then SIGKILL after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(WaitTimeout):
            wait_until(lambda: not _alive(pid), timeout=30, interval=0.2, what="still running")
        os.kill(pid, signal.SIGKILL)


def _heartbeats(env: dict[str, str]) -> list[tuple[str, str]]:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT role, release FROM zdt_deploy_processheartbeat").fetchall()
    return [(role, release) for role, release in rows]


@pytest.mark.timeout(300)
def test_command_deployer_runs_real_workers_and_waits_for_their_backfills(
    zdt: ZdtRun, scratch_env: dict[str, str], tmp_path: Path
) -> None:
    zdt_worker = f"{shlex.quote(sys.executable)} -c 'from zerodowntime.cli import main; main()'"
    start = (
        f"{zdt_worker} worker --release {{release}} -c 1 > {tmp_path}/worker-{{release}}.log 2>&1"
        f" & echo $! > {tmp_path}/worker.pid"
    )
    commands = {"stop_workers": f"kill $(cat {tmp_path}/worker.pid)", "start_workers": start}
    scratch_env["TEST_DEPLOY_COMMANDS"] = json.dumps(commands)
    scratch_env["DJANGO_SETTINGS_MODULE"] = "tests.zerodowntime.deploy.commands_settings"
    scratch_env["ZDT_HEARTBEAT_INTERVAL"] = "0.5"
    zdt("migrate", "--release", "0.1.0", check=True)
    with psycopg.connect(scratch_env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            "INSERT INTO product_product (name, description, created)"
            " SELECT 'p' || n, '{}', now() FROM generate_series(1, 500) AS n"
        )
    subprocess.run(start.replace("{release}", "0.1.0"), shell=True, env=scratch_env, check=True)
    old = _pid(tmp_path / "worker.pid")
    try:
        result = zdt("upgrade", "--to", "0.1.1", "--deployer", "commands", check=True)
        new = _pid(tmp_path / "worker.pid")
        lines = result.stdout.splitlines()
        assert not _alive(old), "the stop command stopped the old worker"
        assert _alive(new) and new != old
        assert ("worker", "0.1.1") in _heartbeats(scratch_env)
        step = lines.index("4. wait for the background migrations (0.1.1)")
        waited = lines[step + 1 : lines.index("5. roll the app servers one at a time (0.1.1)")]
        assert waited[0].startswith("   product_created_at: "), lines  # progress, then done
        assert all(line.startswith("   product_") for line in waited[:-1]), lines
        assert waited[-1].startswith("   done in "), lines
        with psycopg.connect(scratch_env["DATABASE_URL"]) as conn:
            statuses = conn.execute("SELECT status FROM zdt_background_migration").fetchall()
            missing = conn.execute(
                "SELECT count(*) FROM product_product WHERE slug IS NULL OR created_at IS NULL"
            ).fetchone()
        assert statuses and {status for (status,) in statuses} == {"done"}
        assert missing == (0,), "the new worker backfilled every row before the roll"
    finally:
        _stop(_pid(tmp_path / "worker.pid"))
        _stop(old)
