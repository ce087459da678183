"""The ``zdt`` group, the wiring of the toolkit's subcommands, and the project's own commands.

A project adds commands of its own (populating data, a demo, API tokens) by declaring an entry
point in the group ``zerodowntime.commands`` that names a list of click commands, e.g. in its
``pyproject.toml``::

    [project.entry-points."zerodowntime.commands"]
    myproject = "myproject.cli:COMMANDS"
"""

from __future__ import annotations

import warnings
from importlib.metadata import entry_points

import click

from zerodowntime.cli import (
    backfills_cmds,
    check_cmds,
    deploy_cmds,
    processes,
    rehearse_cmds,
    services_cmds,
)

COMMANDS_GROUP = "zerodowntime.commands"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """Ship Django schema changes to busy PostgreSQL tables without downtime.

    Commands use DATABASE_URL and REDIS_URL. A project that declares `embedded = true` under
    [tool.zerodowntime] in its pyproject.toml may instead use an embedded PostgreSQL and Redis
    kept in .zdt/ (start them with `zdt up`, stop them with `zdt down`).
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


for module in (
    services_cmds,
    processes,
    backfills_cmds,
    deploy_cmds,
    check_cmds,
    rehearse_cmds,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def add_project_commands(group: click.Group) -> None:
    """Add the commands that installed projects declare in the ``zerodowntime.commands`` group."""
    for entry_point in entry_points(group=COMMANDS_GROUP):
        for command in entry_point.load():
            known = group.commands.get(command.name or "")
            if known is command:
                continue
            if known is not None:
                raise click.UsageError(
                    f"{entry_point.value} declares `zdt {command.name}`, a toolkit command:"
                    " rename the project's command"
                )
            group.add_command(command)


def project_cli() -> click.Group:
    """Return the ``zdt`` group with the installed projects' commands added."""
    add_project_commands(cli)
    return cli


def main() -> None:
    """Run the ``zdt`` command line."""
    project_cli()()
