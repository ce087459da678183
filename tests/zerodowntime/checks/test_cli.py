"""``zdt check`` as a user runs it (a child process), on a bad and a good fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.zerodowntime.checks.conftest import FIXTURE_SETTINGS

ZDT = str(Path(sys.executable).with_name("zdt"))


def zdt_check(fixture: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=FIXTURE_SETTINGS, ZDT_FIXTURE_APP=fixture)
    return subprocess.run(
        [ZDT, "check", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_bad_fixture_fails_naming_the_rule_in_json() -> None:
    result = zdt_check("bad_flow_rename_field", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    rename = next(f for f in report["findings"] if f["rule"] == "ZDT105")
    assert rename["migration"] == "bad_flow_rename_field.0002_rename_created"
    assert rename["severity"] == "error" and "expand/contract" in rename["fix"]


def test_good_fixture_passes_and_prints_the_silence_reason() -> None:
    result = zdt_check("good_flow_silenced")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "silenced by the migration: item holds a handful of rows" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("OK: 0 error(s)")
