"""``zdt populate`` and ``token``: work on the project's data."""

from __future__ import annotations

import click

from zerodowntime.cli.errors import friendly
from zerodowntime.cli.processes import RELEASE_OPTION
from zerodowntime.project import setup_django


@click.command()
@click.option("--amount", "-n", default=1_000_000, show_default=True, help="Rows to append.")
@RELEASE_OPTION
@friendly
def populate(amount: int, release: str | None) -> None:
    """Append AMOUNT generated products to the table (the project's populate_db command)."""
    setup_django(release=release)
    from django.core.management import call_command

    call_command("populate_db", amount=amount)


@click.command()
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@friendly
def token(name: str) -> None:
    """Create an API token for mutations and print it (it is shown only this once)."""
    setup_django()
    from django.core.management import call_command

    call_command("create_token", name=name)


COMMANDS = [populate, token]
