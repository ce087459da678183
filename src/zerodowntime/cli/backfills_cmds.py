"""Commands of this group are registered here (see cli/main.py)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
