"""Head migrations read from migration files' text, without importing them."""

from __future__ import annotations

from zerodowntime.deploy.migration_files import leaf_migrations, read_edges


def _migration(dependencies: str, replaces: str = "") -> str:
    extra = f"    replaces = {replaces}\n" if replaces else ""
    return (
        "from django.conf import settings\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = {dependencies}\n{extra}    operations = []\n"
    )


def test_dependencies_are_read_as_literals_and_the_rest_is_skipped() -> None:
    source = _migration(
        '[("shop", "0001_initial"), migrations.swappable_dependency(settings.AUTH_USER_MODEL),'
        ' ("blog", "__first__")]'
    )
    assert read_edges(source) == ([("shop", "0001_initial"), ("blog", "__first__")], [])


def test_heads_are_the_migrations_nothing_of_the_app_depends_on() -> None:
    files = {
        "0001_initial": _migration("[]"),
        "0002_a": _migration('[("shop", "0001_initial")]'),
        "0002_b": _migration('[("shop", "0001_initial"), ("blog", "0009_x")]'),
    }
    assert leaf_migrations("shop", files) == ("0002_a", "0002_b")
    files["0003_merge"] = _migration('[("shop", "0002_a"), ("shop", "0002_b")]')
    assert leaf_migrations("shop", files) == ("0003_merge",)


def test_a_squash_stands_for_the_migrations_it_replaced_once_they_are_gone() -> None:
    squash = _migration("[]", '[("shop", "0001_initial"), ("shop", "0002_a")]')
    after = _migration('[("shop", "0002_a")]')
    assert leaf_migrations("shop", {"0001_squashed_0002_a": squash, "0003_b": after}) == ("0003_b",)
    with_originals = {
        "0001_initial": _migration("[]"),
        "0002_a": _migration('[("shop", "0001_initial")]'),
        "0001_squashed_0002_a": squash,
    }
    assert leaf_migrations("shop", with_originals) == ("0002_a",)
    assert leaf_migrations("shop", {}) == ()
