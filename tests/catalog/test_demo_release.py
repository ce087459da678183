"""`zdt demo` never takes the database back to an older release (issue 11 item 1)."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import ZdtRun
from zerodowntime.services import free_port

pytestmark = pytest.mark.timeout(300)


def test_demo_of_a_release_behind_the_database_is_refused_and_drops_nothing(
    zdt: ZdtRun, scratch_env: dict[str, str]
) -> None:
    zdt("migrate", "--release", "0.1.1", check=True)
    refused = zdt("demo", "--release", "0.1.0", "--rows", "0", "--port", str(free_port()))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "never migrates backward" in refused.stderr
    assert "`zdt rollback --to 0.1.0`" in refused.stderr
    assert "Traceback" not in refused.stderr
    with psycopg.connect(scratch_env["DATABASE_URL"]) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'product_product' AND column_name IN ('slug', 'created_at')"
        ).fetchone()
    assert columns == (2,)
