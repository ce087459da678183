"""The migration chain matches the newest release's models and the manifest."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from catalog.releases.manifest import MANIFEST

pytestmark = pytest.mark.release("0.3.0")


@pytest.mark.django_db
def test_makemigrations_has_nothing_to_add() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_every_release_head_is_in_one_linear_chain() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes(MANIFEST.app_label)
    assert leaves == [(MANIFEST.app_label, MANIFEST.newest.head_migration)]
    chain = [name for app, name in loader.graph.forwards_plan(leaves[0]) if app == "product"]
    positions = [chain.index(release.head_migration) for release in MANIFEST.releases]
    assert positions == sorted(positions)
