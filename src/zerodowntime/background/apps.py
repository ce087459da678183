"""Django app of the background migrations (their durable records)."""

from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    """Holds the BackgroundMigration records."""

    name = "zerodowntime.background"
    label = "zdt_background"
    default_auto_field = "django.db.models.BigAutoField"
