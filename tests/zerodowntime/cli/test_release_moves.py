"""`zdt migrate` only moves forward one release at a time; `zdt rollback` goes back, asking first.

Every command runs as a real `zdt` process on its own scratch database.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import ZdtRun

pytestmark = pytest.mark.timeout(300)


def _columns(env: dict[str, str]) -> set[str]:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'product_product'"
        ).fetchall()
    return {name for (name,) in rows}


def _applied(env: dict[str, str]) -> list[str]:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT name FROM django_migrations WHERE app = 'product' ORDER BY name"
        ).fetchall()
    return [name for (name,) in rows]


def _sql(env: dict[str, str], *statements: str) -> None:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_migrate_refuses_to_go_back_and_rollback_shows_what_it_drops_then_asks(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    zdt("migrate", "--release", "0.1.1", check=True)
    _sql(
        scratch_env,
        "INSERT INTO product_product (name, description, created)"
        " VALUES ('a', '{}', now()), ('b', '{}', now()), ('c', '{}', now())",
        "UPDATE product_product SET slug = 'p-' || id WHERE name <> 'c'",
    )
    before = _columns(scratch_env)
    assert {"slug", "created_at"} <= before

    refused = zdt("migrate", "--release", "0.1.0")
    assert refused.returncode == 1
    assert "never migrates backward" in refused.stderr
    assert "`zdt rollback --to 0.1.0`" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _columns(scratch_env) == before

    unanswered = zdt("rollback", "--to", "0.1.0")  # stdin closed: nobody to ask
    assert unanswered.returncode == 1, unanswered.stdout + unanswered.stderr
    assert "column product_product.slug (2 non-NULL values)" in unanswered.stdout
    assert "column product_product.created_at (3 non-NULL values)" in unanswered.stdout
    assert "table product_slugcounter" in unanswered.stdout
    assert "product.0005_product_slug" in unanswered.stdout
    assert "nothing was rolled back" in unanswered.stderr
    assert _columns(scratch_env) == before

    _sql(
        scratch_env,
        "INSERT INTO zdt_deploy_processheartbeat (role, release, pid, host, started_at,"
        " last_seen) VALUES ('web', '0.1.1', 4242, 'elsewhere', now(), now())",
    )
    live = zdt("rollback", "--to", "0.1.0", "--yes")
    assert live.returncode == 1
    assert "live processes run release 0.1.1, newer than 0.1.0" in live.stderr
    assert _columns(scratch_env) == before

    _sql(scratch_env, "DELETE FROM zdt_deploy_processheartbeat")
    done = zdt("rollback", "--to", "0.1.0", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The database is at release 0.1.0." in done.stdout
    assert "slug" not in _columns(scratch_env)
    assert _applied(scratch_env) == ["0001_initial"]


def test_migrate_refuses_a_skipped_release_before_any_ddl_unless_allowed(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    zdt("migrate", "--release", "0.1.0", check=True)
    before = _columns(scratch_env)

    refused = zdt("migrate", "--release", "0.3.0")
    assert refused.returncode == 1
    assert "0.1.0 -> 0.1.1 -> 0.2.0 -> 0.3.0" in refused.stderr
    assert "next: `zdt upgrade --to 0.1.1`" in refused.stderr
    assert _applied(scratch_env) == ["0001_initial"]
    assert _columns(scratch_env) == before

    forced = zdt("migrate", "--release", "0.2.0", "--allow-skip")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "skipping 0.1.1" in forced.stderr
    assert "0013_remove_product_created_from_state" in _applied(scratch_env)


def test_migrate_prints_one_line_per_migration_and_logs_each_statement_to_a_file(
    zdt: ZdtRun, tmp_path: Path
) -> None:
    log = tmp_path / "ddl.log"
    first = zdt("migrate", "--release", "0.1.0", "--log-file", str(log), check=True)
    lines = [line for line in first.stdout.splitlines() if "product.0001_initial" in line]
    assert len(lines) == 1 and "Create model Product" in lines[0], first.stdout
    assert "zerodowntime.ddl" not in first.stdout + first.stderr
    assert 'CREATE TABLE "product_product"' in log.read_text()
    assert f"Each DDL statement is logged in {log}." in first.stdout

    again = zdt("migrate", "--release", "0.1.0", check=True)  # the models are 0.1.1's and newer
    assert "have changes that are not yet reflected" not in again.stdout + again.stderr
    assert "The database is at release 0.1.0." in again.stdout

    verbose = zdt("migrate", "--release", "0.1.1", "-v", check=True)
    slug = [line for line in verbose.stdout.splitlines() if "product.0005_product_slug" in line]
    assert len(slug) == 1 and "ACCESS EXCLUSIVE on product_product, held" in slug[0]
    assert "zerodowntime.ddl: ran in" in verbose.stderr
    assert "Applying product" not in verbose.stdout
