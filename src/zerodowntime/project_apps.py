"""The project's own apps: those whose migrations the toolkit checks and gates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from zerodowntime import conf

if TYPE_CHECKING:
    from django.db.models import Model

_INSTALLED_PACKAGES = {"site-packages", "dist-packages"}
_TOOLKIT_PREFIX = "zerodowntime."


def project_app_labels() -> list[str]:
    """Return the labels of the project's apps, in ``INSTALLED_APPS`` order.

    ``ZDT_PROJECT_APPS`` names them; unset, they are the installed apps whose code does not
    live under site-packages (so Django's contrib apps and third-party apps are left out),
    the toolkit's own apps excepted.
    """
    configured = conf.get().project_apps
    if configured:
        known = {config.label for config in apps.get_app_configs()}
        unknown = sorted(set(configured) - known)
        if unknown:
            raise ImproperlyConfigured(
                f"ZDT_PROJECT_APPS names {', '.join(unknown)}, which INSTALLED_APPS lacks:"
                " list the labels of installed apps"
            )
        return list(configured)
    labels = []
    for config in apps.get_app_configs():
        if config.name.startswith(_TOOLKIT_PREFIX) or config.name == "zerodowntime":
            continue
        if _INSTALLED_PACKAGES & set(Path(config.path).resolve().parts):
            continue
        labels.append(config.label)
    return labels


def project_models() -> list[type[Model]]:
    """Return the concrete, managed models of the project's apps (no proxy, no swapped model)."""
    models: list[type[Model]] = []
    for label in project_app_labels():
        for model in apps.get_app_config(label).get_models():
            meta = model._meta
            if not (meta.proxy or meta.swapped or not meta.managed):
                models.append(model)
    return models
