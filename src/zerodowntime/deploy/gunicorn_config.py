"""gunicorn settings ``zdt serve`` loads: ``--config python:zerodowntime.deploy.gunicorn_config``.

Only server hooks live here; the command line of ``zdt serve`` carries every other setting.
"""

from __future__ import annotations

import gc
from typing import Any


def load_urlconf() -> None:
    """Import the Django project's URLconf, and what it imports (views, a GraphQL schema).

    Django imports it on a worker's first request, which would then take the import's time
    (about 0.25 s for the catalog) and leave those objects out of the frozen generation. Nothing
    happens in a process whose Django settings are not configured.
    """
    from django.conf import settings

    if not settings.configured:
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (the property imports the module)


def post_worker_init(worker: Any) -> None:
    """Load the URLconf, then freeze the loaded application out of the garbage collector's reach.

    A full collection walks every tracked object, and a freshly loaded Django project holds about
    100,000 of them (the URLconf, the models, a GraphQL schema): about 100 ms on a slow core,
    during which none of the worker's threads serves. Those objects live as long as the worker,
    so ``gc.freeze()`` moves them to the permanent generation that collections skip
    (docs/serving.md, "Garbage collection pauses").
    """
    load_urlconf()
    gc.freeze()
