"""The ``zdt`` group: the toolkit's commands plus those installed projects declare."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click
import pytest

main = importlib.import_module("zerodowntime.cli.main")


def _group() -> click.Group:
    group = click.Group("zdt")
    group.add_command(click.Command("migrate"))
    return group


def test_project_commands_come_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    hello = click.Command("hello")
    monkeypatch.setattr(main, "entry_points", lambda group: [_entry_point(group, [hello])])
    group = _group()
    main.add_project_commands(group)
    main.add_project_commands(group)  # idempotent
    assert group.commands["hello"] is hello


def test_a_project_command_may_not_replace_a_toolkit_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        main, "entry_points", lambda group: [_entry_point(group, [click.Command("migrate")])]
    )
    with pytest.raises(click.UsageError, match="rename the project's command"):
        main.add_project_commands(_group())


def test_the_installed_example_declares_its_commands() -> None:
    names = set(main.project_cli().commands)
    assert {"demo", "populate", "token"} <= names
    assert {"migrate", "serve", "check", "rehearse"} <= names


@dataclass
class _EntryPoint:
    """What ``add_project_commands`` reads of an installed entry point."""

    value: str
    commands: list[click.Command]

    def load(self) -> list[click.Command]:
        return self.commands


def _entry_point(group: str, commands: list[click.Command]) -> _EntryPoint:
    assert group == main.COMMANDS_GROUP
    return _EntryPoint("fixture.cli:COMMANDS", commands)
