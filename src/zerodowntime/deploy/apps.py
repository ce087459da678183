"""Django app of the deploy guard (process heartbeats)."""

from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Holds the process heartbeats used by the upgrade guard."""

    name = "zerodowntime.deploy"
    label = "zdt_deploy"
    default_auto_field = "django.db.models.BigAutoField"
