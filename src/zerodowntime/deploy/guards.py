"""Refuse release moves and process releases that would break a deployment (pure functions).

Three questions, each answered from the manifest's versions (oldest first), the database's
release and the releases of the live processes:

- may ``zdt migrate`` move the database from its release to a target (forward, one release at
  a time, no live process older than the database's release)?
- may ``zdt rollback`` take it back to an older release (no live process newer than it)?
- which release may a process run on this database (its release or the one before)?
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zerodowntime.deploy.releases import ReleaseError


class ReleaseRefused(ReleaseError):
    """The requested release move or process release is not allowed; the message says why."""


def _position(versions: Sequence[str], version: str) -> int:
    if version not in versions:
        raise ReleaseRefused(f"unknown release {version!r}; known releases: {', '.join(versions)}")
    return list(versions).index(version)


def check_migration(
    versions: Sequence[str],
    *,
    current: str | None,
    target: str,
    live_releases: Iterable[str] = (),
    allow_skip: bool = False,
) -> list[str]:
    """Return the warnings of migrating from ``current`` to ``target``, or raise ReleaseRefused.

    A database no release migrated may go to any release. Otherwise the target is the
    database's release or the next one; ``allow_skip`` lifts the one-at-a-time rule and the rule
    that no live process runs a release older than ``current``, and says so in the warnings.
    Going back is never allowed here: that is ``zdt rollback``.
    """
    there = _position(versions, target)
    if current is None:
        return []
    here = _position(versions, current)
    if there < here:
        raise ReleaseRefused(
            f"the database is at {current}, ahead of {target}, and `zdt migrate` never migrates"
            f" backward: `zdt rollback --to {target}` shows what going back drops and asks first"
        )
    if there == here:
        return []
    warnings: list[str] = []
    older = sorted({r for r in live_releases if r in versions and versions.index(r) < here})
    if older:
        message = (
            f"live processes still run release {', '.join(older)}, older than the database's"
            f" {current}: roll every app server and worker to {current} before migrating"
        )
        if not allow_skip:
            raise ReleaseRefused(message)
        warnings.append(message)
    if there - here > 1:
        path = " -> ".join(versions[here : there + 1])
        message = (
            f"{target} is {there - here} releases ahead of the database's {current}, and a"
            f" migration keeps only the release just before it working: go one release at a"
            f" time, {path} (next: `zdt upgrade --to {versions[here + 1]}`; --allow-skip forces"
            " the jump to show what breaks)"
        )
        if not allow_skip:
            raise ReleaseRefused(message)
        warnings.append(f"skipping {', '.join(versions[here + 1 : there])}: {message}")
    return warnings


def check_rollback(
    versions: Sequence[str],
    *,
    current: str | None,
    target: str,
    live_releases: Iterable[str] = (),
) -> None:
    """Raise ReleaseRefused unless the database can go back from ``current`` to ``target``.

    The target must be older than the database's release, and no live process may run a
    release newer than the target (its code would lose the columns it uses).
    """
    there = _position(versions, target)
    if current is None:
        raise ReleaseRefused("the database is not at any release: there is nothing to roll back")
    here = _position(versions, current)
    if there >= here:
        raise ReleaseRefused(
            f"the database is at {current}, not ahead of {target}: nothing to roll back"
            + (f" (`zdt migrate --release {target}` moves forward)" if there > here else "")
        )
    newer = sorted({r for r in live_releases if r in versions and versions.index(r) > there})
    if newer:
        raise ReleaseRefused(
            f"live processes run release {', '.join(newer)}, newer than {target}: stop them (or"
            f" roll them back to {target}) before rolling the database back; `zdt status` lists"
            " them"
        )


def check_process_release(
    versions: Sequence[str], *, database: str | None, requested: str | None
) -> str:
    """Return the release a process runs on a database at ``database``, or raise ReleaseRefused.

    Without a request it is the database's release (the newest for a database no release
    migrated). A requested release may be the database's or the one before it (the release
    still serving while the next one is rolled out), nothing older and nothing newer.
    """
    if requested is not None:
        _position(versions, requested)
    if database is None:
        return requested or versions[-1]
    if requested is None:
        return database
    here, asked = _position(versions, database), versions.index(requested)
    if asked > here:
        raise ReleaseRefused(
            f"release {requested} is newer than the database's {database}: its code needs a"
            f" schema the database does not have yet; migrate the database to it first (next:"
            f" `zdt upgrade --to {versions[here + 1]}`) or leave out --release to run {database}"
        )
    if asked < here - 1:
        raise ReleaseRefused(
            f"release {requested} is older than {versions[here - 1]}, the release before the"
            f" database's {database}: its code no longer works on this schema; run {database}"
            f" or {versions[here - 1]}"
        )
    return requested
