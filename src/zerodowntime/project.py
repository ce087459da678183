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


def ensure_services() -> ServiceUrls:
    """Return the URLs in use, starting the embedded servers when no URL is configured."""
    urls = resolve_urls()
    if urls is None or urls.embedded:
        urls = up()
    return urls


@contextmanager
def services_for_command(*, keep: bool = False) -> Iterator[ServiceUrls]:
    """Yield the URLs in use; stop the embedded servers afterwards if this call started them."""
    configured = resolve_urls()
    started_here = (configured is None or configured.embedded) and not embedded_running()
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
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module(),
        DATABASE_URL=urls.database_url,
        REDIS_URL=urls.redis_url,
        PYTHONUNBUFFERED="1",
    )
    if release:
        env["ZDT_RELEASE"] = release
    return env


def setup_django(*, release: str | None = None) -> None:
    """Configure and set up Django in this process for ``release`` (default: the newest)."""
    os.environ.update(process_environment(release=release))
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    import django

    django.setup()
