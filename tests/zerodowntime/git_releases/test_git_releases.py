"""Releases from git tags (issue 13): a three-app project whose tags are its releases.

The project (``tagged_project``) is a git repository with tags v1..v4; its commands run in child
processes with the test session's interpreter, on a database of the session's PostgreSQL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zerodowntime.child_project import Run, project_env, query, shell
from tests.zerodowntime.git_releases.tagged_project import write_tagged_project
from zerodowntime.deploy.git_releases import GitReleases

FOLDERS = {"shop": "shop/migrations", "blog": "blog/migrations", "billing": "billing/migrations"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the project's repository, checked out at v4."""
    return write_tagged_project(tmp_path_factory.mktemp("tagged") / "project")


@pytest.fixture(scope="module")
def releases(repo: Path) -> GitReleases:
    """Return the project's releases read from its tags."""
    return GitReleases(repo, ("v*",), FOLDERS)


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """Return the project's environment, on a fresh database dropped afterwards."""
    with project_env("zdt_tagged") as env:
        yield env


def run(command: str, cwd: Path, env: dict[str, str], *, ok: bool = True) -> Run:
    """Run ``command`` in ``cwd``; with ``ok``, fail the test unless it exits 0."""
    result = shell(command, cwd, env)
    if ok:
        assert result.returncode == 0, result.output[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def applied(env: dict[str, str]) -> set[str]:
    """Return the project apps' applied migrations as ``app.name``."""
    rows = query(
        env["DB_NAME"],
        "SELECT app, name FROM django_migrations WHERE app IN ('shop', 'blog', 'billing')",
    )
    return {f"{app}.{name}" for app, name in rows}


def test_each_tag_is_a_release_with_the_heads_of_every_app(releases: GitReleases) -> None:
    manifest = releases.manifest()
    assert manifest.versions == ["v1", "v2", "v3", "v4"]
    assert set(manifest.heads("v1")) == {
        ("shop", "0002_name_index"),
        ("blog", "0001_initial"),
        ("billing", "0001_initial"),
    }
    assert set(manifest.heads("v2")) == {
        ("shop", "0003_product_sku"),
        ("blog", "0002_post_summary"),
        ("billing", "0001_initial"),
    }
    assert manifest.heads("v3") == manifest.heads("v2")  # code only
    assert ("billing", "0002_name_index") in manifest.heads("v4")
    assert set(releases.code_heads()) == set(manifest.heads("v4"))
    assert releases.migrations_at("v1") == {
        ("shop", "0001_initial"),
        ("shop", "0002_name_index"),
        ("blog", "0001_initial"),
        ("billing", "0001_initial"),
    }


def test_a_release_is_checked_out_into_a_cached_worktree(
    repo: Path, releases: GitReleases, tmp_path: Path
) -> None:
    project = releases.materialise("v2", tmp_path / "releases")
    assert not (project / "shop" / "views.py").exists()  # v3's file
    assert (project / "blog" / "migrations" / "0002_post_summary.py").exists()
    assert releases.materialise("v2", tmp_path / "releases") == project
    child = shell(
        f"{sys.executable} -c 'import django; django.setup(); import shop.models as m;"
        " print(sorted(f.name for f in m.Product._meta.fields))'",
        project,
        {**os.environ, "DJANGO_SETTINGS_MODULE": "site_settings", "DB_NAME": "unused"},
    )
    assert child.stdout.strip() == "['id', 'name', 'sku']", child.output


def test_migrate_to_a_tag_gates_every_app_and_records_the_release(
    repo: Path, env: dict[str, str]
) -> None:
    run("zdt migrate --release v1", repo, env)
    assert applied(env) == {
        "shop.0001_initial",
        "shop.0002_name_index",
        "blog.0001_initial",
        "billing.0001_initial",
    }
    status = run("zdt status", repo, env)
    assert "database   release v1 of v1, v2, v3, v4" in status.stdout
    run("zdt migrate --release v2", repo, env)
    # blog's and shop's next migrations, never billing's, which belongs to v4.
    assert applied(env) - {"shop.0001_initial", "shop.0002_name_index"} == {
        "shop.0003_product_sku",
        "blog.0001_initial",
        "blog.0002_post_summary",
        "billing.0001_initial",
    }
    records = query(
        env["DB_NAME"], "SELECT release, by, pid, command FROM zdt_database_release ORDER BY id"
    )
    assert [r[0] for r in records] == ["v1", "v2"]
    release, by, pid, command = records[-1]
    assert "@" in str(by) and int(str(pid)) > 0 and "migrate --release v2" in str(command)


def test_a_tag_without_migrations_is_the_databases_release_only_once_migrated_to(
    repo: Path, env: dict[str, str]
) -> None:
    run("zdt migrate --release v1", repo, env)
    run("zdt migrate --release v2", repo, env)
    assert "database   release v2 of" in run("zdt status", repo, env).stdout
    refused = run("zdt migrate --release v4", repo, env, ok=False)
    assert refused.returncode == 1
    assert "go one release at a time, v2 -> v3 -> v4" in refused.stderr
    moved = run("zdt upgrade --to v3", repo, env)
    assert "from v2 to v3" in moved.stdout, moved.output
    assert "database   release v3 of" in run("zdt status", repo, env).stdout
    assert "already at release v3" in run("zdt upgrade --to v3", repo, env).stdout


def test_a_database_the_toolkit_never_migrated_is_inferred_from_its_migrations(
    repo: Path, env: dict[str, str]
) -> None:
    run("python manage.py migrate shop 0003_product_sku", repo, env)
    run("python manage.py migrate blog 0002_post_summary", repo, env)
    run("python manage.py migrate billing 0001_initial", repo, env)
    run("python manage.py migrate zdt_deploy", repo, env)
    # v2 and v3 share their heads: v3 was never shown to be deployed.
    assert "database   release v2 of" in run("zdt status", repo, env).stdout
    assert query(env["DB_NAME"], "SELECT count(*) FROM zdt_database_release") == [(0,)]


def test_a_process_whose_code_is_not_its_claimed_release_is_refused(
    repo: Path, releases: GitReleases, env: dict[str, str], tmp_path: Path
) -> None:
    run("zdt migrate --release v1", repo, env)
    start = "python -c 'import django; django.setup(); print(\"started\")'"
    process = {**env, "DJANGO_SETTINGS_MODULE": "site_settings", "ZDT_PROCESS_ROLE": "worker"}
    refused = run(start, repo, {**process, "ZDT_RELEASE": "v2"}, ok=False)
    assert refused.returncode == 1 and "started" not in refused.stdout
    assert refused.stderr.strip().splitlines() == [
        "Error: this process claims release v2 (ZDT_RELEASE) but its code is release v4"
        " (migration heads on disk: billing.0002_name_index, blog.0002_post_summary,"
        " shop.0003_product_sku; v2's: billing.0001_initial, blog.0002_post_summary,"
        " shop.0003_product_sku): check out v2's code or leave ZDT_RELEASE unset"
    ]
    assert "started" in run(start, repo, {**process, "ZDT_RELEASE": "v4"}).stdout
    v2 = releases.materialise("v2", tmp_path / "releases")
    assert "started" in run(start, v2, {**process, "ZDT_RELEASE": "v2"}).stdout
    heartbeat = (
        "python -c 'import django; django.setup();"
        " from zerodowntime.deploy.heartbeat import start_from_environment as s;"
        " print(s().release)'"
    )
    # Unclaimed, the release of v2's code is the newest with its heads: v3 (code only).
    assert run(heartbeat, v2, process).stdout.strip() == "v3"


def test_check_since_a_safe_tag_is_quiet_and_the_baseline_never_fails(
    releases: GitReleases, env: dict[str, str], tmp_path: Path
) -> None:
    v2 = releases.materialise("v2", tmp_path / "releases")
    check = run("zdt check --since v1", v2, env)
    assert "OK: 0 error(s), 0 warning(s)" in check.stdout, check.stdout
    assert "of 4 release(s); 2 added since v1, 4 baseline (information only)" in check.stdout
    # v1's code ran on v2's schema: every model made, read, updated and deleted without an error.
    assert "ZDT206" not in check.stdout and "ZDT207" not in check.stdout, check.stdout
    # shop.0002's unsafe index is in the baseline: information, not an error.
    assert "INFO    ZDT101 index-not-concurrent [shop.0002_name_index, release v1]" in check.stdout
    everything = run("zdt check --all", v2, env, ok=False)
    assert everything.returncode == 1
    unsafe_v1 = "ERROR   ZDT101 index-not-concurrent [shop.0002_name_index, release v1]"
    assert unsafe_v1 in everything.stdout


def test_check_since_an_unsafe_tag_names_the_non_concurrent_index(
    repo: Path, env: dict[str, str]
) -> None:
    run("zdt migrate --release v1", repo, env)
    run("zdt migrate --release v2", repo, env)
    run("zdt upgrade --to v3", repo, env)
    # Default: since the database's release (v3).
    check = run("zdt check", repo, env, ok=False)
    assert check.returncode == 1, check.output
    unsafe_v4 = "ERROR   ZDT101 index-not-concurrent [billing.0002_name_index, release v4]"
    assert unsafe_v4 in check.stdout
    assert "1 added since v3" in check.stdout
    assert "ERROR   ZDT101 index-not-concurrent [shop.0002_name_index" not in check.stdout


def test_manage_py_check_deploy_keeps_old_migrations_as_a_baseline(
    repo: Path, releases: GitReleases, env: dict[str, str], tmp_path: Path
) -> None:
    v2 = releases.materialise("v2", tmp_path / "releases")
    run("zdt migrate --release v2", v2, env)
    deploy = run("python manage.py check --deploy", v2, env)
    assert "ZDT101" in deploy.output and "baseline, already at v2" in deploy.output
    assert "billing" not in deploy.output
    # The code of v4 on the same database (at v2): v4's migration fails, v1's stays information.
    failing = run("python manage.py check --deploy", repo, env, ok=False)
    assert failing.returncode == 1, failing.output
    errors = [line for line in failing.stderr.splitlines() if "ERROR" in line or "ZDT101" in line]
    assert any("billing.0002_name_index" in line for line in errors), failing.stderr
    assert "shop.0002_name_index" in failing.stderr and "baseline, already at v2" in failing.stderr
