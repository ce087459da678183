"""The compatibility matrix: release N keeps working on N+1's schema; skipping a release breaks.

Each test gets its own database in the session's PostgreSQL, walks it release by release with
`zdt migrate --release X`, and runs each release's whole API scenario in a separate process
(one release's models per process), including writes by the old release while it migrates.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.releases.manifest import MANIFEST
from zerodowntime.scratch import scratch_database, with_database_name
from zerodowntime.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[3]
VERSIONS = MANIFEST.versions
STEPS = list(zip(VERSIONS, VERSIONS[1:], strict=False))


@pytest.fixture
def database_url() -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards."""
    import os

    base = os.environ["DATABASE_URL"]
    name = f"compat_{uuid.uuid4().hex[:10]}"
    with scratch_database(base, name):
        yield with_database_name(base, name)


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


def walk_to(database_url: str, release: str) -> list[dict[str, Any]]:
    """Migrate release by release up to ``release``, each release writing rows; return them."""
    written: list[dict[str, Any]] = []
    for version in VERSIONS[: VERSIONS.index(release) + 1]:
        migrate(database_url, version)
        result = run_release(database_url, version, creates=4, expect=written)
        assert result["errors"] == [], result["errors"]
        written += result["created"]
    return written


@pytest.mark.parametrize(("old", "new"), STEPS, ids=[f"{a}->{b}" for a, b in STEPS])
def test_old_release_keeps_working_on_next_schema(
    database_url: str, old: str, new: str, tmp_path: Path
) -> None:
    written = walk_to(database_url, old)
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
    database_url: str, target: str, error: str, detail: str
) -> None:
    written = walk_to(database_url, "0.1.0")
    migrate(database_url, target, allow_skip=True)  # refused without it (tests/zerodowntime/cli)
    result = run_release(database_url, "0.1.0", creates=2, expect=written)
    causes = [cause for failure in result["errors"] for cause in failure.get("causes", [])]
    assert result["errors"], "0.1.0 should fail against a schema two releases ahead"
    assert any(error in cause and detail in cause for cause in causes), causes
