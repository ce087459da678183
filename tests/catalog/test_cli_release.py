"""The catalog's `zdt populate` and `zdt token` run the database's release unless told otherwise.

An explicit release may be the database's or the one before it; anything else is one sentence
and exit code 1, never a traceback. Each command is a real `zdt` process on a scratch database.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.conftest import ZdtRun

pytestmark = pytest.mark.timeout(300)


def _count(env: dict[str, str]) -> int:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT count(*) FROM product_product").fetchone()
    assert row is not None
    return int(row[0])


def _refused(result: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert result.returncode == 1, result.stderr
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr


def test_populate_and_token_default_to_the_database_release(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    _refused(zdt("populate", "--amount", "5"), "the database is not migrated yet")

    zdt("migrate", "--release", "0.1.0", check=True)
    zdt("populate", "--amount", "40", check=True)  # 0.3.0's code would need product_slugcounter
    assert _count(scratch_env) == 40
    token = zdt("token", "--name", "t", check=True)
    assert len(token.stdout.strip()) >= 20
    _refused(zdt("populate", "--amount", "5", "--release", "0.1.1"), "newer than the database's")

    zdt("migrate", "--release", "0.1.1", check=True)
    zdt("populate", "--amount", "5", "--release", "0.1.0", check=True)  # the previous release
    assert _count(scratch_env) == 45

    zdt("migrate", "--release", "0.2.0", check=True)
    _refused(
        zdt("populate", "--amount", "5", "--release", "0.1.0"),
        "release 0.1.0 is older than 0.1.1, the release before the database's 0.2.0",
    )
    assert _count(scratch_env) == 45
