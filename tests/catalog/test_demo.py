"""``zdt demo --release X`` prints examples that work on X, for every release.

One scratch database walks the releases forward; for each, the demo is started as a user would,
and the block of curl calls it printed is run in bash against its server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest

from catalog.releases.manifest import MANIFEST
from tests.catalog.shell_examples import assert_examples_worked, run_examples
from zerodowntime.services import free_port
from zerodowntime.subprocesses import ZDT

PRINTED = "Stop with Ctrl-C"


def _examples_block(output: str) -> str:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("TOKEN="))
    end = next(i for i, line in enumerate(lines) if "GraphiQL" in line and i > start)
    return "\n".join(lines[start:end])


def _read_until_printed(demo: subprocess.Popen[str], timeout: float) -> str:
    assert demo.stdout is not None
    output, deadline = "", time.monotonic() + timeout
    while PRINTED not in output:
        line = demo.stdout.readline()
        assert line and time.monotonic() < deadline, f"the demo stopped or hung:\n{output}"
        output += line
    return output


@pytest.mark.timeout(600)
def test_the_demo_of_every_release_prints_examples_that_work(scratch_env: dict[str, str]) -> None:
    for release in MANIFEST.versions:
        port = free_port()
        args = ["demo", "--release", release, "--rows", "20", "--port", str(port)]
        demo = subprocess.Popen(
            [*ZDT, *args],
            env=scratch_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output = _read_until_printed(demo, timeout=240)
            block = _examples_block(output)
            assert f"URL=http://127.0.0.1:{port}/graphql/" in block
            if release == "0.3.0":
                assert " created " not in block and "createdAt" in block
            assert_examples_worked(run_examples(block))
        finally:
            demo.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                demo.wait(timeout=60)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGKILL)  # whatever did not stop
