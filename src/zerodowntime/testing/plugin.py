"""pytest plugin: start a throw-away embedded PostgreSQL and Redis for the test session.

Enable it with ``-p zerodowntime.testing.plugin``. When both ``DATABASE_URL`` and ``REDIS_URL``
are set, those servers are used and nothing is started. The servers live in a temporary folder
and are stopped (and the folder removed) when the session ends, so parallel sessions never share.
Without ``SECRET_KEY`` in the environment, the session and its processes get a throw-away one.

Under pytest-xdist (``-n N``) each worker starts servers of its own and the controller, which
runs no test, starts none: a test that restarts PostgreSQL or reads a Redis queue never sees
another worker's. A pytest run inside a test (a child session) uses its parent's servers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

# Which session started the servers named by DATABASE_URL and REDIS_URL (its xdist worker id,
# "" for a session without xdist); unset when they came from the user. A variable of the test
# session, like xdist's PYTEST_XDIST_WORKER, not a setting of the toolkit.
OWNER = "PYTEST_ZDT_SERVERS_OWNER"

_started: Path | None = None


def _session_id() -> str:
    """Return this session's xdist worker id ("" outside xdist, inherited by child sessions)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _distributes(config: pytest.Config) -> bool:
    """Return True when this session is an xdist controller that sends the tests to workers."""
    options = config.known_args_namespace
    distributing = getattr(options, "numprocesses", None) or getattr(options, "tx", None)
    return bool(distributing) and not _session_id()


def _servers_given() -> bool:
    """Return True when the environment names servers this session should use."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        return False
    owner = os.environ.get(OWNER)
    return owner is None or owner == _session_id()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start the servers before pytest-django reads the settings."""
    global _started
    # The session's app servers (a WSGI application refuses a public key) get a throw-away one.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if _servers_given() or _distributes(early_config):
        return
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from zerodowntime import services

    directory = Path(tempfile.mkdtemp(prefix="zdt-test-"))
    urls = services.up(directory, durable=False, any_port=True)
    _started = directory
    os.environ["DATABASE_URL"] = urls.database_url
    os.environ["REDIS_URL"] = urls.redis_url
    os.environ["ZDT_STATE_DIR"] = str(directory)
    os.environ[OWNER] = _session_id()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the servers once the session's fixtures are torn down.

    Not later: an xdist controller ends its workers soon after they report their end, which
    happens right after this hook.
    """
    _stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the servers if the session ended before it finished (a usage error)."""
    _stop()


def _stop() -> None:
    """Stop the servers this session started and remove their folder."""
    global _started
    if _started is None:
        return
    from zerodowntime import services

    services.down(_started)
    shutil.rmtree(_started, ignore_errors=True)
    _started = None
