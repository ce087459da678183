"""The Celery application of the catalog: broker and tasks of the running release."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")

app = Celery("catalog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["catalog.common", "zerodowntime.background"], related_name="tasks")


def _load_release_tasks() -> None:
    """Import the running release's tasks module, if it has one."""
    from importlib.util import find_spec

    from django.conf import settings

    from catalog.releases.manifest import MANIFEST

    release = MANIFEST.get(settings.ZDT_RELEASE)
    if find_spec(f"{release.package}.tasks") is not None:
        release.module("tasks")


app.on_after_finalize.connect(lambda sender, **_: _load_release_tasks())
