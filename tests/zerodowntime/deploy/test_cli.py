"""`zdt status`, `zdt schema` and `zdt upgrade` on the real test database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from zerodowntime.cli.main import cli
from zerodowntime.deploy.models import ProcessHeartbeat

FAKE = "tests.zerodowntime.deploy.fake_manifest.MANIFEST"
NEWEST = settings.ZDT_RELEASE  # the test database is migrated to the session's release


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _live(
    role: str, release: str, pid: int, parent_pid: int | None = None, port: int | None = None
) -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.create(
        role=role,
        release=release,
        pid=pid,
        parent_pid=parent_pid,
        port=port,
        host="test",
        started_at=now,
        last_seen=now,
    )


@pytest.mark.django_db
def test_status_shows_one_line_per_server_with_its_workers() -> None:
    _live("web", "0.1.0", 11, parent_pid=10, port=8000)
    _live("web", "0.1.0", 12, parent_pid=10, port=8000)
    _live("web", "0.1.0", 21, parent_pid=20, port=8001)
    _live("worker", "0.1.0", 13, parent_pid=9)
    _live("worker", "0.1.0", 14, parent_pid=9)
    code, output = _invoke("status")
    assert code == 0, output
    assert f"database   release {NEWEST}" in output
    assert "live processes: 5" in output
    lines = [line.strip() for line in output.splitlines() if "release 0.1.0" in line]
    assert lines == [
        "web     release 0.1.0    test on port 8000: master 10, 2 workers (11, 12)",
        "web     release 0.1.0    test on port 8001: master 20, 1 worker (21)",
        "worker  release 0.1.0    test: pid 13",
        "worker  release 0.1.0    test: pid 14",
    ]


@pytest.mark.django_db(transaction=True)
def test_schema_shows_invalid_indexes_not_valid_constraints_and_triggers() -> None:
    with connection.cursor() as cursor:
        # What an interrupted CREATE INDEX CONCURRENTLY leaves behind: an INVALID index.
        cursor.execute("CREATE INDEX zdt_t_broken ON product_product (name)")
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'zdt_t_broken'::regclass"
        )
        cursor.execute(
            "ALTER TABLE product_product ADD CONSTRAINT zdt_t_check CHECK (name <> '') NOT VALID"
        )
        cursor.execute(
            "CREATE FUNCTION zdt_t_noop() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER zdt_t_trigger BEFORE INSERT ON product_product"
            " FOR EACH ROW EXECUTE FUNCTION zdt_t_noop()"
        )
    try:
        code, output = _invoke("schema")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER zdt_t_trigger ON product_product")
            cursor.execute("DROP FUNCTION zdt_t_noop()")
            cursor.execute("ALTER TABLE product_product DROP CONSTRAINT zdt_t_check")
            cursor.execute("DROP INDEX IF EXISTS zdt_t_broken")
    assert code == 0, output
    lines = output.splitlines()
    assert any("created" in line and "timestamp with time zone" in line for line in lines)
    assert any("zdt_t_broken" in line and "INVALID" in line for line in lines)
    assert any("product_product_pkey" in line and "valid" in line for line in lines)
    assert any("zdt_t_check" in line and "NOT VALID" in line for line in lines)
    assert any("zdt_t_trigger" in line and "BEFORE INSERT" in line for line in lines)


@pytest.mark.django_db
def test_schema_of_a_missing_table_is_one_sentence() -> None:
    code, output = _invoke("schema", "--table", "no_such_table")
    assert code == 1
    assert "there is no table 'no_such_table'" in output and "Traceback" not in output


@pytest.mark.django_db
@override_settings(ZDT_RELEASE_MANIFEST=FAKE)
def test_upgrade_refuses_a_jump_and_names_the_path() -> None:
    code, output = _invoke("upgrade", "--to", "0.2.0")
    assert code == 1
    assert "0.1.0 -> 0.1.1 -> 0.2.0" in output


@pytest.mark.django_db
@override_settings(ZDT_RELEASE_MANIFEST=FAKE)
def test_upgrade_refuses_while_an_older_process_is_live() -> None:
    _live("web", "0.0.9", 21)
    code, output = _invoke("upgrade", "--to", "0.1.1")
    assert code == 1
    assert "live processes still run release 0.0.9" in output


@pytest.mark.django_db
@override_settings(ZDT_RELEASE_MANIFEST=FAKE)
def test_upgrade_refuses_while_workers_run() -> None:
    _live("worker", "0.1.0", 31)
    code, output = _invoke("upgrade", "--to", "0.1.1")
    assert code == 1
    assert "stop the workers before migrating" in output


@pytest.mark.django_db
def test_upgrade_to_the_current_release_is_a_noop() -> None:
    code, output = _invoke("upgrade", "--to", NEWEST)
    assert code == 0, output
    assert f"already at release {NEWEST}" in output
