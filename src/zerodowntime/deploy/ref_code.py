"""Run a git release's own code in a child process, optionally on another database.

A release's code is checked out by :meth:`GitReleases.materialise` (a cached worktree).
:class:`RefCode` gives what a child process needs to run that code: the worktree's project
folder as its working directory and first on ``PYTHONPATH``, and the release claimed in
``ZDT_RELEASE`` (so its heartbeat and the guards reason about the code it really runs).
:func:`database_overlay` writes a settings module that imports the project's own and renames
its default database, so any command of the project (``zdt migrate``, ``manage.py``, a module
run with ``python -m``) works on a scratch database of the same server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zerodowntime.deploy.releases import ReleaseError
from zerodowntime.subprocesses import run, zdt_command

OVERLAY_MODULE = "zdt_database_overlay"


@dataclass(frozen=True)
class RefCode:
    """The checked-out code of one release and the settings module its children use."""

    release: str
    folder: Path
    settings_module: str
    extra_paths: tuple[Path, ...] = ()

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return ``base`` (default: this process's environment) for a child running this code.

        Folders of this process's project are left off ``PYTHONPATH``: the child imports the
        project from the worktree only. It shares this process's state folder (its embedded
        servers and worktrees).
        """
        from zerodowntime.services import state_dir

        env = dict(os.environ if base is None else base)
        here = Path.cwd().resolve()
        inherited = [
            p
            for p in env.get("PYTHONPATH", "").split(os.pathsep)
            if p and Path(p).resolve() != here
        ]
        paths = [str(self.folder), *map(str, self.extra_paths), *inherited]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env["DJANGO_SETTINGS_MODULE"] = self.settings_module
        env["ZDT_RELEASE"] = self.release
        env.pop("ZDT_GIT_REPOSITORY", None)  # the worktree's own repository holds the refs
        env["ZDT_STATE_DIR"] = str(state_dir())
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def python(self, module: str, *args: str) -> list[str]:
        """Return the command that runs ``python -m MODULE ARGS`` with this interpreter."""
        return [sys.executable, "-m", module, *args]

    def zdt(self, *args: str) -> list[str]:
        """Return the command that runs ``zdt ARGS`` with this interpreter."""
        return zdt_command(*args)

    def run(
        self, command: list[str], base: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the release's folder; raise ``CommandFailed`` if it fails."""
        return run(command, env=self.environment(base), cwd=self.folder)


def database_overlay(directory: Path, settings_module: str, database: str) -> str:
    """Write a settings module: ``settings_module`` with the default database named ``database``.

    Return the module's name; ``directory`` must be on the child's ``PYTHONPATH``
    (:attr:`RefCode.extra_paths`).
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{OVERLAY_MODULE}.py").write_text(
        f'"""{settings_module}, on database {database} of the same server."""\n\n'
        f"from {settings_module} import *  # noqa: F403\n"
        f"from {settings_module} import DATABASES as _PROJECT_DATABASES\n\n"
        "DATABASES = {\n"
        "    **_PROJECT_DATABASES,\n"
        f"    'default': {{**_PROJECT_DATABASES['default'], 'NAME': {database!r}}},\n"
        "}\n"
    )
    return OVERLAY_MODULE


def checkout(release: str, into: Path | None = None) -> Path:
    """Return the project folder of ``release``'s code, checked out from git (cached).

    Django must be set up; the project's releases must come from git (``ZDT_RELEASES_FROM_GIT``).
    """
    from zerodowntime import conf

    source = conf.git_releases()
    if source is None:
        raise ReleaseError(
            "running a release's own code needs releases from git: set ZDT_RELEASES_FROM_GIT"
        )
    return source.materialise(conf.release_manifest().get(release).ref, into)
