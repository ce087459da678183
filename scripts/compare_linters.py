"""Run zdt check, Squawk and django-migration-linter on the same fixture migrations.

Prints the Markdown tables of docs/checks.md. Run it with a throw-away venv that has the two
other linters and this project (they are not dependencies of the project):

    python3 -m venv /tmp/linters
    /tmp/linters/bin/pip install squawk-cli django-migration-linter -e .
    /tmp/linters/bin/python scripts/compare_linters.py > /tmp/tables.md

Each linter sees what it is built for: zdt check the SQL the project's schema editor emits plus
the releases; Squawk that same SQL, one migration at a time on stdin; django-migration-linter the
Django migrations (it runs ``sqlmigrate`` itself, with Django's default PostgreSQL backend
because the project's backend refuses some fixtures' operations before printing SQL).
"""

from __future__ import annotations

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
    messages: dict[str, list[str]] = defaultdict(list)
    current = None
    for line in result.stdout.splitlines():
        if m := re.match(rf"\({name}, (\w+)\)\.\.\. (\w+)", line):
            current = m.group(1)
            messages[current]
        elif current and line.startswith("\t"):
            text = re.sub(r" \(table: .*\)$", "", line.strip())
            if text not in DML_NOISE and text not in messages[current]:
                messages[current].append(text)
    return messages


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


if __name__ == "__main__":
    if sys.argv[1:2] == ["--emit-chain"]:
        sys.path.insert(0, str(ROOT))
        emit_chain(sys.argv[2])
    else:
        if not shutil.which("squawk", path=str(BIN)):
            sys.exit(f"squawk not found next to {sys.executable}: see this file's docstring")
        main()
