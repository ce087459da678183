"""``zdt migrate --release`` applies a git release's migrations in Django's own order.

A real project (NetBox) relies on that order across apps without declaring it: one app's
migration needs a table another app's migration creates, and Django's plan (every app's leaf,
in the order of their labels) happens to apply that one first. Here ``zeta`` is installed before
``alpha`` and its ``0002`` writes into ``alpha_note`` without depending on ``alpha.0002``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zerodowntime.child_project import project_env, query, shell
from tests.zerodowntime.git_releases.tagged_project import (
    RELEASES,
    SETTINGS,
    _add_field,
    _model_migration,
    _models,
    write_tagged_project,
)

ZETA_APPS = """\
from django.apps import AppConfig
from django.db import connection
from django.db.models.signals import post_migrate


def _note(sender, **kwargs):
    if sender.label == "zeta":  # once per migrate command
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO alpha_note VALUES (2)")


class ZetaConfig(AppConfig):
    name = "zeta"

    def ready(self):
        post_migrate.connect(_note)
"""
NOTE_TABLE = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [migrations.RunSQL("CREATE TABLE alpha_note (n integer)", migrations.RunSQL.noop)]
"""
UNDECLARED = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("zeta", "0001_initial")]  # needs alpha.0002 and does not say so
    operations = [migrations.RunSQL("INSERT INTO alpha_note VALUES (1)", migrations.RunSQL.noop)]
"""
PROJECT = {
    "v1": {
        **{
            k: v
            for k, v in RELEASES["v1"].items()
            if k.split("/")[0] in {".gitignore", "manage.py", "pyproject.toml"}
        },
        "site_settings.py": SETTINGS.replace(
            '    "shop",\n    "blog",\n    "billing",\n', '    "zeta",\n    "alpha",\n'
        ),
        "zeta/__init__.py": "",
        "zeta/apps.py": ZETA_APPS,
        "zeta/models.py": _models("Item"),
        "zeta/migrations/__init__.py": "",
        "zeta/migrations/0001_initial.py": _model_migration("zeta", "Item"),
        "zeta/migrations/0002_fill_note.py": UNDECLARED,
        "alpha/__init__.py": "",
        "alpha/models.py": _models("Thing"),
        "alpha/migrations/__init__.py": "",
        "alpha/migrations/0001_initial.py": _model_migration("alpha", "Thing"),
        "alpha/migrations/0002_note.py": NOTE_TABLE,
    },
    "v2": {
        "alpha/models.py": _models("Thing", "colour"),
        "alpha/migrations/0003_thing_colour.py": _add_field(
            "alpha", "0002_note", "thing", "colour"
        ),
    },
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the project's repository, checked out at v2."""
    return write_tagged_project(tmp_path_factory.mktemp("order") / "project", PROJECT)


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """Return the project's environment, on a fresh database dropped afterwards."""
    with project_env("zdt_order") as env:
        yield env


def _migrate(release: str, repo: Path, env: dict[str, str]) -> set[str]:
    result = shell(f"zdt migrate --release {release}", repo, env)
    assert result.returncode == 0, result.output[-3000:]
    rows = query(env["DB_NAME"], "SELECT app, name FROM django_migrations")
    return {f"{app}.{name}" for app, name in rows if app in {"alpha", "zeta"}}


def test_the_release_of_the_code_on_disk_is_django_s_own_migrate(
    repo: Path, env: dict[str, str]
) -> None:
    assert "alpha.0003_thing_colour" in _migrate("v2", repo, env)
    notes = query(env["DB_NAME"], "SELECT n FROM alpha_note ORDER BY n")
    assert notes == [(1,), (2,)]  # zeta.0002 ran after alpha.0002; post_migrate was sent once


def test_an_older_release_than_the_code_stops_every_app_at_its_head_in_django_s_order(
    repo: Path, env: dict[str, str]
) -> None:
    assert _migrate("v1", repo, env) == {
        "alpha.0001_initial",
        "alpha.0002_note",
        "zeta.0001_initial",
        "zeta.0002_fill_note",
    }
