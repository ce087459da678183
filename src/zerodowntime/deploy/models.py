"""Durable records of the deploy guard: which processes run which release, and since when."""

from __future__ import annotations

from django.db import models


class ProcessHeartbeat(models.Model):
    """One running app server or worker process and the release it runs."""

    class Role(models.TextChoices):
        WEB = "web", "app server"
        WORKER = "worker", "worker"

    role = models.CharField(max_length=16, choices=Role.choices)
    release = models.CharField(max_length=32)
    pid = models.IntegerField()
    host = models.CharField(max_length=255)
    port = models.IntegerField(null=True, blank=True)
    # The process that started this one (a gunicorn worker's master), to group one server.
    parent_pid = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "pid"], name="zdt_heartbeat_host_pid_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.release} pid {self.pid}@{self.host}"


class DatabaseRelease(models.Model):
    """One move of the database to a release, written by ``zdt migrate`` / ``zdt upgrade``."""

    release = models.CharField(max_length=255)
    recorded_at = models.DateTimeField()
    # Who moved it: user@host, the process id and its command line.
    by = models.CharField(max_length=255)
    pid = models.IntegerField()
    command = models.TextField()

    class Meta:
        db_table = "zdt_database_release"

    def __str__(self) -> str:
        return f"{self.release} at {self.recorded_at:%Y-%m-%d %H:%M:%S} by {self.by}"
