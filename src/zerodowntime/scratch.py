"""Create and drop scratch databases beside the others on the same PostgreSQL server.

A server is named by the URL of any database on it (the statements run in its ``postgres``
database) or by a Django connection (they run through its no-database cursor, so a project
that configures its database without a URL works too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


def with_database_name(url: str, name: str) -> str:
    """Return ``url`` pointing at database ``name`` instead."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def database_conninfo(server: BaseDatabaseWrapper, name: str) -> str:
    """Return the libpq connection string of database ``name`` on a Django connection's server."""
    keywords = {default.keyword.decode() for default in psycopg.pq.Conninfo.get_defaults()}
    params = {
        key: str(value)
        for key, value in server.get_connection_params().items()
        if key in keywords and value not in (None, "")
    }
    params.pop("application_name", None)
    return psycopg.conninfo.make_conninfo(**{**params, "dbname": name})


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(server: str | BaseDatabaseWrapper, statement: str) -> None:
    """Run ``statement`` outside a transaction on the server, not in a database being dropped."""
    if isinstance(server, str):
        with psycopg.connect(with_database_name(server, "postgres"), autocommit=True) as conn:
            conn.execute(statement.encode())
    else:
        with server._nodb_cursor() as cursor:
            cursor.execute(statement)


def drop_database(server: str | BaseDatabaseWrapper, name: str) -> None:
    """Drop database ``name`` if it exists, ending its connections."""
    _execute(server, f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def create_database(
    server: str | BaseDatabaseWrapper, name: str, *, template: str | None = None
) -> None:
    """Create database ``name`` empty (or a copy of ``template``), dropping one of that name first.

    PostgreSQL copies a template only while nobody is connected to it (it waits up to 5 s).
    """
    drop_database(server, name)
    copy = f" TEMPLATE {_quoted(template)}" if template is not None else ""
    _execute(server, f"CREATE DATABASE {_quoted(name)}{copy}")


def recreate_database(server_url: str, name: str) -> str:
    """Drop database ``name`` if it exists, create it empty and return its URL."""
    create_database(server_url, name)
    return with_database_name(server_url, name)


@contextmanager
def scratch_database(
    server: str | BaseDatabaseWrapper, name: str, *, template: str | None = None
) -> Iterator[str]:
    """Create database ``name`` (empty, or a copy of ``template``) for the block, then drop it.

    Yield its name.
    """
    create_database(server, name, template=template)
    try:
        yield name
    finally:
        drop_database(server, name)
