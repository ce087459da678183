"""The release manifest: which releases exist, in order, and the migrations each one needs.

A manifest comes from a source (:mod:`zerodowntime.deploy.release_sources`): a project's own
``ReleaseManifest`` of frozen folders (``ZDT_RELEASE_MANIFEST``), or its git refs
(``ZDT_RELEASES_FROM_GIT``), whose releases know the head migrations of every project app.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

Head = tuple[str, str]  # (app label, migration name)


class ReleaseError(ValueError):
    """An unknown release, or a release path that is not allowed."""


@dataclass(frozen=True)
class Release:
    """A deployable version of a service.

    A folder release names its code package and the head migration of the manifest's app; a
    git release names its ref and commit and the head migrations of every project app.
    """

    version: str
    package: str = ""
    head_migration: str = ""
    heads: tuple[Head, ...] = ()
    ref: str = ""
    commit: str = ""

    def module(self, name: str) -> ModuleType:
        """Import and return ``<package>.<name>`` (e.g. ``models`` or ``api``)."""
        return import_module(f"{self.package}.{name}")


@dataclass(frozen=True)
class ReleaseManifest:
    """The ordered releases of a project and the apps whose migrations they gate.

    ``app_label`` is the one app of a folder manifest (its releases name ``head_migration``);
    a manifest read from git leaves it empty and lists every project app in ``apps``.
    """

    app_label: str
    releases: tuple[Release, ...]
    apps: tuple[str, ...] = ()

    @property
    def versions(self) -> list[str]:
        """Return the versions, oldest first."""
        return [release.version for release in self.releases]

    @property
    def newest(self) -> Release:
        """Return the newest release."""
        return self.releases[-1]

    @property
    def gated_apps(self) -> tuple[str, ...]:
        """Return the apps whose migrations stop at a release's heads."""
        return self.apps or (self.app_label,)

    def get(self, version: str) -> Release:
        """Return the release named ``version`` or raise :class:`ReleaseError`."""
        for release in self.releases:
            if release.version == version:
                return release
        raise ReleaseError(
            f"unknown release {version!r}; known releases: {', '.join(self.versions)}"
        )

    def index(self, version: str) -> int:
        """Return the position of ``version`` in the release order."""
        return self.releases.index(self.get(version))

    def heads(self, version: str) -> tuple[Head, ...]:
        """Return the head migrations of every gated app at ``version`` (none: no migration)."""
        release = self.get(version)
        if release.heads or not release.head_migration:
            return release.heads
        return ((self.app_label, release.head_migration),)
