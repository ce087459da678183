"""The catalog's own ``zdt`` commands: ``demo``, ``populate`` and ``token``.

The toolkit's ``zdt`` finds them through the ``zerodowntime.commands`` entry point declared in
``example/pyproject.toml``; they use only the toolkit's public CLI helpers.
"""

from __future__ import annotations

import secrets
import subprocess
import sys

import click

from zerodowntime.cli.errors import friendly
from zerodowntime.cli.foreground import STOP_TIMEOUT, run_foreground, sigterm_as_interrupt
from zerodowntime.cli.processes import RELEASE_OPTION
from zerodowntime.project import (
    process_environment,
    running_release,
    services_for_command,
    setup_django,
)
from zerodowntime.subprocesses import CommandFailed, run, zdt_command

EXAMPLES = """\
Try it in another shell (queries are public, mutations need the token); each call below has just
run against the server:

{examples}

GraphiQL (no internet needed): http://127.0.0.1:{port}/graphql/
Inspect the table: `zdt psql` or `zdt schema`.  Stop with Ctrl-C.
"""


def _zdt(*args: str, env: dict[str, str], capture: bool = False) -> str:
    """Run ``zdt ARGS``; fail with its own error sentence (its stderr's last line)."""
    try:
        result = run(zdt_command(*args), env=env, pass_stdout=not capture)
    except CommandFailed as exc:
        detail = exc.tail(1).removeprefix("Error: ")
        raise click.ClickException(f"`zdt {' '.join(args)}`: {detail}") from None
    sys.stderr.write(result.stderr)
    return result.stdout if capture else ""


def _product_count(database_url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _print_examples(server: subprocess.Popen[bytes], release: str, port: int, token: str) -> None:
    """Wait for the server, run the release's examples against it, then print them."""
    from catalog import examples as api

    url = f"http://127.0.0.1:{port}/graphql/"
    try:
        api.wait_serving(f"http://127.0.0.1:{port}/health/", alive=lambda: server.poll() is None)
        examples = api.build_examples(api.release_schema(release))
        api.check(examples, url=url, token=token)
    except api.ExampleError as exc:
        raise click.ClickException(str(exc)) from exc
    printed = api.render(examples, url=url, token=token, indent="  ")
    click.echo(EXAMPLES.format(examples=printed, port=port))


@click.command()
@click.option("--release", "-r", default="0.1.0", show_default=True, help="Release to serve.")
@click.option("--rows", default=100_000, show_default=True, help="Products to have in the table.")
@click.option("--port", "-p", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--table", default="product_product", show_default=True, hidden=True)
@click.option(
    "--keep-services/--stop-services",
    default=False,
    help="Leave the embedded PostgreSQL and Redis running after Ctrl-C if this started them.",
)
@friendly
def demo(release: str, rows: int, port: int, table: str, keep_services: bool) -> None:
    """Migrate to RELEASE, populate, create a token and serve the API until Ctrl-C or SIGTERM.

    A database already ahead of RELEASE is refused (`zdt rollback` is how to go back).
    """
    with sigterm_as_interrupt(), services_for_command(keep=keep_services):
        env = process_environment(release=release)
        # A local demo server: a throw-away key unless one is given (catalog.wsgi refuses none).
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        click.echo(f"Migrating to {release}...")
        _zdt("migrate", "--release", release, env=env)
        missing = rows - _product_count(env["DATABASE_URL"], table)
        if missing > 0:
            click.echo(f"Populating {missing:,} products...")
            _zdt("populate", "--amount", str(missing), "--release", release, env=env)
        token = _zdt("token", "--name", "demo", env=env, capture=True).strip()
        run_foreground(
            zdt_command("serve", "--release", release, "--port", str(port)),
            env,
            on_started=lambda server: _print_examples(server, release, port, token),
            # Longer than `zdt serve` gives gunicorn: killing it first would orphan gunicorn.
            stop_timeout=2 * STOP_TIMEOUT,
        )


@click.command()
@click.option("--amount", "-n", default=1_000_000, show_default=True, help="Rows to append.")
@RELEASE_OPTION
@friendly
def populate(amount: int, release: str | None) -> None:
    """Append AMOUNT generated products to the table (the project's populate_db command)."""
    setup_django(release=running_release(release, require_migrated=True))
    from django.core.management import call_command

    call_command("populate_db", amount=amount)


@click.command()
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@friendly
def token(name: str) -> None:
    """Create an API token for mutations and print it (it is shown only this once)."""
    setup_django(release=running_release(None, require_migrated=True))
    from django.core.management import call_command

    call_command("create_token", name=name)


COMMANDS = [demo, populate, token]
