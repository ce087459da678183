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


def friendly(function: F) -> F:
    """Decorate a command so expected failures print one sentence instead of a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
