"""GraphQL policy: committed SDL snapshots, and breaking changes only after a deprecation."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import (
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from zerodowntime.checks.findings import Finding, Rule, Severity, make_finding

BREAKING = Rule(
    "ZDT301",
    "graphql-breaking-change",
    Severity.ERROR,
    "clients of the previous release (still served during the rollout) use it and break",
    "keep it and mark it @deprecated in one release, remove it in a later one",
)
DANGEROUS = Rule(
    "ZDT302",
    "graphql-dangerous-change",
    Severity.WARNING,
    "existing clients keep working but may behave differently",
    "check that clients of the previous release handle the change",
)
SNAPSHOT = Rule(
    "ZDT303",
    "graphql-snapshot-outdated",
    Severity.ERROR,
    "the release's schema differs from its committed SDL snapshot, so the API changed "
    "without review",
    "review the change, then run `zdt check --update-snapshots` and commit the snapshot",
)
DEPRECATED = Rule(
    "ZDT304",
    "graphql-newly-deprecated",
    Severity.INFO,
    "it may be removed in the next release",
    "tell the API's clients to move off it",
)
GRAPHQL_RULES = (BREAKING, DANGEROUS, SNAPSHOT, DEPRECATED)

_REMOVALS = {
    BreakingChangeType.FIELD_REMOVED,
    BreakingChangeType.ARG_REMOVED,
    BreakingChangeType.VALUE_REMOVED_FROM_ENUM,
}
_COORDINATE = re.compile(r"\b([_A-Za-z]\w*\.[_A-Za-z]\w*(?:\([_A-Za-z]\w*:\))?)")


def deprecated_coordinates(schema: GraphQLSchema) -> set[str]:
    """Return ``Type.field``, ``Type.field(arg:)`` and ``Enum.VALUE`` marked deprecated."""
    found: set[str] = set()
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if field.deprecation_reason is not None:
                    found.add(f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if arg.deprecation_reason is not None:
                        found.add(f"{name}.{field_name}({arg_name}:)")
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                if input_field.deprecation_reason is not None:
                    found.add(f"{name}.{field_name}")
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if value.deprecation_reason is not None:
                    found.add(f"{name}.{value_name}")
    return found


def compare_releases(older: str, older_sdl: str, newer: str, newer_sdl: str) -> list[Finding]:
    """Return the policy findings for the API change from ``older`` to ``newer``."""
    old_schema, new_schema = build_schema(older_sdl), build_schema(newer_sdl)
    deprecated = deprecated_coordinates(old_schema)
    findings: list[Finding] = []
    for change in find_breaking_changes(old_schema, new_schema):
        match = _COORDINATE.search(change.description)
        if change.type in _REMOVALS and match and match.group(1) in deprecated:
            continue
        message = f"{change.description.rstrip('.')} (not deprecated in {older})"
        findings.append(make_finding(BREAKING, message, release=newer))
    for dangerous in find_dangerous_changes(old_schema, new_schema):
        findings.append(make_finding(DANGEROUS, dangerous.description.rstrip("."), release=newer))
    for coordinate in sorted(deprecated_coordinates(new_schema) - deprecated):
        findings.append(make_finding(DEPRECATED, f"{coordinate} is deprecated", release=newer))
    return findings


def snapshot_path(directory: Path, version: str) -> Path:
    """Return the snapshot file of ``version`` in ``directory``."""
    return directory / f"{version}.graphql"


def check_snapshots(sdls: dict[str, str], directory: Path) -> list[Finding]:
    """Return a finding for each release whose SDL differs from its committed snapshot."""
    findings = []
    for version, sdl in sdls.items():
        path = snapshot_path(directory, version)
        if not path.exists():
            message = f"no snapshot {path} for release {version}"
        elif path.read_text().strip() != sdl.strip():
            message = f"release {version}'s schema differs from {path}"
        else:
            continue
        findings.append(make_finding(SNAPSHOT, message, release=version))
    return findings


def write_snapshots(sdls: dict[str, str], directory: Path) -> list[Path]:
    """Write each release's SDL to its snapshot file; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for version, sdl in sdls.items():
        path = snapshot_path(directory, version)
        path.write_text(sdl.strip() + "\n")
        written.append(path)
    return written


def check_graphql(sdls: dict[str, str], directory: Path | None) -> list[Finding]:
    """Return snapshot findings and the policy findings of each adjacent pair of releases."""
    findings = check_snapshots(sdls, directory) if directory is not None else []
    versions = list(sdls)
    for older, newer in zip(versions, versions[1:], strict=False):
        findings += compare_releases(older, sdls[older], newer, sdls[newer])
    return findings
