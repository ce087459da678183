"""Print what the running release's code uses: its models' columns and its GraphQL SDL.

Run as ``ZDT_RELEASE=X python -m zerodowntime.checks.dump_release OUTPUT.json``: only one
release's models can be loaded per process, so the runner starts one child per release.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from zerodowntime.checks.facts import ModelColumn, ReleaseFacts


def _has_default(field: Any) -> bool:
    """Return True when an insert through this model never sends NULL for ``field``."""
    from django.db.models.fields import AutoFieldMixin

    return bool(
        field.has_default()
        or field.has_db_default()
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or isinstance(field, AutoFieldMixin)
    )


def model_tables(app_label: str) -> dict[str, list[ModelColumn]]:
    """Return the columns each concrete model of ``app_label`` reads and writes, per table."""
    from django.apps import apps

    tables: dict[str, list[ModelColumn]] = {}
    for model in apps.get_app_config(app_label).get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        tables[meta.db_table] = [
            ModelColumn(str(field.column), bool(field.null), _has_default(field))
            for field in meta.concrete_fields
            if not getattr(field, "generated", False)
        ]
    return tables


def release_sdl(release: Any) -> str | None:
    """Return the SDL of ``release``'s ``api.schema``, or None when it has no GraphQL API."""
    try:
        api = release.module("api")
    except ModuleNotFoundError:
        return None
    schema = getattr(api, "schema", None)
    if schema is None:
        return None
    if hasattr(schema, "as_str"):
        return str(schema.as_str())
    from graphql import GraphQLSchema, print_schema

    return print_schema(schema) if isinstance(schema, GraphQLSchema) else str(schema)


def main(argv: list[str]) -> None:
    """Write the running release's facts as JSON to ``argv[0]``."""
    import django

    django.setup()
    from zerodowntime import conf

    manifest, release = conf.release_manifest(), conf.release()
    release.module("models")  # register the release's models, whatever the app's models.py does
    facts = ReleaseFacts(release.version, model_tables(manifest.app_label), release_sdl(release))
    with open(argv[0], "w") as handle:
        json.dump(facts.to_dict(), handle)


if __name__ == "__main__":
    main(sys.argv[1:])
