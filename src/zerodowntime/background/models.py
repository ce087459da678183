"""The durable record of a background migration, kept in PostgreSQL."""

from __future__ import annotations

from django.db import models


class BackgroundMigration(models.Model):
    """Track one named backfill: where it is (cursor), how fast it goes, and how it ended."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    name = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    cursor = models.BigIntegerField(null=True, blank=True, help_text="Last primary key done.")
    batch_size = models.PositiveIntegerField(default=0, help_text="Size of the next batch.")
    rows_done = models.BigIntegerField(default=0, help_text="Rows changed so far.")
    rows_total = models.BigIntegerField(
        null=True, blank=True, help_text="Estimate of the rows to change."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_batch_seconds = models.FloatField(null=True, blank=True)
    total_seconds = models.FloatField(default=0.0, help_text="Time spent inside batches.")
    last_error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "zdt_background_migration"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_done(self) -> bool:
        """Return True when the backfill has reached the end of its table."""
        return self.status == self.Status.DONE

    @property
    def percent(self) -> float | None:
        """Return the progress in percent, None when nothing is known yet."""
        if self.is_done:
            return 100.0
        if not self.rows_total:
            return None
        return min(99.9, 100.0 * self.rows_done / self.rows_total)

    @property
    def rate(self) -> float | None:
        """Return the rows changed per second spent in batches, None before the first batch."""
        if self.total_seconds <= 0:
            return None
        return self.rows_done / self.total_seconds
