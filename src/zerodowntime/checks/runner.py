"""Run every check: gather facts in child processes, then apply the rules.

The parent process only creates and drops a scratch database. The migration chain is applied
to that database in one child (``sql_capture``) and each release's code is inspected in its own
child (``dump_release``), because one process can load only one release's models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zerodowntime.checks.baseline import Baseline, apply_baseline, baseline_at, default_since
from zerodowntime.checks.compat import check_compatibility
from zerodowntime.checks.facts import WORKING_TREE, ChainCapture, Execution, ReleaseFacts
from zerodowntime.checks.findings import Finding, Severity, apply_silences
from zerodowntime.checks.rules import failure_finding, lint_migrations
from zerodowntime.checks.table_stats import DatabaseStats, StatsError, looking_at
from zerodowntime.scratch import create_database, drop_database
from zerodowntime.subprocesses import CommandFailed, finish

if TYPE_CHECKING:
    from zerodowntime.deploy.ref_code import RefCode


class CheckError(RuntimeError):
    """The checks could not run (a child process failed, no database, ...)."""


@dataclass
class Report:
    """The findings of one run and what was checked."""

    findings: list[Finding]
    releases: list[str]
    migrations: list[str]
    snapshots_written: list[str] = field(default_factory=list)
    since: str | None = None  # the baseline's ref: older migrations only inform
    baseline: list[str] = field(default_factory=list)
    table_sizes_from: str | None = None  # the database `--database-url` looked at

    @property
    def failed(self) -> bool:
        """Return True when an unsilenced error was found."""
        return any(finding.blocks for finding in self.findings)

    def count(self, severity: Severity) -> int:
        """Return how many unsilenced findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity is severity and f.silenced is None)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "ok": not self.failed,
            "releases": self.releases,
            "migrations": self.migrations,
            "snapshots_written": self.snapshots_written,
            "since": self.since,
            "baseline": self.baseline,
            "table_sizes_from": self.table_sizes_from,
            "findings": [finding.to_dict() for finding in self.findings],
        }


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(Path.cwd())] + [p for p in sys.path if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.update(extra)
    return env


def _start(
    module: str, args: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(process: subprocess.Popen[str], what: str, output: Path) -> dict[str, Any]:
    try:
        finish(process)
    except CommandFailed as exc:
        raise CheckError(f"{what} failed: {exc.tail(1)}") from None
    if not output.exists():
        raise CheckError(f"{what} failed: it wrote no {output.name}")
    return json.loads(output.read_text())


def _ref_env(code: RefCode) -> dict[str, str]:
    """Return the environment of a child running ``code`` for the checks (no release claimed)."""
    from zerodowntime import conf

    env = code.environment()
    env.setdefault("PYTHONWARNINGS", "ignore")
    for name in ("ZDT_RELEASE", "ZDT_PROCESS_ROLE"):
        env.pop(name, None)
    factories = conf.get().check_factories
    if factories:  # REF's settings may predate the setting
        env["ZDT_CHECK_FACTORIES"] = factories
    return env


def since_code(ref: str) -> RefCode:
    """Return ``ref``'s code checked out from the project's git repository (cached worktree)."""
    from zerodowntime import conf
    from zerodowntime.deploy.git_releases import GitError
    from zerodowntime.deploy.ref_code import RefCode
    from zerodowntime.project import settings_module

    try:
        folder = conf.git_source().materialise(ref)
    except GitError as exc:
        raise CheckError(f"checking out {ref} to run its code failed: {exc}") from None
    return RefCode(ref, folder, settings_module())


def gather(
    releases: list[str], workdir: Path, since: RefCode | None = None
) -> tuple[ChainCapture, dict[str, ReleaseFacts]]:
    """Return the captured chain and the facts of each of ``releases``, from child processes.

    With ``since`` (``zdt check --since REF``, git releases), REF's code is inspected and then
    run on the scratch database migrated to the working tree's heads (``execute_release``).
    """
    from django.db import connection

    database = f"zdt_check_{uuid.uuid4().hex[:12]}"
    create_database(connection, database)
    try:
        chain_file = workdir / "chain.json"
        ref = [since.release] if since else []
        capture = _start(
            "zerodowntime.checks.sql_capture", [database, str(chain_file), *ref], _child_env({})
        )
        dumps, what = {}, {}
        for version in releases:
            output = workdir / f"release-{version}.json"
            env = _child_env({"ZDT_RELEASE": version})
            dumps[version] = (
                _start("zerodowntime.checks.dump_release", [str(output)], env),
                output,
            )
            what[version] = f"inspecting release {version}"
        if since is not None:
            output = workdir / "since.json"
            dumps[since.release] = (
                _start(
                    "zerodowntime.checks.dump_release",
                    [str(output), since.release],
                    _ref_env(since),
                    since.folder,
                ),
                output,
            )
            what[since.release] = f"loading the code of {since.release} (in {since.folder})"
        chain = ChainCapture.from_dict(_wait(capture, "capturing the migrations' SQL", chain_file))
        facts = {
            version: ReleaseFacts.from_dict(_wait(process, what[version], out))
            for version, (process, out) in dumps.items()
        }
        if since is not None and WORKING_TREE in chain.schemas:
            output = workdir / "execution.json"
            process = _start(
                "zerodowntime.checks.execute_release",
                [database, str(output)],
                _ref_env(since),
                since.folder,
            )
            ran = _wait(process, f"running the code of {since.release} on the new schema", output)
            facts[since.release].execution = Execution.from_dict(ran)
    finally:
        drop_database(connection, database)
    return chain, facts


def evaluate(
    chain: ChainCapture,
    facts: dict[str, ReleaseFacts],
    snapshot_dir: Path | None,
    baseline: Baseline | None = None,
    sizes: DatabaseStats | None = None,
) -> list[Finding]:
    """Return every finding for the gathered facts, silences and the baseline applied.

    With ``sizes`` (the database ``--database-url`` looked at), findings get their table's size.
    """
    findings = lint_migrations(chain.migrations)
    if chain.failure:
        findings.append(failure_finding(chain.failure))
    findings += check_compatibility(chain, facts)
    if baseline is not None and baseline.ref in facts:
        from zerodowntime.checks.since import check_since

        findings += check_since(chain, facts[baseline.ref], baseline)
    sdls = {v: facts[v].sdl for v in chain.releases if v in facts and facts[v].sdl is not None}
    if sdls or snapshot_dir is not None:
        from zerodowntime.checks.graphql_policy import check_graphql

        findings += check_graphql(sdls, snapshot_dir)  # type: ignore[arg-type]
    if sizes is not None:
        from zerodowntime.checks.table_sizes import with_table_sizes

        findings = with_table_sizes(findings, chain, sizes)
    silences = {migration.key: migration.silences for migration in chain.migrations}
    return apply_baseline(apply_silences(findings, silences), baseline)


def run_checks(
    *,
    snapshot_dir: Path | None = None,
    update_snapshots: bool = False,
    since: str | None = None,
    everything: bool = False,
    database_url: str | None = None,
) -> Report:
    """Run every check on the configured project (Django must be set up) and return a report.

    Only the migrations added since ``since`` (default: :func:`default_since`) can fail;
    ``everything`` lints them all. ``database_url`` (default: ``ZDT_CHECK_DATABASE_URL``) names
    a database only looked at, for the size of each finding's table.
    """
    from zerodowntime import conf

    # Each folder release's code is inspected in a child; of git releases, REF's (--since).
    versions = conf.release_manifest().versions if conf.get().release_manifest else []
    named = conf.release_manifest().versions if conf.has_releases() else []
    ref = None if everything else since or default_since()
    baseline = baseline_at(ref) if ref else None
    code = since_code(ref) if ref and conf.git_releases() is not None else None
    url = database_url or conf.get().check_database_url
    sizes = None
    try:
        with ExitStack() as stack:
            looker = stack.enter_context(looking_at(url)) if url else None  # fails fast
            with tempfile.TemporaryDirectory(prefix="zdt-check-") as tmp:
                chain, facts = gather(versions, Path(tmp), code)
            if looker is not None:
                from zerodowntime.checks.table_sizes import table_names

                sizes = looker.read(table_names(chain))
    except StatsError as exc:
        raise CheckError(str(exc)) from None
    written: list[str] = []
    if update_snapshots and snapshot_dir is not None:
        from zerodowntime.checks.graphql_policy import write_snapshots

        sdls = {v: f.sdl for v, f in facts.items() if f.sdl is not None}
        written = [str(path) for path in write_snapshots(sdls, snapshot_dir)]
    return Report(
        findings=evaluate(chain, facts, snapshot_dir, baseline, sizes),
        releases=list(named),
        migrations=[migration.key for migration in chain.migrations],
        snapshots_written=written,
        since=ref,
        baseline=[m.key for m in chain.migrations if baseline and baseline.holds(m.key)],
        table_sizes_from=sizes.where if sizes else None,
    )


def configured_snapshot_dir() -> Path | None:
    """Return ``ZDT_SDL_SNAPSHOT_DIR`` as a path (None: snapshots are not checked)."""
    from zerodowntime import conf

    value = conf.get().sdl_snapshot_dir
    return Path(value) if value else None
