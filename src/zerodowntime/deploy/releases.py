"""The release manifest: which releases exist, in order, and the migration each one needs."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType


class ReleaseError(ValueError):
    """An unknown release, or a release path that is not allowed."""


@dataclass(frozen=True)
class Release:
    """A deployable version of a service: its code package and its head migration."""

    version: str
    package: str
    head_migration: str

    def module(self, name: str) -> ModuleType:
        """Import and return ``<package>.<name>`` (e.g. ``models`` or ``api``)."""
        return import_module(f"{self.package}.{name}")


@dataclass(frozen=True)
class ReleaseManifest:
    """The ordered releases of one Django app whose migrations form a single chain."""

    app_label: str
    releases: tuple[Release, ...]

    @property
    def versions(self) -> list[str]:
        """Return the versions, oldest first."""
        return [release.version for release in self.releases]

    @property
    def newest(self) -> Release:
        """Return the newest release."""
        return self.releases[-1]

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

    def previous(self, version: str) -> Release | None:
        """Return the release before ``version``, or None for the first one."""
        position = self.index(version)
        return self.releases[position - 1] if position > 0 else None

    def path(self, start: str, end: str) -> list[Release]:
        """Return the releases after ``start`` up to and including ``end``, one at a time."""
        first, last = self.index(start), self.index(end)
        if last < first:
            raise ReleaseError(f"cannot go back from {start} to {end}: releases only move forward")
        return list(self.releases[first + 1 : last + 1])

    def release_for_migration(self, migration_name: str | None) -> Release | None:
        """Return the newest release whose head is ``migration_name`` (None: no release)."""
        for release in reversed(self.releases):
            if release.head_migration == migration_name:
                return release
        return None


def load_manifest(dotted_path: str) -> ReleaseManifest:
    """Import a manifest given as ``package.module.NAME``."""
    module_name, _, attribute = dotted_path.rpartition(".")
    manifest = getattr(import_module(module_name), attribute)
    if not isinstance(manifest, ReleaseManifest):
        raise ReleaseError(f"{dotted_path} is not a ReleaseManifest")
    return manifest
