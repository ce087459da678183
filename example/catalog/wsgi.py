"""WSGI entry point for gunicorn: refuses to serve with the public development key."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
application = get_wsgi_application()

if not settings.DEBUG and settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the public development key: set SECRET_KEY in the environment to a"
        " secret of your own (or DEBUG=1 on a development machine) before serving."
    )
