"""A one-view WSGI application on a minimal Django configuration, served by gunicorn in tests.

It answers what the serving worker holds: the objects its collector has frozen, and whether the
URLconf was imported before any request reached Django.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterable

import django
from django.conf import settings

URLCONF = "tests.zerodowntime.deploy.gunicorn_urls"

if not settings.configured:
    settings.configure(ROOT_URLCONF=URLCONF, SECRET_KEY="not-secret", ALLOWED_HOSTS=["*"])
    django.setup()


def app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    """Answer the frozen count and whether the URLconf module is loaded, as JSON."""
    start_response("200 OK", [("Content-Type", "application/json")])
    answer = {"frozen": gc.get_freeze_count(), "urlconf_loaded": URLCONF in sys.modules}
    return [json.dumps(answer).encode()]
