"""Django app of the deploy guard (process heartbeats)."""

from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Holds the process heartbeats used by the upgrade guard."""

    name = "zerodowntime.deploy"
    label = "zdt_deploy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Check the toolkit's settings; start the heartbeat of an app server or worker."""
        from django.core import checks

        from zerodowntime import conf
        from zerodowntime.deploy.heartbeat import start_from_environment

        checks.register(conf.check_settings)
        start_from_environment()
