"""Run the service's integrity checks once the traffic has stopped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from zerodowntime.rehearsal.records import CheckResult
from zerodowntime.rehearsal.scenario import IntegrityCheck


def run_checks(
    database_url: str, checks: Sequence[IntegrityCheck], state: Any
) -> list[CheckResult]:
    """Run every check on its own cursor; a check that raises counts as failed."""
    results = []
    with psycopg.connect(database_url, autocommit=True, application_name="zdt-integrity") as conn:
        for check in checks:
            try:
                with conn.cursor() as cursor:
                    results.append(check.run(cursor, state))
            except psycopg.Error as exc:
                results.append(CheckResult(check.name, CheckResult.FAILED, f"error: {exc}"))
    return results
