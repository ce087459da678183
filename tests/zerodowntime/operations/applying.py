"""Apply one migration operation forwards or backwards, as the migration executor would."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from tests.zerodowntime.operations.conftest import APP


def forwards(
    operation: Operation, state: ProjectState, *, atomic: bool = False
) -> tuple[ProjectState, list[str]]:
    """Apply ``operation``; return the new state and the statements it ran."""
    new = state.clone()
    operation.state_forwards(APP, new)
    with connection.schema_editor(atomic=atomic) as editor:
        operation.database_forwards(APP, editor, state, new)
    return new, [record.sql for record in editor.ddl_records]


def backwards(operation: Operation, state: ProjectState) -> list[str]:
    """Unapply ``operation`` from the state before it; return the statements it ran."""
    new = state.clone()
    operation.state_forwards(APP, new)
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards(APP, editor, new, state)
    return [record.sql for record in editor.ddl_records]


def collected(operation: Operation, state: ProjectState) -> list[str]:
    """Return the SQL ``sqlmigrate`` would print for ``operation``."""
    new = state.clone()
    operation.state_forwards(APP, new)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        operation.database_forwards(APP, editor, state, new)
    return editor.collected_sql[1:]
