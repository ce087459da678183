"""A fresh database for each rehearsal, next to the others in the same PostgreSQL server."""

from __future__ import annotations

import psycopg
from psycopg import sql

from zerodowntime.urls import with_database_name

DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
CREATE = sql.SQL("CREATE DATABASE {}")


def recreate_database(server_url: str, name: str) -> str:
    """Drop database ``name`` if it exists, create it empty and return its URL."""
    with psycopg.connect(with_database_name(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))
        conn.execute(CREATE.format(sql.Identifier(name)))
    return with_database_name(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` (closing its connections)."""
    with psycopg.connect(with_database_name(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))
