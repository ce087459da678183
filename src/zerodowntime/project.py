"""Locate the Django project the toolkit works on and prepare processes to run it."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zerodowntime.services import ServiceUrls, down, embedded_running, resolve_urls, up


class ProjectError(RuntimeError):
    """The Django project could not be found or configured."""


def _pyproject_setting(key: str) -> str | None:
    pyproject = Path.cwd() / "pyproject.toml"
    if not pyproject.exists():
        return None
    config = tomllib.loads(pyproject.read_text()).get("tool", {}).get("zerodowntime", {})
    value = config.get(key)
    return str(value) if value is not None else None


def project_setting(key: str, env_var: str) -> str:
    """Return a project setting from ``env_var``, else from pyproject's ``[tool.zerodowntime]``."""
    value = os.environ.get(env_var) or _pyproject_setting(key)
    if not value:
        raise ProjectError(
            f"no {key} configured: set {env_var} or add"
            f' [tool.zerodowntime] {key} = "..." to pyproject.toml'
        )
    return value


def settings_module() -> str:
    """Return the Django settings module of the project."""
    return project_setting("django_settings", "DJANGO_SETTINGS_MODULE")


def wants_embedded() -> bool:
    """Return True when the project asks for the embedded servers (``embedded = true``)."""
    value = os.environ.get("ZDT_EMBEDDED") or _pyproject_setting("embedded")
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def ensure_services() -> ServiceUrls | None:
    """Return the URLs in use, or None when the project's own settings name its servers.

    The embedded servers are started only for a project that asks for them (``embedded = true``
    under ``[tool.zerodowntime]``, or ``ZDT_EMBEDDED=1``); servers that ``zdt up`` started are
    used while they run. Nothing is started in a project that did not ask.
    """
    urls = resolve_urls()
    if urls is not None and not urls.embedded:
        return urls
    if wants_embedded():
        return up()
    return urls if urls is not None and embedded_running() else None


def require_services() -> ServiceUrls:
    """Return the URLs in use, or raise :class:`ProjectError` saying how to provide them."""
    urls = ensure_services()
    if urls is None:
        raise ProjectError(
            "no servers configured: set DATABASE_URL and REDIS_URL, or start the embedded"
            " servers with `zdt up` (pip install 'zerodowntime[embedded]')"
        )
    return urls


@contextmanager
def services_for_command(*, keep: bool = False) -> Iterator[ServiceUrls | None]:
    """Yield the URLs in use (None: the project's settings name its servers).

    Stop the embedded servers afterwards if this call started them.
    """
    configured = resolve_urls()
    started_here = (
        wants_embedded() and (configured is None or configured.embedded) and not embedded_running()
    )
    urls = ensure_services()
    try:
        yield urls
    finally:
        if started_here and not keep:
            down()


def process_environment(*, release: str | None = None) -> dict[str, str]:
    """Return the environment for a child process of the project at ``release``."""
    urls = ensure_services()
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE=settings_module(), PYTHONUNBUFFERED="1")
    if urls is not None:
        env.update(DATABASE_URL=urls.database_url, REDIS_URL=urls.redis_url)
    if release:
        env["ZDT_RELEASE"] = release
    return env


def setup_django(*, release: str | None = None) -> None:
    """Configure and set up Django in this process for ``release`` (default: the newest)."""
    _configure(release)
    import django

    django.setup()


def _configure(release: str | None) -> None:
    """Point this process at the project's settings and servers (Django not set up yet)."""
    os.environ.update(process_environment(release=release))
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))


def _database_release() -> str | None:
    """Return the database's release, read before Django's apps are set up."""
    import warnings

    from django.db import connection

    from zerodowntime import conf
    from zerodowntime.deploy.current import current_release

    opened_here = connection.connection is None
    try:
        with warnings.catch_warnings():
            # Only django_migrations is read, no model: the apps need not be ready.
            warnings.filterwarnings("ignore", "Accessing the database during app initialization")
            return current_release(conf.release_manifest(), connection)
    finally:
        if opened_here:
            connection.close()


def running_release(requested: str | None, *, require_migrated: bool = False) -> str | None:
    """Return the release a process of this command runs, and make it this process's release.

    It is the database's release unless ``requested`` (else ``ZDT_RELEASE``) names it or the
    release before it
    (:func:`zerodowntime.deploy.guards.check_process_release` refuses anything else). With
    ``require_migrated``, a database no release migrated yet is refused. Call it before
    :func:`setup_django`, whose ``release`` it returns. A project without a release manifest
    tracks no release: the request is returned unchecked.
    """
    from django.conf import settings

    from zerodowntime import conf
    from zerodowntime.deploy.guards import ReleaseRefused, check_process_release

    _configure(None)
    requested = requested or os.environ.get("ZDT_RELEASE") or None
    if conf.get().release_manifest is None:
        return requested
    database = _database_release()
    if database is None and require_migrated:
        raise ReleaseRefused("the database is not migrated yet: run `zdt migrate` first")
    version = check_process_release(
        conf.release_manifest().versions, database=database, requested=requested
    )
    os.environ["ZDT_RELEASE"] = version
    if hasattr(settings, "ZDT_RELEASE"):
        # A project whose settings read ZDT_RELEASE when they loaded (above) gets it again.
        settings.ZDT_RELEASE = version
    conf.reload()
    return version
