"""The head migrations of an app read from its migration files, without importing them.

A release's code may not import in this process (another Django, another release's models),
so the files are parsed with :mod:`ast`: each ``Migration`` class's ``dependencies`` and
``replaces`` are literal lists of ``(app_label, name)`` pairs, and an app's heads are its
migrations no other migration of the app depends on.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

_MIGRATION_FILE = re.compile(r"^(?!_)\w+\.py$")


def is_migration_file(filename: str) -> bool:
    """Return True for a migration module's file name (``0002_x.py``, not ``__init__.py``)."""
    return bool(_MIGRATION_FILE.match(filename))


def _pairs(node: ast.expr | None) -> list[tuple[str, str]]:
    """Return the literal ``(app, name)`` pairs of a list or tuple (others are skipped)."""
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    pairs = []
    for element in node.elts:
        try:
            value = ast.literal_eval(element)
        except ValueError:
            continue  # swappable_dependency(...) and the like: another app's, never a head
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
            pairs.append((value[0], value[1]))
    return pairs


def read_edges(source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the ``dependencies`` and ``replaces`` of the ``Migration`` class in ``source``."""
    found: dict[str, ast.expr | None] = {"dependencies": None, "replaces": None}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.ClassDef) and node.name == "Migration"):
            continue
        for statement in node.body:
            targets: list[ast.expr] = []
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets, value = [statement.target], statement.value
            for target in targets:
                if isinstance(target, ast.Name) and target.id in found:
                    found[target.id] = value
    return _pairs(found["dependencies"]), _pairs(found["replaces"])


def leaf_migrations(app_label: str, sources: Mapping[str, str]) -> tuple[str, ...]:
    """Return the head migrations of ``app_label`` from its files' text, by migration name.

    A squashed migration stands for the ones it replaces when those are gone; when they are
    still there it is left out (Django then resolves either to the same state).
    """
    edges = {name: read_edges(text) for name, text in sources.items()}
    stands_for: dict[str, str] = {}
    for name, (_, replaces) in edges.items():
        replaced = [n for app, n in replaces if app == app_label]
        if replaced and all(n in sources for n in replaced):
            stands_for[name] = ""  # the originals are here: ignore the squash
        else:
            stands_for.update({n: name for n in replaced})
    nodes = {name for name in sources if stands_for.get(name) != ""}
    needed = {
        stands_for.get(n, n) for name in nodes for app, n in edges[name][0] if app == app_label
    }
    return tuple(sorted(nodes - needed))


def folder_sources(folder: Path) -> dict[str, str]:
    """Return the text of each migration file in ``folder`` by migration name."""
    if not folder.is_dir():
        return {}
    return {
        path.stem: path.read_text()
        for path in sorted(folder.iterdir())
        if is_migration_file(path.name)
    }
