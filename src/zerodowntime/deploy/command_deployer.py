"""The command deployer: each action runs a shell command from the project's configuration.

``ZDT_DEPLOY_COMMANDS`` maps action keys (``stop_workers``, ``migrate``, ``start_workers``,
``wait_background``, ``roll_app_servers``) to command templates; ``{release}`` is replaced by
the release being deployed (shell-quoted). An action without a command is done as the manual
deployer does it. A command that exits non-zero stops the upgrade with the end of its output.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from collections.abc import Mapping
from typing import IO

from zerodowntime.deploy.executor import DeployError
from zerodowntime.deploy.manual import Echo, ManualDeployer

TAIL_LINES = 20


def render(template: str, release: str) -> str:
    """Return ``template`` with ``{release}`` replaced by the shell-quoted release."""
    return template.replace("{release}", shlex.quote(release))


class CommandDeployer(ManualDeployer):
    """Run the configured command of each action; the manual way for the others.

    Commands run through the shell, in the current directory and environment; their output is
    printed as it comes. When the workers are started by a command, the background step waits
    for the backfills.
    """

    name = "commands"

    def __init__(
        self,
        commands: Mapping[str, str],
        echo: Echo = print,
        *,
        allow_skip: bool = False,
        background_timeout: float = 3600.0,
    ) -> None:
        super().__init__(
            echo,
            allow_skip=allow_skip,
            wait_for_backfills="start_workers" in commands,
            background_timeout=background_timeout,
        )
        self.commands = dict(commands)

    def stop_workers(self, release: str) -> str | None:
        """Run the ``stop_workers`` command, else check that no worker is live."""
        if "stop_workers" in self.commands:
            return self.run("stop_workers", release)
        return super().stop_workers(release)

    def migrate(self, release: str) -> str | None:
        """Run the ``migrate`` command, else migrate in this process."""
        if "migrate" in self.commands:
            return self.run("migrate", release)
        return super().migrate(release)

    def start_workers(self, release: str) -> str | None:
        """Run the ``start_workers`` command, else say how to start them."""
        if "start_workers" in self.commands:
            return self.run("start_workers", release)
        return super().start_workers(release)

    def wait_background(self, release: str) -> str | None:
        """Run the ``wait_background`` command, else wait for (or report) the backfills."""
        if "wait_background" in self.commands:
            return self.run("wait_background", release)
        return super().wait_background(release)

    def roll_app_servers(self, release: str) -> str | None:
        """Run the ``roll_app_servers`` command, else say how to roll them."""
        if "roll_app_servers" in self.commands:
            return self.run("roll_app_servers", release)
        return super().roll_app_servers(release)

    def run(self, key: str, release: str) -> str | None:
        """Run the command of action ``key``, printing its output; raise when it fails."""
        command = render(self.commands[key], release)
        self.echo(f"   $ {command}")
        # The output goes to a file, not a pipe: a command that starts a background process
        # (which keeps its inherited output open) still ends when the command itself exits.
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(
                command,
                shell=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            lines = self._follow(process, output)
        if process.returncode != 0:
            tail = "\n".join(lines[-TAIL_LINES:]) or "(no output)"
            raise DeployError(
                f"{key} at {release}: `{command}` exited with {process.returncode}; its output"
                f" ended with:\n{tail}"
            )
        return None

    def _follow(self, process: subprocess.Popen[bytes], output: IO[bytes]) -> list[str]:
        """Print the command's output as it grows until it exits; return every line."""
        lines: list[str] = []
        read, pending = 0, b""
        while True:
            finished = process.poll() is not None
            output.seek(read)
            chunk = output.read()
            read += len(chunk)
            pending += chunk
            *complete, pending = pending.split(b"\n")
            if finished and pending:
                complete, pending = [*complete, pending], b""
            for raw in complete:
                line = raw.decode(errors="replace").rstrip("\r")
                lines.append(line)
                self.echo(f"   | {line}")
            if finished:
                return lines
            time.sleep(0.05)
