"""ASGI entry point (`zdt serve --worker-class asgi`): refuses to serve with the public key.

gunicorn's asyncio worker reads each whole request, and Django's ASGI handler its whole body,
before a thread runs the (synchronous) view: a client that trickles its body holds no thread.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
application = get_asgi_application()

from catalog.serving import refuse_public_secret_key  # noqa: E402  (needs the settings)

refuse_public_secret_key()
