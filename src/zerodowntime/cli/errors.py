"""Turn library exceptions into one clear sentence and a non-zero exit code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def user_errors() -> Iterator[None]:
    """Re-raise the toolkit's expected failures as ``click.ClickException``."""
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError

    from zerodowntime.ddl import LockRetriesExhausted
    from zerodowntime.deploy.executor import DeployError
    from zerodowntime.deploy.releases import ReleaseError
    from zerodowntime.operations.exceptions import (
        IndexNotUsable,
        NullValuesRemain,
        TransactionNotAllowed,
        UnsupportedChange,
    )
    from zerodowntime.project import ProjectError
    from zerodowntime.services import ServiceError

    expected = (
        ServiceError,
        ProjectError,
        ReleaseError,
        DeployError,
        CommandError,
        ImproperlyConfigured,
        LockRetriesExhausted,
        IndexNotUsable,
        NullValuesRemain,
        TransactionNotAllowed,
        UnsupportedChange,
    )
    try:
        yield
    except expected as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        refused = unreachable_database(exc)
        if refused is None:
            raise
        raise click.ClickException(refused) from exc


def unreachable_database(exc: BaseException) -> str | None:
    """Return one sentence when ``exc`` is a failed connection to PostgreSQL, else None.

    Only a failed connection (psycopg's ``OperationalError`` itself, raised or wrapped by Django);
    its subclasses (a cancelled query, a lock not available) keep their traceback.
    """
    import psycopg

    cause = exc if type(exc) is psycopg.OperationalError else exc.__cause__
    if type(cause) is not psycopg.OperationalError:
        return None
    first = (str(cause).strip().splitlines() or ["no answer"])[0]
    return (
        f"cannot connect to PostgreSQL: {first}. Is the server running? (DATABASE_URL names it;"
        " `zdt up` starts the embedded one)"
    )


def friendly(function: F) -> F:
    """Decorate a command so expected failures print one sentence instead of a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
