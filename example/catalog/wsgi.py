"""WSGI entry point for gunicorn (`zdt serve`): refuses to serve with the public key."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
application = get_wsgi_application()

from catalog.serving import refuse_public_secret_key  # noqa: E402  (needs the settings)

refuse_public_secret_key()
