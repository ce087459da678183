"""The compatibility matrix: release N keeps working on N+1's schema; skipping a release breaks.

One database walks release by release with `zdt migrate --release X`, each release running its
whole API scenario in a separate process (one release's models per process); a copy of the walk
at each release (a template database) is the starting point of every test that begins there, so
the walk runs once. Each test then writes with the old release while it migrates, on its copy.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.releases.manifest import MANIFEST
from zerodowntime.scratch import (
    create_database,
    drop_database,
    scratch_database,
    with_database_name,
)
from zerodowntime.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[3]
VERSIONS = MANIFEST.versions
STEPS = list(zip(VERSIONS, VERSIONS[1:], strict=False))


class Walk:
    """One database migrated release by release, with a copy kept at each release reached."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"compat_{uuid.uuid4().hex[:10]}"
        self.written: list[dict[str, Any]] = []
        self.snapshots: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        create_database(server, self.name)

    def snapshot(self, release: str) -> tuple[str, list[dict[str, Any]]]:
        """Return the copy made when the walk reached ``release`` and the products written by then.

        The walk goes on release by release as far as needed: migrate, then the release's
        scenario writes rows and reads back every earlier one.
        """
        while release not in self.snapshots:
            version = VERSIONS[len(self.snapshots)]
            url = with_database_name(self.server, self.name)
            migrate(url, version)
            result = run_release(url, version, creates=4, expect=self.written)
            assert result["errors"] == [], result["errors"]
            self.written += result["created"]
            copy = f"{self.name}_{version.replace('.', '_')}"
            create_database(self.server, copy, template=self.name)
            self.snapshots[version] = (copy, list(self.written))
        return self.snapshots[release]

    def drop(self) -> None:
        """Drop the walked database and its copies."""
        for name in [self.name, *(copy for copy, _ in self.snapshots.values())]:
            drop_database(self.server, name)


@pytest.fixture(scope="module")
def walk() -> Iterator[Walk]:
    """Return the module's walk through the releases (dropped at the end of the module)."""
    import os

    walked = Walk(os.environ["DATABASE_URL"])
    try:
        yield walked
    finally:
        walked.drop()


DatabaseAt = Callable[[str], tuple[str, list[dict[str, Any]]]]


@pytest.fixture
def database_at(walk: Walk) -> Iterator[DatabaseAt]:
    """Return ``at(release)``: a copy of the walk at ``release`` for this test, and its products.

    Each copy is the test's own database, dropped after the test.
    """
    with contextlib.ExitStack() as stack:

        def at(release: str) -> tuple[str, list[dict[str, Any]]]:
            template, written = walk.snapshot(release)
            name = f"compat_{uuid.uuid4().hex[:10]}"
            stack.enter_context(scratch_database(walk.server, name, template=template))
            return with_database_name(walk.server, name), list(written)

        yield at


def _env(database_url: str, release: str) -> dict[str, str]:
    import os

    env = dict(os.environ, DATABASE_URL=database_url, ZDT_RELEASE=release)
    env["CATALOG_LOG_LEVEL"] = "WARNING"
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def migrate(database_url: str, release: str, *, allow_skip: bool = False) -> None:
    """Migrate the database to ``release``'s head in a separate process."""
    zdt = Path(sys.executable).parent / "zdt"
    result = subprocess.run(
        [str(zdt), "migrate", "--release", release, *(["--allow-skip"] if allow_skip else [])],
        env=_env(database_url, release),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def start_client(database_url: str, release: str, plan: dict[str, Any]) -> subprocess.Popen[str]:
    """Start the release's scenario process with ``plan``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.catalog.compat.release_client"],
        env=_env(database_url, release),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(plan))
    process.stdin.close()
    return process


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait for a scenario process and return its JSON result."""
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    assert process.wait(timeout=300) == 0, err[-3000:]
    return json.loads(out)


def run_release(database_url: str, release: str, **plan: Any) -> dict[str, Any]:
    """Run the release's scenario to completion."""
    return finish(start_client(database_url, release, plan))


@pytest.mark.parametrize(("old", "new"), STEPS, ids=[f"{a}->{b}" for a, b in STEPS])
def test_old_release_keeps_working_on_next_schema(
    database_at: DatabaseAt, old: str, new: str, tmp_path: Path
) -> None:
    database_url, written = database_at(old)
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    plan = {"loop_until": str(stop), "ready_file": str(ready), "expect": []}
    during = start_client(database_url, old, plan)
    with contextlib.suppress(WaitTimeout):  # the assertion below says what went wrong
        wait_until(
            lambda: ready.exists() or during.poll() is not None,
            timeout=120,
            interval=0.05,
            what="the old release did not start writing",
        )
    assert ready.exists(), "the old release did not start writing"
    migrate(database_url, new)
    stop.touch()
    during_result = finish(during)
    assert during_result["errors"] == [], during_result["errors"]
    written += during_result["created"]
    assert during_result["created"], "the old release wrote nothing while the step ran"

    old_result = run_release(database_url, old, creates=3, expect=written)
    assert old_result["errors"] == [], old_result["errors"]
    written += old_result["created"]

    new_result = run_release(database_url, new, creates=3, expect=written)
    assert new_result["errors"] == [], new_result["errors"]


SKIPS = [
    ("0.2.0", "NotNullViolation", 'column "slug"'),
    ("0.3.0", "UndefinedColumn", "column product_product.created does not exist"),
]


@pytest.mark.parametrize(("target", "error", "detail"), SKIPS, ids=[s[0] for s in SKIPS])
def test_skipping_a_release_breaks_the_old_one(
    database_at: DatabaseAt, target: str, error: str, detail: str
) -> None:
    database_url, written = database_at("0.1.0")
    migrate(database_url, target, allow_skip=True)  # refused without it (tests/zerodowntime/cli)
    result = run_release(database_url, "0.1.0", creates=2, expect=written)
    causes = [cause for failure in result["errors"] for cause in failure.get("causes", [])]
    assert result["errors"], "0.1.0 should fail against a schema two releases ahead"
    assert any(error in cause and detail in cause for cause in causes), causes
