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
