"""Celery tasks shared by every release."""

from celery import shared_task
from django.conf import settings


@shared_task(name="catalog.ping")
def ping() -> dict[str, str]:
    """Answer with the release this worker runs (a health check through the broker)."""
    return {"status": "ok", "release": settings.ZDT_RELEASE}
