"""Backends for the audit-log contract: every test that asks for ``audit_log`` runs once per backend.

SQLite gets a fresh file in ``tmp_path``. PostgreSQL gets a fresh schema (``pdca_t_<random>``) on
the server named by ``PDCA_TEST_POSTGRES_URL`` (default: trust auth on 127.0.0.1:5432, database
``test``); the engine reaches it through ``search_path`` only, so nothing in ``public`` is touched,
and the schema is dropped afterwards. When that server is unreachable the PostgreSQL tests skip,
except under CI (``CI`` set), where a missing database must fail the run rather than hide it.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from store.db import make_engine
from store.eventlog import AuditLog
from store.migrate import upgrade
from store.projections import PROJECTORS
from store.triggers import create_append_only_triggers, drop_append_only_triggers

POSTGRES_URL = os.environ.get("PDCA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA_PREFIX = "pdca_t_"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    engine: Engine  # not migrated: ask for ``migrated_engine`` or ``audit_log`` for that
    schema: str | None = None


@functools.cache
def postgres_unreachable() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"{type(error).__name__}: {error}".strip()
    return None


def require_postgres() -> None:
    reason = postgres_unreachable()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI but {POSTGRES_URL} is unreachable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL} ({reason}); under CI this is a failure")


def _sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    try:
        yield Backend("sqlite", url, engine)
    finally:
        engine.dispose()


def _postgres_backend() -> Iterator[Backend]:
    require_postgres()
    schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        yield Backend("postgres", url, engine, schema)
    finally:
        engine.dispose()
        assert schema.startswith(SCHEMA_PREFIX)  # never drop anything this fixture did not create
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty database of each kind, not yet migrated."""
    if request.param == "sqlite":
        yield from _sqlite_backend(tmp_path)
    else:
        yield from _postgres_backend()


@pytest.fixture
def postgres_backend() -> Iterator[Backend]:
    """For the few PostgreSQL-only checks (mark those tests ``postgres``)."""
    yield from _postgres_backend()


@pytest.fixture
def postgres_log(postgres_backend: Backend) -> AuditLog:
    upgrade(postgres_backend.engine)
    return AuditLog(postgres_backend.engine)


@pytest.fixture
def migrated_engine(backend: Backend) -> Engine:
    upgrade(backend.engine)
    return backend.engine


@pytest.fixture
def audit_log(migrated_engine: Engine) -> AuditLog:
    """The bare log (no projectors), once per backend."""
    return AuditLog(migrated_engine)


@pytest.fixture
def projected_log(migrated_engine: Engine) -> AuditLog:
    """The log as the worker builds it: with the rectification projections."""
    return AuditLog(migrated_engine, PROJECTORS)


@contextmanager
def as_dba(engine: Engine) -> Iterator[Connection]:
    """A transaction in which the append-only protection is off, as a DBA with full rights could do.

    SQLite has no privileges to hide behind: drop the triggers, and put them back before commit.
    PostgreSQL: a superuser switches ordinary triggers off for this transaction only (``SET LOCAL``).
    Either way the protection is in force again once the transaction ends.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            drop_append_only_triggers(conn)
            yield conn
            create_append_only_triggers(conn)
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
