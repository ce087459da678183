"""Headless Chromium for tests: dump a page's DOM, take a screenshot, or drive a page over CDP.

Debian's ``chromium`` is used (``make test`` installs it when missing). Pages are driven through
the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages separated by NUL on
file descriptors 3 and 4), so no websocket library is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from zerodowntime.waiting import WaitTimeout, wait_until

# Resolve every host name to nothing except 127.0.0.1: the page gets no network but the server.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def chromium() -> str:
    """Return the chromium executable, or fail the test saying how to install it."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is missing: `apt-get install -y chromium` (make test installs it)")
    return found


def _flags(profile: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


def run_chromium(*args: str, timeout: float = 60) -> str:
    """Run headless chromium once with ``args``; return its stdout."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium(), *_flags(profile), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(url: str, *args: str) -> str:
    """Return the DOM of ``url`` after it loaded, serialised as HTML."""
    return run_chromium(*args, "--dump-dom", url)


def screenshot(url: str, path: Path, size: str = "1280,1400") -> Path:
    """Save a PNG screenshot of ``url`` at ``path`` and return it."""
    run_chromium(f"--screenshot={path}", f"--window-size={size}", url)
    assert path.exists() and path.read_bytes()[:4] == b"\x89PNG", "no screenshot written"
    return path


def _as_fds_3_and_4(reader: int, writer: int) -> None:
    """Make ``reader`` fd 3 and ``writer`` fd 4 in the child (the DevTools pipe's numbers)."""
    reader, writer = os.dup(reader), os.dup(writer)  # above 4, so the dup2 below cannot clash
    os.dup2(reader, 3, inheritable=True)
    os.dup2(writer, 4, inheritable=True)


class Page:
    """One chromium tab driven over the DevTools protocol."""

    def __init__(self, *args: str) -> None:
        self._profile = tempfile.TemporaryDirectory()
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        self._process = subprocess.Popen(
            [chromium(), *_flags(self._profile.name), "--remote-debugging-pipe", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),  # kept open in the child, where the function below puts the pipes
            preexec_fn=lambda: _as_fds_3_and_4(to_browser_r, from_browser_w),
            start_new_session=True,  # its helper processes too are stopped by close()
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out = os.fdopen(to_browser_w, "wb", buffering=0)
        self._in = os.fdopen(from_browser_r, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self._session = attached["sessionId"]

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def goto(self, url: str) -> None:
        """Open ``url`` in the tab."""
        result = self.call("Page.navigate", session=self._session, url=url)
        assert "errorText" not in result, result

    def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression evaluated in the page."""
        result = self.call(
            "Runtime.evaluate",
            session=self._session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "JavaScript error"))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Return the first truthy value of ``expression``, polled until ``timeout`` seconds."""
        try:
            return wait_until(
                lambda: self.evaluate(expression), timeout=timeout, interval=0.2, what="still false"
            )
        except WaitTimeout as exc:
            raise AssertionError(f"{exc}: {expression}") from None

    def close(self) -> None:
        """Stop chromium and remove its profile."""
        self._out.close()
        self._in.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        # Chromium's renderer and utility processes can outlive it for a moment, still writing
        # into the profile: stop the whole group before removing the folder.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        wait_until(lambda: _removed(self._profile), timeout=10, interval=0.1, what="profile left")

    def __enter__(self) -> Page:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _removed(profile: tempfile.TemporaryDirectory[str]) -> bool:
    """Remove ``profile``; return False when a process still wrote into it meanwhile."""
    try:
        profile.cleanup()
    except OSError:
        return False
    return True
