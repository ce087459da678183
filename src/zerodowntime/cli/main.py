"""The ``zdt`` group and the wiring of every subcommand."""

from __future__ import annotations

import warnings

import click

from zerodowntime.cli import (
    backfills_cmds,
    check_cmds,
    demo_cmds,
    deploy_cmds,
    processes,
    project_cmds,
    rehearse_cmds,
    services_cmds,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """Ship Django schema changes to busy PostgreSQL tables without downtime.

    Without DATABASE_URL / REDIS_URL, commands use an embedded PostgreSQL and Redis kept in
    .zdt/ (start them with `zdt up`, stop them with `zdt down`).
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


for module in (
    services_cmds,
    processes,
    project_cmds,
    backfills_cmds,
    deploy_cmds,
    check_cmds,
    rehearse_cmds,
    demo_cmds,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Run the ``zdt`` command line."""
    cli()
