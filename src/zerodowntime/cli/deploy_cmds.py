"""``zdt status``, ``schema`` and ``upgrade``: where the deployment is and how to move it on."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from zerodowntime import services
from zerodowntime.cli.errors import friendly
from zerodowntime.deploy.executor import Deployer
from zerodowntime.deploy.releases import ReleaseManifest
from zerodowntime.project import setup_django


def _manifest() -> ReleaseManifest:
    from zerodowntime import conf

    return conf.release_manifest()


@click.command()
@friendly
def status() -> None:
    """Show the services, the database's release, background migrations and live processes."""
    from zerodowntime import conf
    from zerodowntime.project import wants_embedded

    urls = services.resolve_urls()
    if (urls is None or urls.embedded) and (urls is not None or wants_embedded()):
        for name, state in services.status().items():
            click.echo(f"{name:<11} {state}")
        if not services.embedded_running():
            click.echo("database   not running: start it with `zdt up`")
            return
    setup_django()
    from django.db import connection

    from zerodowntime.deploy.background_status import read_progress
    from zerodowntime.deploy.current import current_release
    from zerodowntime.deploy.heartbeat import group_processes, live_processes

    current = None
    if not conf.has_releases():
        click.echo(
            "database   releases not tracked (set ZDT_RELEASE_MANIFEST or ZDT_RELEASES_FROM_GIT"
            " to track them)"
        )
    else:
        manifest = _manifest()
        current = current_release(manifest)
        versions = ", ".join(manifest.versions)
        click.echo(f"database   release {current or 'none (not migrated)'} of {versions}")
    with connection.cursor() as cursor:
        progress = read_progress(cursor)
    if progress is None:
        click.echo("background migrations: none recorded")
    else:
        click.echo(f"background migrations: {len(progress)}")
        for item in progress:
            share = f"{item.percent:5.1f}%" if item.percent is not None else "    ?"
            total = item.rows_total if item.rows_total is not None else "?"
            click.echo(
                f"  {item.name:<30} {item.status:<8} {share} ({item.rows_done}/{total} rows)"
            )
    live = live_processes() if current is not None else []
    click.echo(f"live processes: {len(live)}")
    for group in group_processes(live):
        click.echo(f"  {group}")


def _default_table() -> str:
    from django.apps import apps

    models = list(apps.get_app_config(_manifest().app_label).get_models())
    if not models:
        raise click.ClickException("the release app has no model: name one with --table")
    return str(models[0]._meta.db_table)


@click.command()
@click.option("--table", "-t", default=None, help="Table to show (default: the release app's).")
@friendly
def schema(table: str | None) -> None:
    """Show the columns, indexes, constraints and triggers of a table, as PostgreSQL has them."""
    setup_django()
    from zerodowntime.deploy.schema import UnknownTableError, describe_table

    table = table or _default_table()
    try:
        described = describe_table(table)
    except UnknownTableError as exc:
        raise click.ClickException(f"{exc}: migrate it first (`zdt migrate`)") from exc
    console = Console(width=160)
    columns = Table(title=f"{table}: columns", title_justify="left")
    for header in ("column", "type", "null", "default"):
        columns.add_column(header)
    for c in described.columns:
        columns.add_row(c.name, c.type, "NULL" if c.nullable else "NOT NULL", c.default or "")
    indexes = Table(title=f"{table}: indexes", title_justify="left")
    for header in ("index", "valid", "definition"):
        indexes.add_column(header)
    for i in described.indexes:
        indexes.add_row(i.name, "valid" if i.valid else "INVALID", i.definition)
    constraints = Table(title=f"{table}: constraints", title_justify="left")
    for header in ("constraint", "kind", "validated", "definition"):
        constraints.add_column(header)
    for k in described.constraints:
        constraints.add_row(k.name, k.kind, "yes" if k.validated else "NOT VALID", k.definition)
    triggers = Table(title=f"{table}: triggers", title_justify="left")
    for header in ("trigger", "enabled", "definition"):
        triggers.add_column(header)
    for t in described.triggers:
        triggers.add_row(t.name, "yes" if t.enabled else "no", t.definition)
    for part in (columns, indexes, constraints, triggers):
        console.print(part)


DEPLOYERS = ("manual", "commands")


def _deployer(name: str, *, allow_skip: bool, background_timeout: float) -> Deployer:
    """Return the deployer named ``name``: a built-in one or a project's, by dotted path."""
    from zerodowntime.deploy.manual import ManualDeployer

    if name == "manual":
        return ManualDeployer(
            click.echo, allow_skip=allow_skip, background_timeout=background_timeout
        )
    if name == "commands":
        from zerodowntime import conf
        from zerodowntime.deploy.command_deployer import CommandDeployer

        return CommandDeployer(
            conf.deploy_commands(),
            click.echo,
            allow_skip=allow_skip,
            background_timeout=background_timeout,
        )
    if "." not in name:
        raise click.BadParameter(
            f"{name!r} is neither {' nor '.join(DEPLOYERS)} nor a dotted path such as"
            " myproject.deploy.KubernetesDeployer",
            param_hint="--deployer",
        )
    from django.utils.module_loading import import_string

    try:
        factory = import_string(name.replace(":", "."))
    except ImportError as exc:
        raise click.BadParameter(
            f"cannot import {name!r} ({exc})", param_hint="--deployer"
        ) from exc
    deployer = factory()
    if not isinstance(deployer, Deployer):
        raise click.BadParameter(
            f"{name!r} made a {type(deployer).__name__}, not a"
            " zerodowntime.deploy.executor.Deployer",
            param_hint="--deployer",
        )
    return deployer


@click.command()
@click.option("--to", "target", required=True, metavar="X", help="Release to upgrade to.")
@click.option(
    "--deployer",
    "deployer_name",
    default="manual",
    show_default=True,
    metavar="NAME",
    help="How the steps are done: `manual` (zdt migrates and reports the background"
    " migrations; it prints the steps that are yours: stop and start the workers, roll the app"
    " servers), `commands` (each step runs its command from the ZDT_DEPLOY_COMMANDS setting,"
    " the manual way for a step without one), or the dotted path of your own Deployer class."
    " See docs/deploying.md.",
)
@click.option(
    "--background-timeout",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds to wait for the background migrations when the deployer waits for them.",
)
@click.option(
    "--allow-skip",
    is_flag=True,
    help="Jump over releases and ignore older live processes (only to demonstrate what breaks).",
)
@friendly
def upgrade(target: str, deployer_name: str, background_timeout: float, allow_skip: bool) -> None:
    """Upgrade the database to the next release, after checking the deployment allows it.

    Moves one release at a time: stop the workers, migrate, start the new workers, wait for the
    background migrations, roll the app servers. A deployer does each step (--deployer); the
    order is the same for every deployer, and the same as `zdt rehearse`'s.
    """
    setup_django()
    from zerodowntime.deploy.current import current_release
    from zerodowntime.deploy.executor import ConsoleProgress, execute
    from zerodowntime.deploy.heartbeat import live_processes
    from zerodowntime.deploy.plan import plan_upgrade

    deployer = _deployer(
        deployer_name, allow_skip=allow_skip, background_timeout=background_timeout
    )
    manifest = _manifest()
    current = current_release(manifest)
    live = live_processes() if current is not None else []
    plan = plan_upgrade(
        manifest.versions,
        current=current,
        target=target,
        live_releases=[p.release for p in live],
        allow_skip=allow_skip,
    )
    for warning in plan.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if plan.is_noop:
        click.echo(f"The database is already at release {target}.")
        return
    click.echo(
        f"Upgrading the database from {current or 'nothing'} to {target}"
        f" with the {deployer.name} deployer:"
    )
    execute(plan, deployer, [ConsoleProgress(click.echo)])
    click.echo(f"The database is at release {target}.")


COMMANDS = [status, schema, upgrade]
