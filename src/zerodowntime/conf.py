"""Every setting of the toolkit: declared here, read once, refreshed when Django's settings change.

Each field of :class:`ToolkitSettings` is the Django setting of its name in capitals, prefixed
``ZDT_`` (``lock_timeout`` is ``ZDT_LOCK_TIMEOUT``). Its value is the Django setting, else (for
the fields marked ``env``) the environment variable of the same name, read by the toolkit
itself, else the default. :func:`get` reads them all once; Django's
``setting_changed`` signal (``override_settings``, pytest-django's ``settings``) empties the
cache. Pluggables (the release manifest, the rehearsal scenario, the backfill classes, the
Celery app) are dotted paths imported once with ``import_string``; a missing or wrong one raises
``ImproperlyConfigured`` with the line to write. ``docs/settings.md`` is :func:`settings_table`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from celery import Celery

    from zerodowntime.background.base import Backfill
    from zerodowntime.deploy.git_releases import GitReleases
    from zerodowntime.deploy.releases import Release, ReleaseManifest
    from zerodowntime.rehearsal.scenario import Scenario

PREFIX = "ZDT_"
# django-pg-zero-downtime-migrations' own lock timeout, replaced by ZDT_LOCK_TIMEOUT.
LIBRARY_LOCK_TIMEOUT = "ZERO_DOWNTIME_MIGRATIONS_LOCK_TIMEOUT"
_DURATION = re.compile(r"^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$")


def _setting(
    default: Any,
    meaning: str,
    *,
    env: bool = False,
    example: str | None = None,
    duration: bool = False,
) -> Any:
    """Declare a setting: its default, meaning, environment fallback and an example value."""
    metadata = {"meaning": meaning, "env": env, "example": example, "duration": duration}
    if isinstance(default, tuple | list):
        return field(default_factory=lambda: tuple(default), metadata=metadata)
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ToolkitSettings:
    """The value of every toolkit setting (see the module docstring for their names)."""

    # Releases and deployment
    release_manifest: str | None = _setting(
        None,
        "dotted path of the project's `zerodowntime.deploy.releases.ReleaseManifest`",
        example="myproject.releases.MANIFEST",
    )
    release: str | None = _setting(
        None, "the release this process runs (unset: the newest of the manifest)", env=True
    )
    releases_from_git: tuple[str, ...] = _setting(
        (),
        "the project's releases as git refs, oldest first: tag patterns such as `v*` (their"
        " tags sorted by version) or names of tags, branches or commits; used when"
        " `ZDT_RELEASE_MANIFEST` is unset (see docs/adopting.md)",
        env=True,
        example="v*",
    )
    git_repository: str | None = _setting(
        None,
        "folder of the project's git repository (unset: the one holding the current folder)",
        env=True,
    )
    heartbeat_interval: float = _setting(
        2.0, "seconds between two heartbeats of an app server or worker (`zdt status`)"
    )
    deploy_commands: dict[str, str] = _setting(
        {},
        "shell command of each step of `zdt upgrade --deployer commands`, by action"
        " (`stop_workers`, `migrate`, `start_workers`, `wait_background`, `roll_app_servers`;"
        " `{release}` is replaced by the release); see docs/deploying.md",
        example='{"stop_workers": "systemctl stop myproject-worker"}',
    )
    # Schema changes (every DDL statement of a migration)
    lock_timeout: str = _setting(
        "200ms",
        "how long one attempt of a DDL statement waits for its lock (and the application's"
        " queries queue behind it) before it is retried; see docs/safe-operations.md",
        env=True,
        duration=True,
    )
    ddl_time_budget: float = _setting(
        300.0,
        "seconds a DDL statement may spend on attempts and back-off waiting for its lock before"
        " the migration gives up, naming the blockers",
        env=True,
    )
    ddl_retry_base_delay: float = _setting(
        0.5, "seconds before the first retry; doubled at each retry, with jitter"
    )
    ddl_retry_max_delay: float = _setting(5.0, "longest pause between two retries, in seconds")
    ddl_end_idle_blockers_after: float | None = _setting(
        None,
        "end (`pg_terminate_backend`) a backend that blocks a DDL statement while idle in"
        " transaction for longer than this many seconds (unset: never end one)",
        env=True,
        example="60",
    )
    ddl_end_active_blockers: bool = _setting(
        False,
        "also end blockers running a query whose transaction is older than"
        " `ZDT_DDL_END_IDLE_BLOCKERS_AFTER`",
        env=True,
    )
    ddl_cancel_autovacuum: bool = _setting(
        True,
        "before each attempt of a DDL statement, cancel the autovacuum (never one preventing"
        " wraparound) that holds a lock on a table the statement locks, as PostgreSQL itself"
        " does after `deadlock_timeout`; see docs/safe-operations.md",
        env=True,
    )
    ddl_record_file: str | None = _setting(
        None, "file to which each DDL statement's record is appended as a JSON line", env=True
    )
    wal_compression: str = _setting(
        "pglz",
        "`wal_compression` of the sessions doing the upgrade's bulk work (a migration's, with"
        " its index builds, and a backfill's): the whole pages they write to the WAL are"
        " compressed, so the application's commits have less WAL to flush behind them; `off`"
        " leaves the server's setting; needs superuser or `GRANT SET ON PARAMETER"
        " wal_compression`, without which the server's setting stays",
        env=True,
        example="lz4",
    )
    ddl_maintenance_workers: int = _setting(
        0, "`max_parallel_maintenance_workers` of a migration (index builds keep to one core)"
    )
    # Background migrations
    background_migrations: tuple[str, ...] = _setting(
        (),
        "dotted paths of the project's `zerodowntime.background.base.Backfill` subclasses",
        example="myproject.backfills.SlugBackfill",
    )
    celery_app: str | None = _setting(
        None,
        "dotted path of the project's Celery app (unset: Celery's current app); `zdt worker`"
        " also reads `celery_app` under `[tool.zerodowntime]`",
        env=True,
        example="myproject.celery.app",
    )
    background_target_seconds: float = _setting(
        0.2, "duration a batch aims at; the batch size adapts to it"
    )
    background_batch_size: int = _setting(1000, "first batch size of a backfill")
    background_min_batch_size: int = _setting(100, "smallest batch size")
    background_max_batch_size: int = _setting(50_000, "largest batch size")
    background_nice_ratio: float = _setting(
        1.0,
        "seconds a backfill pauses after each batch, per second the batch took (gh-ost's nice"
        " ratio): 1 keeps it busy half of the time at most, 0 runs batches back to back; see"
        " docs/design.md, §3",
        env=True,
    )
    background_lock_timeout: str = _setting(
        "2s", "lock timeout of a batch (and of its ANALYZE / VACUUM)", duration=True
    )
    background_statement_timeout: str = _setting(
        "30s", "statement timeout of a batch", duration=True
    )
    background_task_time_budget: float = _setting(
        60.0, "seconds one task runs batches before it re-queues itself"
    )
    background_stale_seconds: float = _setting(
        30.0, "seconds without progress after which a running backfill is queued again"
    )
    background_retry_delay: float = _setting(
        30.0, "seconds before a failed backfill is queued again"
    )
    background_enqueue_timeout: float = _setting(
        2.0, "seconds the broker may take to accept a task before the enqueue gives up"
    )
    background_vacuum: bool = _setting(
        True, "VACUUM the table when a backfill that changed a tenth of it or more finishes"
    )
    background_vacuum_cost_delay: str = _setting(
        "2ms",
        "`vacuum_cost_delay` of the ANALYZE and VACUUM a backfill runs: each pauses this long"
        " every time it has done `vacuum_cost_limit` worth of work, as autovacuum does by"
        " default; `0` runs them unthrottled",
        env=True,
        duration=True,
    )
    # Checks and rehearsal
    project_apps: tuple[str, ...] = _setting(
        (),
        "labels of the project's own apps, whose migrations `zdt check` lints (unset: every"
        " installed app whose code is not under site-packages, the toolkit's excepted)",
        example="shop",
    )
    sdl_snapshot_dir: str | None = _setting(
        None, "folder of the committed GraphQL SDL of each release (unset: not compared)"
    )
    check_factories: str | None = _setting(
        None,
        "dotted path of a mapping of model label (`app_label.ModelName`) to a callable that"
        " creates and returns a saved instance (a factory_boy factory, say): `zdt check --since`"
        " runs the previous release's code with it instead of generated values; read in that"
        " release's code (see docs/checks.md)",
        env=True,
        example="myproject.factories.CHECK_FACTORIES",
    )
    check_database_url: str | None = _setting(
        None,
        "a database `zdt check` only looks at (read-only: table statistics and sizes) to give"
        " each finding its table's size and cost, and to flag data loops over big tables"
        " (`zdt check --database-url`; see docs/checks.md)",
        env=True,
        example="postgresql://readonly@db.example.com/shop",
    )
    check_big_table_rows: int = _setting(
        100_000,
        "rows from which a data loop in a migration (RunPython, or UPDATE/DELETE/INSERT ..."
        " SELECT over an existing table) is an error of `zdt check --database-url` (ZDT111)",
    )
    rehearsal_scenarios: str | None = _setting(
        None,
        "dotted path of the project's `zerodowntime.rehearsal.scenario.Scenario` instance",
        example="myproject.scenarios.SCENARIO",
    )


@dataclass(frozen=True)
class EnvironmentVariable:
    """A variable read from the environment only (by ``zdt`` before Django is set up)."""

    name: str
    default: str | None
    meaning: str
    pyproject: str | None = None  # the key under [tool.zerodowntime] that may give it instead


ENVIRONMENT = (
    EnvironmentVariable(
        "DJANGO_SETTINGS_MODULE", None, "the project's settings", pyproject="django_settings"
    ),
    EnvironmentVariable(
        "ZDT_WSGI_APPLICATION",
        None,
        "the WSGI application `zdt serve` runs (`module:attribute`)",
        pyproject="wsgi_application",
    ),
    EnvironmentVariable(
        "ZDT_ASGI_APPLICATION",
        None,
        "the ASGI application `zdt serve --worker-class asgi` runs (`module:attribute`)",
        pyproject="asgi_application",
    ),
    EnvironmentVariable(
        "ZDT_EMBEDDED",
        None,
        "`1`: `zdt` commands start the embedded PostgreSQL and Redis when no server is configured",
        pyproject="embedded",
    ),
    EnvironmentVariable("DATABASE_URL", None, "the PostgreSQL server `zdt` commands use"),
    EnvironmentVariable("REDIS_URL", None, "the Redis server `zdt` commands use"),
    EnvironmentVariable("ZDT_STATE_DIR", ".zdt", "where the embedded servers keep their data"),
    EnvironmentVariable(
        "ZDT_PROCESS_ROLE", None, "`web` or `worker`: set by `zdt serve` / `zdt worker`"
    ),
    EnvironmentVariable("ZDT_PROCESS_PORT", None, "the port of an app server, set by `zdt serve`"),
    EnvironmentVariable(
        "ZDT_WORKER_READY_FILE",
        None,
        "a file a Celery worker writes once it takes tasks and removes when it stops (a probe)",
    ),
)


def environ(name: str) -> str | None:
    """Return the environment variable ``name`` (declared in :data:`ENVIRONMENT`) or its default."""
    for variable in ENVIRONMENT:
        if variable.name == name:
            return os.environ.get(name) or variable.default
    raise KeyError(f"{name} is not a declared environment variable of the toolkit")


def setting_name(declared: Field[Any]) -> str:
    """Return the Django setting of a :class:`ToolkitSettings` field."""
    return PREFIX + declared.name.upper()


def declared_settings() -> tuple[Field[Any], ...]:
    """Return the fields of :class:`ToolkitSettings`, in declaration order."""
    return fields(ToolkitSettings)


def _default(declared: Field[Any]) -> Any:
    if callable(declared.default_factory):
        return declared.default_factory()
    return declared.default


def default(field_name: str) -> Any:
    """Return the default of the setting declared as field ``field_name``."""
    return _default(_declared(field_name))


def _declared(field_name: str) -> Field[Any]:
    for declared in declared_settings():
        if declared.name == field_name:
            return declared
    raise KeyError(f"{field_name} is not a field of ToolkitSettings")


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _as_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(raw)


def _as_paths(raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(raw, list | tuple):
        return tuple(str(part) for part in raw)
    raise ValueError(raw)


def _as_optional_str(raw: object) -> str | None:
    return None if raw is None or raw == "" else str(raw)


def _as_commands(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in raw.items()
    ):
        raise ValueError(raw)
    return dict(raw)


def _as_optional_float(raw: object) -> float | None:
    return None if raw is None or raw == "" else float(str(raw))


def _as_str(raw: object) -> str:
    if raw is None or isinstance(raw, list | tuple | dict):
        raise ValueError(raw)
    return str(raw)


# Annotation -> (parser, what the value must be, the type's name in docs/settings.md).
_PARSERS: dict[str, tuple[Callable[[object], Any], str, str]] = {
    "str": (_as_str, "a string", "string"),
    "str | None": (_as_optional_str, "a string or None", "string or None"),
    "int": (lambda raw: int(str(raw)), "an integer", "integer"),
    "float": (lambda raw: float(str(raw)), "a number", "number"),
    "float | None": (_as_optional_float, "a number or None", "number or None"),
    "bool": (_as_bool, "True or False", "boolean"),
    "tuple[str, ...]": (_as_paths, "a list of dotted paths", "list of strings"),
    "dict[str, str]": (_as_commands, "a dict of strings by action", "dict of strings"),
}


def type_name(declared: Field[Any]) -> str:
    """Return the type of a setting as docs/settings.md names it."""
    if declared.metadata["duration"]:
        return "duration"
    return _PARSERS[str(declared.type)][2]


def _parse(declared: Field[Any], raw: object, source: str) -> Any:
    """Return ``raw`` converted to the field's type, or raise ImproperlyConfigured."""
    parse, expected, _ = _PARSERS[str(declared.type)]
    name = setting_name(declared)
    if declared.metadata["duration"]:
        expected = "a PostgreSQL duration such as '1s' or '300ms'"
    try:
        value = parse(raw)
        if declared.metadata["duration"] and not _DURATION.match(str(value).strip()):
            raise ValueError(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"{source} {name} = {raw!r} is not {expected}: write for example"
            f" {name} = {_default(declared)!r}"
        ) from None
    return value


def _read(declared: Field[Any]) -> Any:
    """Return one setting: the Django setting, else the environment (if allowed), else default."""
    name = setting_name(declared)
    if hasattr(django_settings, name):
        return _parse(declared, getattr(django_settings, name), "the setting")
    if declared.metadata["env"] and os.environ.get(name, "") != "":
        return _parse(declared, os.environ[name], "the environment variable")
    return _default(declared)


_current: ToolkitSettings | None = None


def get() -> ToolkitSettings:
    """Return the toolkit's settings, read once and kept until a setting changes."""
    global _current
    if _current is None:
        _current = ToolkitSettings(**{d.name: _read(d) for d in declared_settings()})
    return _current


def reload() -> None:
    """Forget the settings read and the pluggables imported (the next call reads them again)."""
    global _current
    _current = None
    _imported.cache_clear()
    _git_releases.cache_clear()
    _git_manifest.cache_clear()


def _on_setting_changed(*, setting: str, **_: Any) -> None:
    if setting.startswith(PREFIX):
        reload()


setting_changed.connect(_on_setting_changed, dispatch_uid="zerodowntime.conf")


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Return a system-check error for a wrong value, a warning for an ignored lock timeout."""
    messages: list[checks.CheckMessage] = []
    try:
        get()
    except ImproperlyConfigured as exc:
        messages.append(checks.Error(str(exc), id="zerodowntime.E002"))
    engines = [database.get("ENGINE", "") for database in django_settings.DATABASES.values()]
    ours = any(engine.startswith("zerodowntime.") for engine in engines)
    if ours and hasattr(django_settings, LIBRARY_LOCK_TIMEOUT):
        messages.append(
            checks.Warning(
                f"{LIBRARY_LOCK_TIMEOUT} does not apply: the toolkit's schema editor runs every"
                " statement under ZDT_LOCK_TIMEOUT",
                hint=f"rename {LIBRARY_LOCK_TIMEOUT} to ZDT_LOCK_TIMEOUT in your settings",
                id="zerodowntime.W002",
            )
        )
    return messages


# Pluggables -----------------------------------------------------------------------------------


@cache
def _imported(dotted_path: str) -> Any:
    """Import ``dotted_path`` (``module.attribute``, or ``module:attribute``) once."""
    return import_string(dotted_path.replace(":", "."))


def _load(field_name: str, kind: type, *, path: str | None = None, subclass: bool = False) -> Any:
    """Return the object the pluggable setting names, checked to be a ``kind`` (or subclass).

    ``path`` is one item of a list setting; without it, the setting's own value is imported.
    """
    declared = _declared(field_name)
    name, example = setting_name(declared), declared.metadata["example"]
    wanted = f"{kind.__module__}.{kind.__qualname__}" + (" subclass" if subclass else "")
    path = path or getattr(get(), field_name)
    if not path:
        raise ImproperlyConfigured(f'set {name} = "{example}" in your settings (a {wanted})')
    try:
        value = _imported(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{name}: cannot import {path!r} ({exc}); write the dotted path of a {wanted},"
            f' such as "{example}"'
        ) from exc
    if subclass:
        fits = isinstance(value, type) and issubclass(value, kind)
    else:
        fits = isinstance(value, kind)
    if not fits:
        raise ImproperlyConfigured(
            f'{name}: {path!r} is not a {wanted}; write the dotted path of one, such as "{example}"'
        )
    return value


def has_releases() -> bool:
    """Return True when the project declares its releases (a manifest or git refs)."""
    return get().release_manifest is not None or bool(get().releases_from_git)


@cache
def _git_releases(specs: tuple[str, ...], repository: str | None) -> GitReleases:
    from pathlib import Path

    from django.apps import apps

    from zerodowntime.deploy.git_releases import GitReleases, repository_root
    from zerodowntime.project_apps import project_app_labels

    repo = repository_root(Path(repository) if repository else Path.cwd())
    folders = {}
    for label in project_app_labels():
        folder = Path(apps.get_app_config(label).path).resolve() / "migrations"
        if folder.is_relative_to(repo):
            folders[label] = folder.relative_to(repo).as_posix()
    here = Path.cwd().resolve()
    project = here.relative_to(repo).as_posix() if here.is_relative_to(repo) else "."
    return GitReleases(repo, specs, folders, project)


def git_source() -> GitReleases:
    """Return the project's git repository as a source of releases (Django must be set up)."""
    from zerodowntime.deploy.git_releases import GitError

    settings = get()
    try:
        return _git_releases(settings.releases_from_git, settings.git_repository)
    except GitError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def git_releases() -> GitReleases | None:
    """Return the project's releases in git (``ZDT_RELEASES_FROM_GIT``), None without them."""
    settings = get()
    if settings.release_manifest is not None or not settings.releases_from_git:
        return None
    return git_source()


@cache
def _git_manifest(source: GitReleases) -> ReleaseManifest:
    return source.manifest()


def release_manifest() -> ReleaseManifest:
    """Return the project's release manifest.

    It is ``ZDT_RELEASE_MANIFEST``'s, else the one read from the git refs of
    ``ZDT_RELEASES_FROM_GIT`` (read once per process).
    """
    from zerodowntime.deploy.git_releases import GitError
    from zerodowntime.deploy.releases import ReleaseManifest

    source = git_releases()
    if source is not None:
        try:
            return _git_manifest(source)
        except GitError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
    manifest: ReleaseManifest = _load("release_manifest", ReleaseManifest)
    return manifest


def release() -> Release:
    """Return the release this process runs (``ZDT_RELEASE``, else the manifest's newest)."""
    from zerodowntime.deploy.releases import ReleaseError

    manifest, version = release_manifest(), get().release
    if version is None:
        return manifest.newest
    try:
        return manifest.get(version)
    except ReleaseError as exc:
        raise ImproperlyConfigured(f"ZDT_RELEASE: {exc}") from exc


def release_version() -> str:
    """Return the name of the release this process runs ("" when no release is configured).

    Without ``ZDT_RELEASE_MANIFEST`` this is ``ZDT_RELEASE`` as given, so the health views and
    the release header work in a project that has no manifest yet.
    """
    if not has_releases():
        return get().release or ""
    return release().version


def deploy_commands() -> dict[str, str]:
    """Return ``ZDT_DEPLOY_COMMANDS``, checked to name only actions of the upgrade procedure."""
    from zerodowntime.deploy.plan import Action

    commands, keys = get().deploy_commands, [action.key for action in Action]
    if not commands:
        raise ImproperlyConfigured(
            "set ZDT_DEPLOY_COMMANDS in your settings to the shell command of each step, for"
            ' example ZDT_DEPLOY_COMMANDS = {"stop_workers": "systemctl stop myproject-worker",'
            ' "start_workers": "systemctl start myproject-worker@{release}"} (docs/deploying.md)'
        )
    unknown = sorted(set(commands) - set(keys))
    if unknown:
        raise ImproperlyConfigured(
            f"ZDT_DEPLOY_COMMANDS names {', '.join(map(repr, unknown))}, not an action: the"
            f" actions are {', '.join(keys)}"
        )
    return dict(commands)


def rehearsal_scenario() -> Scenario:
    """Return the project's rehearsal scenario (setting ``ZDT_REHEARSAL_SCENARIOS``)."""
    from zerodowntime.rehearsal.scenario import Scenario

    scenario: Scenario = _load("rehearsal_scenarios", Scenario)
    return scenario


def check_factories() -> Mapping[str, Callable[[], Any]]:
    """Return ``ZDT_CHECK_FACTORIES``' callables by model label (empty when unset)."""
    path = get().check_factories
    if path is None:
        return {}
    try:
        factories = _imported(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"ZDT_CHECK_FACTORIES: cannot import {path!r} ({exc}); write the dotted path of a"
            ' mapping of model label to factory, such as "myproject.factories.CHECK_FACTORIES"'
        ) from exc
    if not isinstance(factories, Mapping) or not all(map(callable, factories.values())):
        raise ImproperlyConfigured(
            f"ZDT_CHECK_FACTORIES: {path!r} is not a mapping of model label to a callable;"
            ' write one, such as {"shop.Product": ProductFactory}'
        )
    return factories


def background_migrations() -> dict[str, type[Backfill]]:
    """Return the backfill classes of ``ZDT_BACKGROUND_MIGRATIONS`` by name, in their order."""
    from zerodowntime.background.base import Backfill

    result: dict[str, type[Backfill]] = {}
    for path in get().background_migrations:
        cls = _load("background_migrations", Backfill, path=path, subclass=True)
        if cls.name in result:
            raise ImproperlyConfigured(
                f"ZDT_BACKGROUND_MIGRATIONS: two backfills are named {cls.name!r}; give each"
                " class its own `name`, or list it once"
            )
        result[cls.name] = cls
    return result


def celery_app() -> Celery:
    """Return the project's Celery app (``ZDT_CELERY_APP``, else Celery's current app)."""
    from celery import Celery, current_app

    if get().celery_app is None:
        app: Celery = current_app._get_current_object()
        return app
    loaded: Celery = _load("celery_app", Celery)
    return loaded


# Documentation --------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None:
        return "—"
    return f"`{list(value)!r}`" if isinstance(value, tuple) else f"`{value!r}`"


def settings_table() -> str:
    """Return the Markdown tables of every setting and environment variable (docs/settings.md)."""
    lines = [
        "| Setting | Type | Default | Environment fallback | Meaning |",
        "|---|---|---|---|---|",
    ]
    for declared in declared_settings():
        env = "yes" if declared.metadata["env"] else "no"
        lines.append(
            f"| `{setting_name(declared)}` | {type_name(declared)} | {_shown(_default(declared))}"
            f" | {env} | {declared.metadata['meaning']} |"
        )
    lines += [
        "",
        "| Environment variable | `[tool.zerodowntime]` key | Default | Meaning |",
        "|---|---|---|---|",
    ]
    for variable in ENVIRONMENT:
        key = f"`{variable.pyproject}`" if variable.pyproject else "—"
        lines.append(
            f"| `{variable.name}` | {key} | {_shown(variable.default)} | {variable.meaning} |"
        )
    return "\n".join(lines) + "\n"
