"""`zdt upgrade` with the manual deployer and with commands that drive real local processes."""

from __future__ import annotations

import contextlib
import os
import shlex
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
