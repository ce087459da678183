"""What the WSGI and ASGI entry points check before they serve."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_public_secret_key() -> None:
    """Raise unless DEBUG is on or SECRET_KEY is not the public development key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is the public development key: set SECRET_KEY in the environment to a"
            " secret of your own (or DEBUG=1 on a development machine) before serving."
        )
