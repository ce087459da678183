"""Django app of the deploy guard (process heartbeats)."""

from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Holds the process heartbeats used by the upgrade guard."""

    name = "zerodowntime.deploy"
    label = "zdt_deploy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Start this process's heartbeat when it runs as an app server or worker."""
        from zerodowntime.deploy.heartbeat import start_from_environment

        start_from_environment()
