"""Fixtures for the safe-operation tests: a filled table and the model state describing it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models
from django.db.migrations.state import ModelState, ProjectState

from tests.zerodowntime.locking import execute, use_fast_retries

APP = "zdt_ops_test"
TABLE = "ops_item"


@pytest.fixture(autouse=True)
def fast_retries(settings: Any) -> None:
    """Run every test here with short lock timeouts and back-off."""
    use_fast_retries(settings)


@pytest.fixture
def state(transactional_db: None) -> Iterator[ProjectState]:
    """Create ``ops_item`` (100 rows, ``slug`` and ``created`` filled but nullable)."""
    execute(
        f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, name text NOT NULL, "
        "slug varchar(50) NULL, created timestamptz NULL)"
    )
    execute(
        f"INSERT INTO {TABLE} (name, slug, created) "
        "SELECT 'n' || g, 's' || g, now() FROM generate_series(1, 100) g"
    )
    project = ProjectState()
    project.add_model(
        ModelState(
            APP,
            "Item",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.TextField()),
                ("slug", models.SlugField(null=True, db_index=False)),
                ("created", models.DateTimeField(null=True)),
            ],
            {"db_table": TABLE},
        )
    )
    yield project
    execute(f"DROP TABLE IF EXISTS {TABLE}")
