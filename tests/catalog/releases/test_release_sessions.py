"""Run the tests of every older release in a session of its own (one release per process).

The main session runs the newest release. A test marked ``@pytest.mark.release("X")`` for an
older release runs here, in a pytest subprocess with ``ZDT_RELEASE=X`` whose test database is
migrated only up to X's head (see zerodowntime.deploy's ``migrate`` command). It is given the
tests of X this session collected (and skipped), so it imports only their files; when this
session collected none (it runs this file alone), it looks for them in the whole suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from catalog.releases.manifest import MANIFEST
from tests.conftest import OTHER_RELEASES

ROOT = Path(__file__).resolve().parents[3]
OLDER = [version for version in MANIFEST.versions if version != settings.ZDT_RELEASE]


@pytest.mark.parametrize("release", OLDER)
def test_release_session_passes(release: str, pytestconfig: pytest.Config) -> None:
    env = dict(
        os.environ,
        ZDT_RELEASE=release,
        CATALOG_TEST_DATABASE=f"test_zdt_{release.replace('.', '_')}",
    )
    tests = pytestconfig.stash.get(OTHER_RELEASES, {}).get(release, [])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "release", "-q", "-p", "no:cacheprovider"]
        + ["-p", "no:xdist", *tests],  # it runs its tests itself, with its parent's servers
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode in (0, 5), tail
    if result.returncode == 5:
        pytest.skip(f"no tests are marked for release {release}")
