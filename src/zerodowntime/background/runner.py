"""Run a backfill in keyset batches, each in its own short transaction that moves the cursor."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.utils import timezone

from zerodowntime import conf
from zerodowntime.background.base import Backfill
from zerodowntime.background.constants import QUERY_CANCELED
from zerodowntime.background.exceptions import BackfillError, BackfillFailed
from zerodowntime.background.locks import backfill_lock
from zerodowntime.background.maintenance import (
    analyze_if_mostly_changed,
    analyze_if_never_analyzed,
    vacuum_if_mostly_changed,
)
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.records import ensure_record
from zerodowntime.background.registry import get_backfill
from zerodowntime.background.tuning import next_batch_size
from zerodowntime.db.wal import compressed_wal
from zerodowntime.ddl import LOCK_NOT_AVAILABLE, session_setting
from zerodowntime.retrying import backoff, retry

logger = logging.getLogger(__name__)

Status = BackgroundMigration.Status
Progress = Callable[[BackgroundMigration], None]

# A lock_timeout or a statement_timeout is retried with smaller batches.
RETRYABLE_SQLSTATES = {LOCK_NOT_AVAILABLE, QUERY_CANCELED}
TIMEOUT_RETRIES = 5
LOG_EVERY_SECONDS = 10.0


def run_backfill(
    name: str,
    *,
    time_budget: float | None = None,
    progress: Progress | None = None,
    using: str = DEFAULT_DB_ALIAS,
    wait_for_lock: float = 0.0,
) -> BackgroundMigration:
    """Run the background migration ``name`` from its cursor; return its record.

    Stops when the table's current max pk is done (status ``done``) or after ``time_budget``
    seconds (status stays ``running``). Raises BackfillBusy when another session runs it, and
    BackfillFailed (after recording the error) when a batch fails.
    """
    backfill = get_backfill(name)
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackfillError(
            f"background migration {name!r} cannot run inside a transaction, since each batch"
            " commits on its own: in a migration, set atomic = False on the migration"
        )
    # Background work never fans out over the database's cores: a parallel scan (the sweep for
    # late rows, a batch's join) would take every core from the application's queries at once.
    with (
        backfill_lock(connection, name, wait=wait_for_lock),
        session_setting(connection, "max_parallel_workers_per_gather", "0"),
        compressed_wal(connection),
    ):
        runner = BatchRunner(backfill, ensure_record(name, using=using), using=using)
        return runner.run(time_budget=time_budget, progress=progress)


class BatchRunner:
    """Drive one backfill's batches; the caller holds its lock."""

    def __init__(
        self,
        backfill: Backfill,
        record: BackgroundMigration,
        *,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        self.backfill = backfill
        self.record = record
        self.using = using
        self.settings = conf.get()
        self.connection = connections[using]
        self.rows_vacuumed = 0

    # -- the loop -------------------------------------------------------------------------------

    def run(
        self, *, time_budget: float | None = None, progress: Progress | None = None
    ) -> BackgroundMigration:
        """Run batches until done or out of time; return the record."""
        started = time.monotonic()
        last_log = started
        previous_straggler: int | None = None
        try:
            self._begin()
            done_before = self.record.rows_done
            analyzed = False
            while time_budget is None or time.monotonic() - started < time_budget:
                batch_began = time.monotonic()
                if self._batch_with_retries():
                    if progress:
                        progress(self.record)
                    self._pause(time.monotonic() - batch_began)
                    if time.monotonic() - last_log >= LOG_EVERY_SECONDS:
                        last_log = time.monotonic()
                        self._log_progress()
                    continue
                if not analyzed:
                    analyzed = analyze_if_mostly_changed(
                        self.connection,
                        self.backfill.table,
                        self.backfill.name,
                        self.record.rows_done - done_before,
                        lock_timeout=self.settings.background_lock_timeout,
                    )
                straggler = self._first_straggler()
                if straggler is None:
                    self._vacuum()
                    self._finish()
                    break
                if straggler == previous_straggler:
                    raise BackfillError(
                        f"row {self.backfill.pk_column}={straggler} still matches the pending"
                        f" condition ({self.backfill.pending_condition}) after its batch ran:"
                        " process_batch does not change every pending row"
                    )
                previous_straggler = straggler
                self._rewind(straggler - 1)
        except Exception as exc:
            self._fail(exc)
            raise BackfillFailed(
                f"background migration {self.backfill.name!r} failed after"
                f" {self.backfill.pk_column} {self.record.cursor}: {exc}; the error is recorded"
                f" and the next run resumes from there (`zdt backfills run {self.backfill.name}`)"
            ) from exc
        if progress:
            progress(self.record)
        return self.record

    # -- one batch ------------------------------------------------------------------------------

    def _batch_with_retries(self) -> bool:
        """Run one batch, halving the batch size after a lock or statement timeout."""
        return retry(
            self._batch,
            tries=TIMEOUT_RETRIES + 1,
            retry_if=_timed_out,
            pause=lambda number: backoff(number, base=0.1),
            before_retry=self._halve_batch,
        )

    def _pause(self, batch_seconds: float) -> None:
        """Sleep the nice ratio times the batch's duration, leaving the database to others.

        A backfill that runs batches back to back keeps a core of the database (and of the
        worker) busy for as long as it runs; production backfills pause between batches
        (gh-ost's ``--nice-ratio``, GitLab's ``pause_ms``) so the application keeps its share.
        """
        pause = self.settings.background_nice_ratio * batch_seconds
        if pause > 0:
            time.sleep(pause)

    def _halve_batch(self, error: Exception, number: int) -> None:
        """Halve the batch size (not below the minimum) after a timed-out batch."""
        size = max(self.settings.background_min_batch_size, self.record.batch_size // 2)
        logger.warning(
            "%s: batch after %s timed out (%s); retrying with %d rows",
            self.backfill.name,
            self.record.cursor,
            _sqlstate(error),
            size,
        )
        self._update(batch_size=size)

    def _batch(self) -> bool:
        """Process the next pk range and advance the cursor atomically; False at the end."""
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true),"
                " set_config('statement_timeout', %s, true)",
                [self.settings.background_lock_timeout, self.settings.background_statement_timeout],
            )
            record = (
                BackgroundMigration.objects.using(self.using)
                .select_for_update()
                .get(pk=self.record.pk)
            )
            lower = record.cursor if record.cursor is not None else self._lowest_pk(cursor)
            if lower is None:
                return False
            upper = self._upper_bound(cursor, lower, record.batch_size)
            if upper is None:
                return False
            began = time.monotonic()
            changed = self.backfill.process_batch(cursor, lower, upper)
            elapsed = time.monotonic() - began
            record.cursor = upper
            record.rows_done += changed
            record.last_batch_seconds = elapsed
            record.total_seconds += elapsed
            record.batch_size = next_batch_size(
                record.batch_size,
                elapsed,
                target_seconds=self.settings.background_target_seconds,
                minimum=self.settings.background_min_batch_size,
                maximum=self.settings.background_max_batch_size,
            )
            record.save(
                update_fields=[
                    "cursor",
                    "rows_done",
                    "last_batch_seconds",
                    "total_seconds",
                    "batch_size",
                    "updated_at",
                ]
            )
        logger.debug(
            "%s: %s < pk <= %s, %d rows, %.3f s", record.name, lower, upper, changed, elapsed
        )
        self.record = record
        return True

    def _lowest_pk(self, cursor: Any) -> int | None:
        """Return one less than the smallest pk, the cursor before the first batch."""
        table, pk = self.backfill.quoted_table(cursor), self.backfill.quoted_pk(cursor)
        cursor.execute(f"SELECT min({pk}) FROM {table}")
        lowest = cursor.fetchone()[0]
        return None if lowest is None else int(lowest) - 1

    def _upper_bound(self, cursor: Any, lower: int, size: int) -> int | None:
        """Return the pk that ends a batch of ``size`` rows after ``lower`` (None: nothing left)."""
        table, pk = self.backfill.quoted_table(cursor), self.backfill.quoted_pk(cursor)
        cursor.execute(
            f"SELECT {pk} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT 1 OFFSET %s",
            [lower, max(size, 1) - 1],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"SELECT max({pk}) FROM {table} WHERE {pk} > %s", [lower])
            row = cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- start, end, failure --------------------------------------------------------------------

    def _begin(self) -> None:
        """Mark the record running, count the attempt and estimate the rows left."""
        analyze_if_never_analyzed(
            self.connection,
            self.backfill.table,
            self.backfill.name,
            lock_timeout=self.settings.background_lock_timeout,
        )
        record = self.record
        with transaction.atomic(using=self.using):
            record = (
                BackgroundMigration.objects.using(self.using).select_for_update().get(pk=record.pk)
            )
            # A run of a finished backfill only sweeps late rows: it vacuums for what it changes.
            self.rows_vacuumed = record.rows_done if record.status == Status.DONE else 0
            record.status = Status.RUNNING
            record.attempts += 1
            record.started_at = record.started_at or timezone.now()
            record.finished_at = None
            record.batch_size = (
                record.batch_size or self.backfill.batch_size or self.settings.background_batch_size
            )
            record.rows_total = record.rows_done + self._estimate_left(record.cursor)
            record.save()
        self.record = record
        where = (
            "the start" if record.cursor is None else f"{self.backfill.pk_column} {record.cursor}"
        )
        logger.info(
            "%s: running from %s, about %d rows to go, batches of %d",
            record.name,
            where,
            record.rows_total - record.rows_done,
            record.batch_size,
        )

    def _estimate_left(self, after: int | None) -> int:
        """Return the planner's estimate of the pending rows after ``after`` (no table scan)."""
        with self.connection.cursor() as cursor:
            table, pk = self.backfill.quoted_table(cursor), self.backfill.quoted_pk(cursor)
            query = f"SELECT 1 FROM {table} WHERE ({self.backfill.pending_condition})"
            params: list[int] = []
            if after is not None:
                query += f" AND {pk} > %s"
                params.append(after)
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def _first_straggler(self) -> int | None:
        """Return the lowest pk at or below the cursor still pending (committed after its batch)."""
        if self.record.cursor is None:
            return None
        with self.connection.cursor() as cursor:
            table, pk = self.backfill.quoted_table(cursor), self.backfill.quoted_pk(cursor)
            cursor.execute(
                f"SELECT min({pk}) FROM {table}"
                f" WHERE ({self.backfill.pending_condition}) AND {pk} <= %s",
                [self.record.cursor],
            )
            row = cursor.fetchone()
        if row[0] is not None:
            logger.warning(
                "%s: row %s committed after its batch ran; sweeping again from there",
                self.backfill.name,
                row[0],
            )
        return None if row[0] is None else int(row[0])

    def _rewind(self, cursor: int) -> None:
        """Move the cursor back so the next batches sweep rows committed late."""
        self._update(cursor=cursor)

    def _vacuum(self) -> None:
        """VACUUM the table before the record says done, when the backfill changed much of it.

        Before, not after: whoever waits for ``done`` (the next release's migration) must not
        meet this VACUUM's lock, nor autovacuum's one on the same dead rows.
        """
        if self.settings.background_vacuum:
            vacuum_if_mostly_changed(
                self.connection,
                self.backfill.table,
                self.backfill.name,
                self.record.rows_done - self.rows_vacuumed,
                lock_timeout=self.settings.background_lock_timeout,
            )

    def _finish(self) -> None:
        """Mark the record done."""
        self._update(
            status=Status.DONE,
            finished_at=timezone.now(),
            rows_total=self.record.rows_done,
            last_error="",
        )
        logger.info(
            "%s: done, %d rows in %.1f s of batches",
            self.backfill.name,
            self.record.rows_done,
            self.record.total_seconds,
        )

    def _fail(self, exc: BaseException) -> None:
        """Record the error and mark the record failed, without masking ``exc``."""
        message = f"{type(exc).__name__}: {exc}".strip()[:2000]
        logger.error("%s: failed after %s: %s", self.backfill.name, self.record.cursor, message)
        try:
            self._update(status=Status.FAILED, last_error=message)
        except Exception:  # the database itself may be gone; the original error matters more
            logger.exception("%s: could not record the failure", self.backfill.name)

    def _update(self, **fields: Any) -> None:
        """Save ``fields`` on the record in a transaction of their own."""
        with transaction.atomic(using=self.using):
            for field, value in fields.items():
                setattr(self.record, field, value)
            self.record.save(update_fields=[*fields, "updated_at"])

    def _log_progress(self) -> None:
        record = self.record
        logger.info(
            "%s: %d rows done (%s), pk %s, batch %d, %.0f rows/s",
            record.name,
            record.rows_done,
            "?" if record.percent is None else f"{record.percent:.1f}%",
            record.cursor,
            record.batch_size,
            record.rate or 0.0,
        )


def _sqlstate(error: Exception) -> str | None:
    """Return the SQLSTATE of a database error raised through Django."""
    return getattr(error.__cause__, "sqlstate", None)


def _timed_out(error: Exception) -> bool:
    """Return True for a batch cancelled by its lock or statement timeout."""
    return isinstance(error, OperationalError) and _sqlstate(error) in RETRYABLE_SQLSTATES
