"""gunicorn settings ``zdt serve`` loads: ``--config python:zerodowntime.deploy.gunicorn_config``.

Only server hooks live here; the command line of ``zdt serve`` carries every other setting.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Freeze the objects of the loaded application out of the garbage collector's reach.

    A full collection walks every tracked object, and a freshly loaded Django project holds about
    100,000 of them (the URLconf, the models, a GraphQL schema): about 100 ms on a slow core,
    during which none of the worker's threads serves. Those objects live as long as the worker,
    so ``gc.freeze()`` moves them to the permanent generation that collections skip
    (docs/serving.md, "Garbage collection pauses").
    """
    gc.freeze()
