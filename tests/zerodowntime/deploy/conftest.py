"""Fixtures for tests that start project processes against the test database."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from zerodowntime.scratch import with_database_name


@pytest.fixture
def process_env(transactional_db: None) -> dict[str, str]:
    """Return the environment of a child process that uses this session's test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = with_database_name(
        os.environ["DATABASE_URL"], connection.settings_dict["NAME"]
    )
    env["ZDT_HEARTBEAT_INTERVAL"] = "0.5"
    return env
