"""The release a process really runs: for git releases, the one its code on disk is.

The migration files of the project apps in the working tree are the code's heads; the release
whose heads they are is the process's release. A process that claims another one
(``ZDT_RELEASE``) is refused: the deploy guard would otherwise reason about code it is not
running.
"""

from __future__ import annotations

from zerodowntime import conf
from zerodowntime.deploy.releases import Head, ReleaseError


class ProcessReleaseRefused(ReleaseError):
    """The code on disk is not the release the process claims, or no release at all."""


def _named(heads: tuple[Head, ...] | set[Head]) -> str:
    return ", ".join(f"{app}.{name}" for app, name in sorted(heads)) or "no migration"


def process_release() -> str:
    """Return the release of this process's code, or raise :class:`ProcessReleaseRefused`."""
    source = conf.git_releases()
    if source is None:
        return conf.release_version()
    manifest = conf.release_manifest()
    code = set(source.code_heads())
    matching = [v for v in manifest.versions if set(manifest.heads(v)) == code]
    claimed = conf.get().release
    if claimed is not None:
        manifest.get(claimed)  # an unknown release is refused as such
        if claimed in matching:
            return claimed
        actual = f"release {matching[-1]}" if matching else "no release"
        raise ProcessReleaseRefused(
            f"this process claims release {claimed} (ZDT_RELEASE) but its code is {actual}"
            f" (migration heads on disk: {_named(code)}; {claimed}'s:"
            f" {_named(manifest.heads(claimed))}): check out {claimed}'s code or leave"
            " ZDT_RELEASE unset"
        )
    if not matching:
        raise ProcessReleaseRefused(
            f"the code on disk is no release of ZDT_RELEASES_FROM_GIT (migration heads:"
            f" {_named(code)}): check out a release's code, or tag this one"
        )
    return matching[-1]
