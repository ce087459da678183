"""``zdt rehearse --from REF``: any project's upgrade between its git tags, with ORM traffic.

The project (``orm_project``) is a git repository of two apps with tags v1..v3; ``zdt
rehearse`` runs in it as a child process with the test session's interpreter, on the session's
PostgreSQL (the project's settings read ``DB_*`` variables).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zerodowntime.child_project import Run, project_env, query, shell
from tests.zerodowntime.rehearsal.orm_project import write_orm_project
from zerodowntime.rehearsal.cluster import can_restore_priority
from zerodowntime.scratch import drop_database

REHEARSAL_DATABASE = "zdt_rehearsal"  # RehearsalConfig's default name
# Latency targets are judged by the catalog's rehearsal; here, on two loaded cores shared with
# the child processes' start-ups, only failures and integrity are.
SHORT = "--rows 20 --rate 20 --phase-seconds 2 --servers 1 --max-latency-ms 60000 --p99-ratio 1000"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the project's repository, checked out at v3."""
    return write_orm_project(tmp_path_factory.mktemp("orm") / "project")


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """Return the project's environment (its own database named), the rehearsal's dropped after."""
    with project_env("zdt_orm") as env:
        yield env
    drop_database(os.environ["DATABASE_URL"], REHEARSAL_DATABASE)


def rehearse(arguments: str, repo: Path, env: dict[str, str], reports: Path) -> Run:
    """Run ``zdt rehearse ARGUMENTS`` in the project; no traceback may appear."""
    result = shell(f"zdt rehearse {arguments} --report-dir {reports}", repo, env)
    assert "Traceback" not in result.output, result.output[-3000:]
    return result


def report(reports: Path) -> dict[str, object]:
    """Return the report.json the rehearsal wrote."""
    (path,) = reports.glob("rehearsal-*/report.json")
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


@pytest.mark.timeout(120)
def test_a_safe_upgrade_passes_with_every_acknowledged_write_there(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    result = rehearse(f"--from v1 --to v2 {SHORT} --rows library.Book=60", repo, env, tmp_path)
    assert result.returncode == 0, result.output[-3000:]
    out = result.stdout
    assert "Rehearsing v1 -> v2 with 20 rows per model, library.Book=60, ORM traffic" in out
    written = re.search(r"integrity: passed\s+acknowledged ORM writes: (\d+) rows created", out)
    assert written and int(written.group(1)) > 0, out
    assert re.search(
        r"integrity: passed\s+acknowledged ORM deletes: \d+ deleted rows are gone", out
    )
    assert out.rstrip().endswith("PASSED"), out[-2000:]
    left_out = "left out of the traffic (no instance could be made): library.Shelf: IntegrityError:"
    assert left_out in out and "shelf_code" in out
    data = report(tmp_path)
    requests = data["requests"]
    assert isinstance(requests, list)
    operations = {r["operation"] for r in requests}
    for model in ("library.Book", "members.Member", "members.Loan"):
        assert {f"create {model}", f"read {model}", f"update {model}"} <= operations, operations
    # The old release's code ran while the new one migrated, then the new one's replaced it.
    assert any(r["phase"] == "migrate v2" and r["client_release"] == "v1" for r in requests)
    assert any(r["phase"] == "after v2" and r["client_release"] == "v2" for r in requests)
    assert not any(r["phase"] == "after v2" and r["client_release"] == "v1" for r in requests)
    assert all(r["ok"] for r in requests)
    assert not any("Shelf" in r["operation"] for r in requests)
    assert list(data["left_out"]) == ["library.Shelf"]
    counts = query(
        REHEARSAL_DATABASE,
        "SELECT (SELECT count(*) FROM library_book), (SELECT count(*) FROM members_member)",
    )
    assert counts[0][0] >= 60 and counts[0][1] >= 20  # type: ignore[operator]
    assert query(REHEARSAL_DATABASE, "SELECT release FROM zdt_database_release") == [
        ("v1",),
        ("v2",),
    ]
    assert "Kept v1 migrated and populated as zdt_start_" in out
    if can_restore_priority():  # v2's slow statement ran lower, found by its application name
        flat = " ".join(out.split())  # the console folds long lines
        lowered = re.search(r"ran at database niceness 10 .*?\(blocking no query\): (.*)", flat)
        assert lowered and "1 × SELECT pg_sleep(0.6)" in lowered.group(1), out[-2000:]


@pytest.mark.timeout(120)
def test_the_next_run_from_the_same_start_copies_the_kept_database(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Runs after the test above: v1 with the same rows is not migrated nor populated again."""
    arguments = f"--from v1 --to v2 {SHORT} --rows library.Book=60"
    again = rehearse(arguments, repo, env, tmp_path / "again")
    assert again.returncode == 0, again.output[-3000:]
    assert "The rehearsal starts from zdt_start_" in again.stdout
    logs = tmp_path / "again"
    assert list(logs.glob("rehearsal-*/logs/migrate-v2.log"))
    assert not list(logs.glob("rehearsal-*/logs/migrate-v1.log"))
    assert "library.Shelf" in again.stdout  # the models left out are known from the copy
    assert again.stdout.rstrip().endswith("PASSED")
    fresh = rehearse(arguments + " --fresh-database", repo, env, tmp_path / "fresh")
    assert fresh.returncode == 0, fresh.output[-3000:]
    assert "The rehearsal starts from" not in fresh.stdout and "Kept v1" in fresh.stdout


@pytest.mark.timeout(120)
def test_a_column_dropped_while_the_old_release_reads_it_fails_naming_the_error(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    result = rehearse(f"--from v2 {SHORT}", repo, env, tmp_path)  # --to: the newest, v3
    assert result.returncode == 1, result.output[-3000:]
    out = result.stdout
    assert "Rehearsing v2 -> v3" in out
    assert "FAILED: failed requests" in out, out[-2000:]
    failures = [line for line in out.splitlines() if "legacy" in line and "does not exist" in line]
    assert failures, out[-3000:]
    assert any(" v2 " in line and "library.Book" in line for line in failures), failures
    assert "integrity: passed  acknowledged ORM writes" in out


def test_rows_that_name_no_model_of_the_release_are_refused_in_one_sentence(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    result = rehearse(f"--from v1 {SHORT} --rows library.Magazine=5", repo, env, tmp_path)
    assert result.returncode == 1
    assert "--rows names library.Magazine, not a model of the project apps" in result.stderr
