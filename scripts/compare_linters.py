"""Run zdt check, Squawk and django-migration-linter on the same migrations; print Markdown tables.

Run it with a throw-away venv that has the two other linters and this project (they are not
dependencies of the project):

    python3 -m venv /tmp/linters
    /tmp/linters/bin/pip install squawk-cli django-migration-linter -e .

On this repository's fixture migrations (the tables of docs/checks.md):

    /tmp/linters/bin/python scripts/compare_linters.py > /tmp/tables.md

On a project's migrations added between two git tags, with the project's folder checked out at
the newer tag and the project's own requirements installed in the same venv (``--zdt-report``,
optional: the JSON of ``zdt check --since OLD --format json``, for the findings that need the
whole chain applied and the old release's code run):

    /tmp/linters/bin/python scripts/compare_linters.py --project FOLDER --old OLD --new NEW \
        --settings MODULE [--zdt-report FILE]

Each linter sees what it is built for: zdt check the SQL the project's schema editor emits plus
the releases (in project mode, its migration rules on each added migration's SQL, captured as
``zdt check`` captures it, plus the report's findings); Squawk that same SQL, one migration at
a time on stdin; django-migration-linter the Django migrations (it runs ``sqlmigrate`` itself,
with Django's default PostgreSQL backend, which is what the migrations run with when the toolkit
is not adopted; the project's backend also refuses some fixtures' operations before printing SQL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "zerodowntime" / "checks" / "fixtures"
SETTINGS = "tests.zerodowntime.checks.fixtures.settings"
BIN = Path(sys.executable).parent
# The lines django-migration-linter prints for every RunSQL without reverse_sql, not a danger.
DML_NOISE = {"RunSQL data migration is not reversible"}
# Squawk rules about style or re-runnability that fire on nearly every migration: shown in the
# per-migration table, left out of the equivalents table.
SQUAWK_STYLE = {
    "prefer-robust-stmts",
    "require-statement-timeout",
    "prefer-text-field",
    "prefer-bigint-over-int",
}


def fixture_names() -> list[str]:
    """Return the fixture apps that have migrations past the initial one."""
    return sorted(
        path.name
        for path in FIXTURES.iterdir()
        if path.name.startswith(("good_flow_", "bad_flow_"))
        and len(list((path / "migrations").glob("0*.py"))) > 1
    )


def fixture_env(name: str, **extra: str) -> dict[str, str]:
    """Return the environment that installs fixture app ``name``."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS, ZDT_FIXTURE_APP=name)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def emit_chain(output: str) -> None:
    """(child) Write the fixture's per-migration SQL and zdt check rules as JSON."""
    import django

    django.setup()
    from zerodowntime import conf
    from zerodowntime.checks.runner import evaluate, gather

    manifest = conf.release_manifest()
    with tempfile.TemporaryDirectory() as tmp:
        chain, facts = gather(manifest.versions, Path(tmp))
    rules: dict[str, list[str]] = defaultdict(list)
    for finding in evaluate(chain, facts, None):
        label = finding.rule + (" (silenced)" if finding.silenced else "")
        rules[(finding.migration or "").split(".")[-1] or "-"].append(label)
    sql = {m.name: [s for op in m.operations for s in op.statements] for m in chain.migrations}
    Path(output).write_text(json.dumps({"sql": sql, "rules": rules}))


def zdt(name: str) -> dict[str, dict[str, list[str]]]:
    """Return the SQL and zdt check rules of each migration of fixture ``name``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        subprocess.run(
            [sys.executable, __file__, "--emit-chain", output.name],
            env=fixture_env(name, PYTHONWARNINGS="ignore"),
            check=True,
            stderr=subprocess.DEVNULL,
        )
        return json.loads(Path(output.name).read_text())


def squawk(statements: list[str]) -> list[str]:
    """Return the Squawk rules that fire on ``statements``."""
    text = "\n".join(s if s.rstrip().endswith(";") else s + ";" for s in statements)
    result = subprocess.run(
        [str(BIN / "squawk"), "--reporter", "json"], input=text, capture_output=True, text=True
    )
    try:
        return sorted({item["rule_name"] for item in json.loads(result.stdout or "[]")})
    except json.JSONDecodeError:
        return [f"(squawk failed: {result.stderr.strip()[:60]})"]


def parse_lintmigrations(stdout: str) -> dict[str, list[str]]:
    """Return django-migration-linter's messages by migration (``app.name``) from its output."""
    messages: dict[str, list[str]] = defaultdict(list)
    current = None
    for line in stdout.splitlines():
        if m := re.match(r"\((\w+), (\w+)\)\.\.\. (\w+)", line):
            current = f"{m.group(1)}.{m.group(2)}"
            messages[current]
        elif current and line.startswith("\t"):
            text = re.sub(r" \(table: .*\)$", "", line.strip())
            if text not in DML_NOISE and text not in messages[current]:
                messages[current].append(text)
    return messages


def migration_linter(name: str) -> dict[str, list[str]]:
    """Return django-migration-linter's messages per migration of fixture ``name``."""
    env = fixture_env(
        name,
        ZDT_FIXTURE_EXTRA_APPS="django_migration_linter",
        ZDT_FIXTURE_ENGINE="django.db.backends.postgresql",
        PYTHONWARNINGS="ignore",
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "lintmigrations", name, "--no-cache"],
        env=env,
        capture_output=True,
        text=True,
    )
    parsed = parse_lintmigrations(result.stdout)
    return {key.split(".", 1)[1]: texts for key, texts in parsed.items()}


def cell(items: list[str]) -> str:
    """Return a table cell listing ``items`` (— when empty)."""
    return ", ".join(f"`{item}`" for item in items) if items else "—"


def main() -> None:
    """Print the per-migration table and the per-rule equivalents table."""
    rows = []
    equivalents: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for name in fixture_names():
        ours, theirs = zdt(name), migration_linter(name)
        for migration, statements in ours["sql"].items():
            if migration == "0001_initial":
                continue
            rules = sorted(set(ours["rules"].get(migration, [])))
            sq, dml = squawk(statements), theirs.get(migration, [])
            rows.append((name, migration, rules, sq, dml))
            for rule in rules:
                equivalents[rule.split()[0]][0].update(set(sq) - SQUAWK_STYLE)
                equivalents[rule.split()[0]][1].update(dml)
        for rule in ours["rules"].get("-", []):  # release-level findings with no migration
            rows.append((name, "(release pair)", [rule], [], []))
    print("| fixture | migration | zdt check | Squawk | django-migration-linter |")
    print("|---|---|---|---|---|")
    for name, migration, rules, sq, dml in rows:
        print(f"| {name} | {migration} | {cell(rules)} | {cell(sq)} | {cell(dml)} |")
    print()
    print("| zdt rule | Squawk rules on the same migrations | django-migration-linter on them |")
    print("|---|---|---|")
    for rule in sorted(equivalents):
        sq, dml = equivalents[rule]
        print(f"| {rule} | {cell(sorted(sq))} | {cell(sorted(dml))} |")


def emit_project_sql(old: str, new: str, output: str) -> None:
    """(child, in the project's folder) Write each added migration's SQL and zdt's SQL rules.

    Each migration added from OLD to NEW is captured as ``zdt check`` captures it (the
    project's own schema editor, ``collect_sql``), from the state rendered up to it, without
    applying the whole chain (on a project of hundreds of migrations that takes many minutes),
    and linted by ``zdt check``'s migration rules (ZDT1xx).
    """
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from zerodowntime import conf
    from zerodowntime.checks.findings import apply_silences
    from zerodowntime.checks.rules import lint_migrations
    from zerodowntime.checks.sql_capture import capture_migration

    source = conf.git_source()
    added = source.migrations_at(new) - source.migrations_at(old)
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    graph = loader.graph
    ordered = dict.fromkeys(n for leaf in graph.leaf_nodes() for n in graph.forwards_plan(leaf))
    captures = [
        capture_migration(
            connection, graph.nodes[key], loader.project_state(key, at_end=False), new
        )
        for key in ordered
        if key in added
    ]
    silences = {capture.key: capture.silences for capture in captures}
    rules: dict[str, list[str]] = defaultdict(list)
    for finding in apply_silences(lint_migrations(captures), silences):
        rules[finding.migration or "-"].append(label(finding.to_dict()))
    sql = {c.key: [s for op in c.operations for s in op.statements] for c in captures}
    Path(output).write_text(
        json.dumps({"sql": sql, "rules": rules, "added": sorted(f"{a}.{n}" for a, n in added)})
    )


def project_env(folder: Path, settings: str, **extra: str) -> dict[str, str]:
    """Return the environment of a child running the project in ``folder`` with ``settings``."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings, PYTHONWARNINGS="ignore")
    paths = (str(folder), *extra.values(), os.environ.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def project_sql(
    folder: Path, settings: str, old: str, new: str
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return the SQL and zdt's SQL rules of each migration the project added since ``old``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        result = subprocess.run(
            [sys.executable, __file__, "--emit-project-sql", old, new, output.name],
            env=project_env(folder, settings),
            cwd=folder,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.exit(f"capturing the migrations' SQL failed: {result.stderr.strip()[-400:]}")
        data = json.loads(Path(output.name).read_text())
    sql: dict[str, list[str]] = data["sql"]
    for key in data["added"]:
        sql.setdefault(key, [])
    return sql, data["rules"]


def label(finding: dict[str, str]) -> str:
    """Return how a zdt finding is shown in a cell: its rule, severity if not an error."""
    text = finding["rule"]
    if finding["severity"] != "error":
        text += f" ({finding['severity']})"
    return text + (" (silenced)" if finding.get("silenced") else "")


def report_rules(report_file: Path) -> dict[str, list[str]]:
    """Return the findings of a ``zdt check --since OLD --format json`` report by migration.

    Findings that name no migration are under ``-``; baseline findings are left out.
    """
    text = report_file.read_text()
    report = json.loads(text[text.index("{") :])
    rules: dict[str, list[str]] = defaultdict(list)
    for finding in report["findings"]:
        if finding["message"].startswith("baseline, "):
            continue
        key = finding.get("migration") or "-"
        if label(finding) not in rules[key]:
            rules[key].append(label(finding))
    return rules


def project_linter(folder: Path, settings: str, old: str) -> dict[str, list[str]]:
    """Return django-migration-linter's messages for the migrations added since ``old``."""
    with tempfile.TemporaryDirectory() as overlay:
        (Path(overlay) / "zdt_linter_overlay.py").write_text(
            f"from {settings} import *  # noqa: F403\n"
            f"from {settings} import DATABASES as _D, INSTALLED_APPS as _A\n\n"
            "INSTALLED_APPS = [*_A, 'django_migration_linter']\n"
            "DATABASES = {**_D, 'default': {**_D['default'],"
            " 'ENGINE': 'django.db.backends.postgresql'}}\n"
        )
        result = subprocess.run(
            [sys.executable, "-m", "django", "lintmigrations", "--no-cache"]
            + ["--git-commit-id", old, "--project-root-path", str(folder)],
            env=project_env(folder, "zdt_linter_overlay", overlay=overlay),
            cwd=folder,
            capture_output=True,
            text=True,
        )
    return parse_lintmigrations(result.stdout)


def git_commit(folder: Path, ref: str) -> str:
    """Return the commit ``ref`` names in the repository holding ``folder``."""
    return subprocess.run(
        ["git", "-C", str(folder), "rev-parse", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def project_main(
    folder: Path, old: str, new: str, settings: str, report: Path | None = None
) -> None:
    """Print the per-migration table for the migrations a project added from ``old`` to ``new``.

    ``report`` (the JSON of ``zdt check --since OLD``) adds the findings that need the chain
    applied and the previous release's code run (ZDT100, ZDT2xx).
    """
    if git_commit(folder, "HEAD") != git_commit(folder, new):
        sys.exit(f"{folder} is not checked out at {new}: run `git checkout {new}` there first")
    sql, ours = project_sql(folder, settings, old, new)
    if report is not None:
        for key, labels in report_rules(report).items():
            ours.setdefault(key, [])
            ours[key] += [item for item in labels if item not in ours[key]]
    theirs = project_linter(folder, settings, old)
    print(f"| migration ({old} to {new}) | zdt check | Squawk | django-migration-linter |")
    print("|---|---|---|---|")
    for key, statements in sql.items():
        sq = squawk(statements) if statements else []
        rules, dml = sorted(ours.get(key, [])), theirs.get(key, [])
        print(f"| {key} | {cell(rules)} | {cell(sq)} | {cell(dml)} |")
    for key in sorted(set(ours) - set(sql)):
        if ours[key]:
            name = key if key != "-" else "(no migration named)"
            print(f"| {name} | {cell(sorted(ours[key]))} | — | — |")


def arguments() -> argparse.Namespace:
    """Return the command line's arguments (none: the fixture tables)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="the project's folder (runs `zdt` there)")
    parser.add_argument("--old", help="the older git ref (the baseline)")
    parser.add_argument("--new", help="the newer git ref, checked out in --project")
    parser.add_argument("--settings", help="the project's Django settings module")
    parser.add_argument(
        "--zdt-report",
        type=Path,
        help="the output of `zdt check --since OLD --format json` (adds ZDT100 and ZDT2xx)",
    )
    args = parser.parse_args()
    given = [args.old, args.new, args.settings]
    if args.project is not None and not all(given):
        parser.error("--project needs --old, --new and --settings")
    if args.project is None and any(given):
        parser.error("--old, --new and --settings go with --project")
    return args


if __name__ == "__main__":
    if sys.argv[1:2] == ["--emit-chain"]:
        sys.path.insert(0, str(ROOT))
        emit_chain(sys.argv[2])
    elif sys.argv[1:2] == ["--emit-project-sql"]:
        emit_project_sql(*sys.argv[2:5])
    else:
        if not shutil.which("squawk", path=str(BIN)):
            sys.exit(f"squawk not found next to {sys.executable}: see this file's docstring")
        options = arguments()
        if options.project is None:
            main()
        else:
            project_main(
                options.project.resolve(),
                options.old,
                options.new,
                options.settings,
                options.zdt_report,
            )
