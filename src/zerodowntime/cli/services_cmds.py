"""``zdt up``, ``down``, ``env`` and ``psql``: the local services."""

from __future__ import annotations

import os
import shlex
import shutil

import click

from zerodowntime import services
from zerodowntime.cli.errors import friendly


@click.command()
@friendly
def up() -> None:
    """Start the embedded PostgreSQL and Redis (no-op when running or when URLs are set)."""
    urls = services.up()
    where = "embedded in " + str(services.state_dir()) if urls.embedded else "external"
    click.echo(f"PostgreSQL: {urls.database_url}\nRedis:      {urls.redis_url}\n({where})")


@click.command()
@friendly
def down() -> None:
    """Stop the embedded PostgreSQL and Redis started by `zdt up`."""
    if services.down():
        click.echo("Stopped the embedded PostgreSQL and Redis.")
    else:
        click.echo("Nothing was running.")


@click.command(name="env")
@friendly
def env_command() -> None:
    """Print the DATABASE_URL and REDIS_URL in use as shell exports.

    Use it as `eval "$(zdt env)"` to point your own tools at the same servers. The embedded
    servers keep their ports across restarts, so the exports stay valid after `zdt up`.
    """
    urls = services.resolve_urls()
    if urls is None:
        raise click.ClickException("no services are running: start them with `zdt up`")
    if urls.embedded and not services.embedded_running():
        click.echo(
            "# the embedded PostgreSQL and Redis are stopped: `zdt up` starts them on these ports",
            err=True,
        )
    click.echo(f"export DATABASE_URL={shlex.quote(urls.database_url)}")
    click.echo(f"export REDIS_URL={shlex.quote(urls.redis_url)}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
@friendly
def psql(psql_args: tuple[str, ...]) -> None:
    """Open psql on the database in use (extra arguments go to psql)."""
    urls = services.resolve_urls()
    if urls is None:
        raise click.ClickException("no services are running: start them with `zdt up`")
    binary = shutil.which("psql") or str(services.EmbeddedPostgres.bin_dir() / "psql")
    os.execv(binary, [binary, urls.database_url, *psql_args])


COMMANDS = [up, down, env_command, psql]
