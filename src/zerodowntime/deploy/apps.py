"""Django app of the deploy guard (process heartbeats)."""

from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Holds the process heartbeats used by the upgrade guard."""

    name = "zerodowntime.deploy"
    label = "zdt_deploy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Check the toolkit's settings; start the heartbeat of an app server or worker.

        A process whose code is not the release it claims stops here with one sentence. A
        Celery worker asked for a ready file (``ZDT_WORKER_READY_FILE``) writes it once ready.
        """
        import sys

        from django.core import checks

        from zerodowntime import conf
        from zerodowntime.deploy.code_release import ProcessReleaseRefused
        from zerodowntime.deploy.heartbeat import start_from_environment
        from zerodowntime.deploy.worker_ready import mark_when_ready

        checks.register(conf.check_settings)
        try:
            start_from_environment()
        except ProcessReleaseRefused as exc:
            sys.stderr.write(f"Error: {exc}\n")
            raise SystemExit(1) from None
        if conf.environ("ZDT_PROCESS_ROLE") == "worker":
            mark_when_ready()
