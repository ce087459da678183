"""The WAL compression of the upgrade's own sessions: set when the role may, put back after."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from django.db import connection

from zerodowntime.db.wal import compressed_wal

pytestmark = pytest.mark.django_db


def wal_compression() -> str:
    """Return the session's ``wal_compression``."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW wal_compression")
        return str(cursor.fetchone()[0])


def test_a_migrations_session_compresses_its_wal_and_puts_the_setting_back() -> None:
    before = wal_compression()
    with connection.schema_editor():
        during = wal_compression()

    assert before == "off"
    assert during == "pglz"
    assert wal_compression() == before


def test_off_leaves_the_servers_setting(settings: Any) -> None:
    settings.ZDT_WAL_COMPRESSION = "off"
    with connection.schema_editor():
        during = wal_compression()

    assert during == "off"


@pytest.mark.parametrize("granted", [False, True])
def test_a_role_without_the_right_keeps_the_servers_setting(
    granted: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="zerodowntime.ddl")
    role = f"zdt_wal_{os.getpid()}"
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER")
        if granted:
            cursor.execute(f"GRANT SET ON PARAMETER wal_compression TO {role}")
        cursor.execute(f"SET ROLE {role}")
    try:
        with compressed_wal(connection):
            during = wal_compression()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    assert during == ("pglz" if granted else "off")
    assert ("this role may not set it" in caplog.text) is not granted
