"""Print what the running release's code uses: its models' columns and its GraphQL SDL.

Run as ``ZDT_RELEASE=X python -m zerodowntime.checks.dump_release OUTPUT.json``: only one
release's models can be loaded per process, so the runner starts one child per release. With
git releases the child runs in a ref's worktree (``zerodowntime.deploy.ref_code``) as
``python -m zerodowntime.checks.dump_release OUTPUT.json REF`` and reports the models of every
project app of that code under the name REF.
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


def concrete_models(app_label: str | None) -> list[Any]:
    """Return the concrete, managed models of ``app_label`` (None: of every project app)."""
    from django.apps import apps

    from zerodowntime.project_apps import project_models

    if app_label is None:
        return list(project_models())
    models = apps.get_app_config(app_label).get_models()
    return [model for model in models if not (model._meta.proxy or not model._meta.managed)]


def model_tables(models: list[Any]) -> dict[str, list[ModelColumn]]:
    """Return the columns each of ``models`` reads and writes, per table.

    A model that inherits from a concrete model (multi-table inheritance) has in its own table
    only its own fields and the link to its parent: the fields it inherits are the parent's
    table's columns.
    """
    return {
        model._meta.db_table: [
            ModelColumn(str(field.column), bool(field.null), _has_default(field))
            for field in model._meta.local_concrete_fields
            if not getattr(field, "generated", False)
        ]
        for model in models
    }


def code_facts(version: str, app_label: str | None, sdl: str | None = None) -> ReleaseFacts:
    """Return what the models of ``app_label`` (None: project apps) use, as ``version``'s."""
    models = concrete_models(app_label)
    labels = {model._meta.db_table: model._meta.label for model in models}
    return ReleaseFacts(version, model_tables(models), sdl, models=labels)


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
    """Write the running code's facts to ``argv[0]`` (named ``argv[1]`` for a git ref's code)."""
    import django

    django.setup()
    from zerodowntime import conf

    if len(argv) > 1:  # a git ref's code: every project app, no GraphQL schema
        facts = code_facts(argv[1], None)
    else:
        manifest, release = conf.release_manifest(), conf.release()
        release.module("models")  # register the release's models, whatever models.py does
        facts = code_facts(release.version, manifest.app_label, release_sdl(release))
    with open(argv[0], "w") as handle:
        json.dump(facts.to_dict(), handle)


if __name__ == "__main__":
    main(sys.argv[1:])
