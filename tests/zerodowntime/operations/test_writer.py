"""Every safe operation survives a round trip through Django's migration writer."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import migrations, models
from django.db.migrations.writer import MigrationWriter

from zerodowntime.operations import (
    AttachUniqueConstraint,
    CreateIndexConcurrently,
    CreateUniqueIndexConcurrently,
    SetNotNullSafely,
)

OPERATIONS = [
    CreateIndexConcurrently("product", models.Index(fields=["name", "slug"], name="product_index")),
    CreateUniqueIndexConcurrently("product_product", "product_slug_uniq", ["slug"]),
    AttachUniqueConstraint("product_product", "product_slug_uniq"),
    AttachUniqueConstraint("product_product", "product_slug_uniq", "product_slug_key"),
    SetNotNullSafely("product", "created_at", models.DateTimeField(auto_now_add=True)),
]


def written(operation: Any) -> Any:
    """Write a migration holding ``operation``, execute its code, return the read operation."""
    migration = type("Migration", (migrations.Migration,), {"operations": [operation]})(
        "0099_test", "product"
    )
    code = MigrationWriter(migration).as_string()
    namespace: dict[str, Any] = {}
    exec(compile(code, "0099_test.py", "exec"), namespace)  # noqa: S102
    (read,) = namespace["Migration"].operations
    return read


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.describe())
def test_round_trip_through_the_migration_writer(operation: Any) -> None:
    read = written(operation)
    assert type(read) is type(operation)
    name, args, kwargs = read.deconstruct()
    assert (name, args) == (type(operation).__name__, [])
    original = operation.deconstruct()[2]
    for key, value in kwargs.items():
        if isinstance(value, models.Field):
            assert value.deconstruct()[1:] == original[key].deconstruct()[1:]
        else:
            assert value == original[key]
    assert read.describe() == operation.describe()
    assert read.migration_name_fragment == operation.migration_name_fragment
