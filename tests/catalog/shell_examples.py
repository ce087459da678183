"""Run printed shell examples (curl calls) as a user would, and read their answers."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShellRun:
    """The answers a block of examples printed: one JSON document a line, on each stream."""

    stdout: list[dict[str, Any]]
    stderr: list[dict[str, Any]]


def _documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_examples(block: str, *, url: str | None = None, token: str | None = None) -> ShellRun:
    """Run ``block`` in bash (``URL`` and ``TOKEN`` replaced when given); fail on any error."""
    if url is not None:
        block = re.sub(r"^(\s*)URL=.*$", rf"\g<1>URL={url}", block, count=1, flags=re.M)
    if token is not None:
        block = re.sub(r"^(\s*)TOKEN=.*$", rf"\g<1>TOKEN={token}", block, count=1, flags=re.M)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return ShellRun(_documents(done.stdout), _documents(done.stderr))


def assert_examples_worked(run: ShellRun) -> None:
    """Check the answers of the catalog's examples: all data, the last one refused."""
    *answers, refused = run.stdout
    assert len(answers) == 4, run  # list, fetch, update, delete (create's answer is on stderr)
    for answer in answers:
        assert "errors" not in answer and answer["data"], answer
    (created,) = run.stderr
    product_id = created["data"]["productCreate"]["product"]["id"]
    assert answers[1]["data"]["product"]["id"] == product_id
    assert answers[3]["data"]["productDelete"]["product"]["id"] == product_id
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
