"""pytest plugin: start a throw-away embedded PostgreSQL and Redis for the test session.

Enable it with ``-p zerodowntime.testing.plugin``. When both ``DATABASE_URL`` and ``REDIS_URL``
are set, those servers are used and nothing is started. The servers live in a temporary folder
and are stopped (and the folder removed) when the session ends, so parallel sessions never share.
Without ``SECRET_KEY`` in the environment, the session and its processes get a throw-away one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

_started: Path | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start the servers before pytest-django reads the settings."""
    global _started
    # The session's app servers (a WSGI application refuses a public key) get a throw-away one.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from zerodowntime import services

    directory = Path(tempfile.mkdtemp(prefix="zdt-test-"))
    urls = services.up(directory, durable=False)
    _started = directory
    os.environ["DATABASE_URL"] = urls.database_url
    os.environ["REDIS_URL"] = urls.redis_url
    os.environ["ZDT_STATE_DIR"] = str(directory)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the servers this session started and remove their folder."""
    global _started
    if _started is None:
        return
    from zerodowntime import services

    services.down(_started)
    shutil.rmtree(_started, ignore_errors=True)
    _started = None
