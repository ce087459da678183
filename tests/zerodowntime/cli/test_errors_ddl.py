"""The CLI turns safe-DDL failures into one sentence."""

from __future__ import annotations

import click
import pytest

from zerodowntime.cli.errors import user_errors
from zerodowntime.ddl import LockRetriesExhausted, StatementRecord
from zerodowntime.operations import NullValuesRemain


def test_lock_retries_exhausted_becomes_one_sentence() -> None:
    record = StatementRecord(
        sql="ALTER TABLE t\n  ADD COLUMN c int",
        lock_timeout="200ms",
        attempts=11,
        elapsed_seconds=300.2,
        budget_seconds=300,
    )
    with pytest.raises(click.ClickException) as caught, user_errors():
        raise LockRetriesExhausted(record, "pid 7 (psql, idle in transaction, ...): SELECT 1")
    assert caught.value.message.startswith(
        "Gave up on `ALTER TABLE t ADD COLUMN c int` after 300.2 s (11 attempts, each waiting"
        " at most 200ms for its lock; the statement was not applied). Blocked by: pid 7 (psql,"
    )
    assert "\n" not in caught.value.message


def test_null_values_remain_becomes_one_sentence() -> None:
    with pytest.raises(click.ClickException, match="still has NULL"), user_errors():
        raise NullValuesRemain('Column "c" of "t" still has NULL values.')
