"""Django app of the API tokens."""

from django.apps import AppConfig


class TokensConfig(AppConfig):
    """Holds the hashed API tokens."""

    name = "catalog.tokens"
    label = "tokens"
    default_auto_field = "django.db.models.BigAutoField"
