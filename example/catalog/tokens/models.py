"""The hashed API token table."""

from django.db import models


class ApiToken(models.Model):
    """A bearer token for mutations; only its SHA-256 is stored."""

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
