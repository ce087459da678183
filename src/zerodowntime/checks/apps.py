"""Django app of the checks: registers the system check."""

from __future__ import annotations

from django.apps import AppConfig


class ChecksConfig(AppConfig):
    """Register ``zdt check`` as a Django deploy check (``manage.py check --deploy``)."""

    name = "zerodowntime.checks"
    label = "zdt_checks"
    verbose_name = "zero-downtime checks"

    def ready(self) -> None:
        """Register the system check."""
        from zerodowntime.checks import system_checks

        system_checks.register()
