"""A child process runs a git release's own code, on another database of the same server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.zerodowntime.git_releases.tagged_project import write_tagged_project
from zerodowntime.deploy.git_releases import GitReleases
from zerodowntime.deploy.ref_code import RefCode, database_overlay

FOLDERS = {"shop": "shop/migrations", "blog": "blog/migrations", "billing": "billing/migrations"}
SHOW = (
    "import os, django; django.setup(); from django.conf import settings; import shop.models as m;"
    " print(settings.DATABASES['default']['NAME'], os.environ['ZDT_RELEASE'],"
    " sorted(f.name for f in m.Product._meta.fields))"
)


def test_the_child_imports_the_release_from_its_worktree_on_the_overlay_database(
    tmp_path: Path,
) -> None:
    repo = write_tagged_project(tmp_path / "project")  # checked out at v4
    folder = GitReleases(repo, ("v*",), FOLDERS).materialise("v1", tmp_path / "releases")
    module = database_overlay(tmp_path / "overlay", "site_settings", "zdt_scratch")
    code = RefCode("v1", folder, module, (tmp_path / "overlay",))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZDT_", "DJANGO_"))}
    base.update(DB_NAME="the_projects_own", PYTHONPATH=str(repo))
    env = code.environment(base)
    assert env["PYTHONPATH"].split(os.pathsep)[:2] == [str(folder), str(tmp_path / "overlay")]
    ran = code.run([sys.executable, "-c", SHOW], base)
    # v1's Product has no sku (v2 adds it); the project's own database name is replaced.
    assert ran.stdout.strip() == "zdt_scratch v1 ['id', 'name']", ran.stdout
