"""Django settings of the catalog service, read from the environment.

``DATABASE_URL`` / ``REDIS_URL`` name the servers; without them the embedded servers that
``zdt up`` started are used. ``ZDT_RELEASE`` picks the release this process runs. The toolkit's
settings (``ZDT_*``) are listed in docs/settings.md; the toolkit reads the environment
fallbacks (``ZDT_LOCK_TIMEOUT``, ...) itself. The catalog's own settings are ``CATALOG_*``.
"""

from __future__ import annotations

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from catalog.releases.manifest import MANIFEST
from zerodowntime.background.schedule import BEAT_SCHEDULE as BACKGROUND_BEAT_SCHEDULE
from zerodowntime.deploy.releases import ReleaseError
from zerodowntime.services import ServiceError, resolve_urls


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("DEBUG")
# Without SECRET_KEY in the environment the public development key is used, and the WSGI
# application refuses to load with DEBUG off (catalog.wsgi): commands work, serving does not.
# The test sessions, `zdt demo` and the rehearsal's servers set a generated key.
DEFAULT_SECRET_KEY = "zdt-local-development-key-change-me-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEFAULT_SECRET_KEY
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

try:
    ZDT_RELEASE = MANIFEST.get(os.environ.get("ZDT_RELEASE") or MANIFEST.newest.version).version
except ReleaseError as exc:
    raise ImproperlyConfigured(f"ZDT_RELEASE: {exc}") from exc
ZDT_RELEASE_MANIFEST = "catalog.releases.manifest.MANIFEST"
# Committed GraphQL SDL of each release, compared by `zdt check` (docs/checks.md).
ZDT_SDL_SNAPSHOT_DIR = os.path.join(os.path.dirname(__file__), "releases", "sdl")
# What `zdt rehearse` sends and checks (zerodowntime.rehearsal.scenario.Scenario).
ZDT_REHEARSAL_SCENARIOS = "catalog.scenarios.SCENARIOS"

try:
    _urls = resolve_urls()
except ServiceError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
DATABASE_URL = _urls.database_url if _urls else "postgresql://postgres@127.0.0.1:54329/zdt"
REDIS_URL = _urls.redis_url if _urls else "redis://127.0.0.1:63799/0"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "zerodowntime.background",
    "zerodowntime.deploy",
    "zerodowntime.checks.apps.ChecksConfig",
    "catalog.apps.ProductConfig",
    "catalog.tokens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zerodowntime.deploy.middleware.ReleaseHeaderMiddleware",
]

ROOT_URLCONF = "catalog.urls"
WSGI_APPLICATION = "catalog.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        engine="zerodowntime.db.backends.postgres",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A persistent connection is checked before a request reuses it, so that a request
        # after a PostgreSQL restart gets a new connection instead of failing on the stale one.
        conn_health_checks=True,
    )
}
# A new connection gives up after this many seconds (libpq waits forever by default).
CATALOG_CONNECT_TIMEOUT = int(os.environ.get("CATALOG_CONNECT_TIMEOUT", "2"))
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", CATALOG_CONNECT_TIMEOUT
)
# App servers (`zdt serve` sets ZDT_PROCESS_ROLE=web) cancel any statement after this long;
# migrations and background migrations set their own timeouts.
CATALOG_STATEMENT_TIMEOUT_MS = int(os.environ.get("CATALOG_STATEMENT_TIMEOUT_MS", "5000"))
if os.environ.get("ZDT_PROCESS_ROLE") == "web":
    DATABASES["default"]["OPTIONS"]["options"] = (
        f"-c statement_timeout={CATALOG_STATEMENT_TIMEOUT_MS}"
    )
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CATALOG_TEST_DATABASE", "test_zdt")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every DDL statement waits at most ZDT_LOCK_TIMEOUT (1 s unless the setting or environment
# variable says otherwise) for its lock; the toolkit retries with back-off.
ZERO_DOWNTIME_MIGRATIONS_STATEMENT_TIMEOUT = None
ZERO_DOWNTIME_MIGRATIONS_RAISE_FOR_UNSAFE = True
# Re-running a migration that stopped halfway skips the statements that already took effect.
ZERO_DOWNTIME_MIGRATIONS_IDEMPOTENT_SQL = True

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE = {**BACKGROUND_BEAT_SCHEDULE}

# Background migrations (zerodowntime.background): dotted paths of the project's Backfill
# subclasses, e.g. "catalog.backfills.SlugBackfill"; tunables are the ZDT_BACKGROUND_* settings.
ZDT_BACKGROUND_MIGRATIONS: list[str] = [
    "catalog.backfills.CreatedAtBackfill",
    "catalog.backfills.SlugBackfill",
]
ZDT_CELERY_APP = "catalog.celery:app"

# API limits (docs/design.md §6). Every CATALOG_* limit and its default: catalog.common.limits and
# README's API contract. Introspection and GraphiQL can be switched off from the environment.
CATALOG_MAX_PAGE_SIZE = 100
CATALOG_MAX_QUERY_DEPTH = 8
CATALOG_INTROSPECTION = _flag("CATALOG_INTROSPECTION", default=True)
CATALOG_GRAPHIQL = _flag("CATALOG_GRAPHIQL", default=True)

_LOG_LEVEL = os.environ.get("CATALOG_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "zerodowntime": {"handlers": ["console"], "level": _LOG_LEVEL},
        "catalog": {"handlers": ["console"], "level": _LOG_LEVEL},
        # Server errors (HTTP 500) with their traceback; client errors (4xx) are not logged.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # A resolver's unexpected exception, answered as "Internal error.".
        "strawberry.execution": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
