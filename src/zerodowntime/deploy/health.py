"""Health views for load balancers: liveness (cheap) and readiness (the database answers).

Include them in a project's URLconf with one line::

    path("health/", include("zerodowntime.deploy.urls")),

``GET /health/`` (liveness) answers 200 while the process can serve HTTP; it touches nothing
else, so a process manager restarts the process only when it is really stuck.
``GET /health/ready/`` (readiness) also runs ``SELECT 1`` on the default database and answers
503 when that fails, so a load balancer takes the server out of rotation while PostgreSQL is
down or unreachable, and back in when it answers again. Both name the release the process runs.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from zerodowntime import conf

logger = logging.getLogger(__name__)


def _release() -> str:
    return conf.release_version()


def live(request: HttpRequest) -> JsonResponse:
    """Answer 200 with the release this process runs, without touching the database."""
    return JsonResponse({"status": "ok", "release": _release()})


def ready(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers ``SELECT 1``, else 503."""
    release = _release()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness: the database does not answer: %s", exc)
        body = {"status": "unavailable", "release": release, "database": type(exc).__name__}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "release": release, "database": "ok"})
