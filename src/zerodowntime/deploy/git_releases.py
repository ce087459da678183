"""Releases read from git refs: each ref's migration heads, and its code checked out on demand.

``ZDT_RELEASES_FROM_GIT`` lists the refs (tag patterns such as ``v*``, sorted by version, or
names of tags, branches or commits, in the order given). For each ref the migration files of
every project app are read from git itself (``git ls-tree`` and ``git cat-file``, nothing
imported), so the heads of a release are known without its code on disk; :meth:`materialise`
checks a ref out into a cached ``git worktree`` for a child process to run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from zerodowntime.deploy.migration_files import folder_sources, is_migration_file, leaf_migrations
from zerodowntime.deploy.releases import Head, Release, ReleaseError, ReleaseManifest

_GLOB = set("*?[")


class GitError(ReleaseError):
    """A git command failed, or a ref is not in the repository; the message says which."""


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Return the output of ``git ARGS`` run in ``repo``, or raise :class:`GitError`."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False
    )
    if result.returncode != 0:
        error = result.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"`git {' '.join(args)}` failed in {repo}: {error[-1] if error else result.returncode}"
        )
    return result.stdout


def repository_root(start: Path) -> Path:
    """Return the top folder of the git work tree that holds ``start``."""
    try:
        top = git(start, "rev-parse", "--show-toplevel")
    except GitError:
        raise GitError(
            f"{start} is not in a git repository: ZDT_RELEASES_FROM_GIT needs one (set"
            " ZDT_GIT_REPOSITORY to its folder)"
        ) from None
    return Path(top.decode().strip())


def _read_blobs(repo: Path, blobs: list[str]) -> list[str]:
    """Return the text of each blob, read with one ``git cat-file --batch``."""
    if not blobs:
        return []
    output = git(repo, "cat-file", "--batch", stdin=("\n".join(blobs) + "\n").encode())
    texts, position = [], 0
    for _ in blobs:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        start = header_end + 1
        texts.append(output[start : start + size].decode(errors="replace"))
        position = start + size + 1
    return texts


@dataclass(frozen=True, eq=False)
class GitReleases:
    """The releases of a project kept in git: which refs, and where each app's migrations are.

    ``folders`` maps each project app's label to its migrations folder relative to the
    repository (POSIX form); ``project`` is the project's folder relative to the repository.
    """

    repo: Path
    specs: tuple[str, ...]
    folders: Mapping[str, str]
    project: str = "."
    _commits: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def refs(self) -> list[str]:
        """Return the release refs, oldest first: each pattern's tags by version, then names."""
        refs: list[str] = []
        for spec in self.specs:
            if _GLOB & set(spec):
                listed = git(self.repo, "tag", "--list", spec, "--sort=v:refname").decode()
                refs += listed.split()
            else:
                refs.append(spec)
        return list(dict.fromkeys(refs))

    def commit(self, ref: str) -> str:
        """Return the commit ``ref`` names, or raise :class:`GitError` naming the ref."""
        if ref not in self._commits:
            try:
                out = git(self.repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            except GitError:
                raise GitError(
                    f"ZDT_RELEASES_FROM_GIT names {ref!r}, which is not a tag, branch or commit"
                    f" of {self.repo}"
                ) from None
            self._commits[ref] = out.decode().strip()
        return self._commits[ref]

    def sources_at(self, ref: str) -> dict[str, dict[str, str]]:
        """Return, for each app, the text of each migration file at ``ref`` by migration name."""
        folders = {label: folder.rstrip("/") for label, folder in self.folders.items()}
        listing = git(self.repo, "ls-tree", "-r", self.commit(ref), "--", *folders.values())
        by_folder: dict[str, list[tuple[str, str]]] = {}
        for line in listing.decode().splitlines():
            meta, path = line.split("\t", 1)
            posix = PurePosixPath(path)
            if meta.split()[1] == "blob" and is_migration_file(posix.name):
                by_folder.setdefault(str(posix.parent), []).append((posix.stem, meta.split()[2]))
        result: dict[str, dict[str, str]] = {}
        for label, folder in folders.items():
            files = by_folder.get(folder, [])
            texts = _read_blobs(self.repo, [blob for _, blob in files])
            result[label] = {name: text for (name, _), text in zip(files, texts, strict=True)}
        return result

    def migrations_at(self, ref: str) -> set[Head]:
        """Return every ``(app, migration)`` of the project apps present at ``ref``."""
        return {(app, name) for app, files in self.sources_at(ref).items() for name in files}

    def heads_at(self, ref: str) -> tuple[Head, ...]:
        """Return the head migrations of every project app at ``ref``."""
        return _heads(self.sources_at(ref))

    def code_heads(self) -> tuple[Head, ...]:
        """Return the head migrations of every project app in the working tree (the code run)."""
        return _heads(
            {label: folder_sources(self.repo / folder) for label, folder in self.folders.items()}
        )

    def manifest(self) -> ReleaseManifest:
        """Return the releases of the refs, each with its commit and heads of every app."""
        refs = self.refs()
        if not refs:
            raise GitError(
                f"ZDT_RELEASES_FROM_GIT = {list(self.specs)!r} names no ref of {self.repo}:"
                " tag your releases or list their refs"
            )
        releases = tuple(
            Release(ref, heads=self.heads_at(ref), ref=ref, commit=self.commit(ref)) for ref in refs
        )
        return ReleaseManifest(app_label="", releases=releases, apps=tuple(self.folders))

    def materialise(self, ref: str, into: Path | None = None) -> Path:
        """Return the project's folder in a worktree of ``ref`` under ``into`` (kept, reused).

        ``into`` defaults to ``releases/`` in the state folder (``ZDT_STATE_DIR``).
        """
        if into is None:
            from zerodowntime.services import state_dir

            into = state_dir() / "releases"
        commit = self.commit(ref)
        worktree = into / ref.replace("/", "_")
        if worktree.exists():
            if git(worktree, "rev-parse", "HEAD").decode().strip() == commit:
                return worktree / self.project
            git(self.repo, "worktree", "remove", "--force", str(worktree))
        into.mkdir(parents=True, exist_ok=True)
        git(self.repo, "worktree", "add", "--detach", str(worktree), commit)
        return worktree / self.project


def _heads(sources: Mapping[str, Mapping[str, str]]) -> tuple[Head, ...]:
    return tuple(
        (label, name) for label, files in sources.items() for name in leaf_migrations(label, files)
    )
