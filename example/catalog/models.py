"""Expose the models of the release this process runs (``settings.ZDT_RELEASE``)."""

from django.conf import settings

from catalog.releases.manifest import MANIFEST

Product = MANIFEST.get(settings.ZDT_RELEASE).module("models").Product

__all__ = ["Product"]
