"""Engines for the audit database: a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, event, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import create_engine

from settings import get_settings

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC instant stored as fixed-width ISO-8601 text.

    Text, not a native timestamp: SQLite would silently drop the offset, and the hash chain
    needs the exact stored characters. Naive datetimes are refused rather than guessed at.
    """

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: store UTC instants only")
        return format_utc(value)

    def process_result_value(self, value: str | None, dialect: object) -> datetime | None:
        return None if value is None else parse_utc(value)


def format_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_FORMAT)


def parse_utc(value: str) -> datetime:
    # fromisoformat reads the stored form ("…T…:…:….ffffffZ") about 40 times faster than strptime, which
    # mattered when a county's ledger of ~40,000 rows is downloaded from the console (benchmarks/bench_web.py)
    if len(value) == 27 and value.endswith("Z"):
        return datetime.fromisoformat(value)
    return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)


def default_data_dir() -> Path:
    """PDCA_HOME (default ~/.pdca): settings.Settings.home."""
    return get_settings().home


def default_database_url() -> str:
    """PDCA_DATABASE_URL, else the SQLite file $PDCA_HOME/audit.db."""
    return get_settings().audit_database_url


def display_url(url: str) -> str:
    """The URL with any password masked: safe for terminals and logs."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: another database, or SQLite in memory)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def create_sqlite_directory(url: str) -> None:
    """Make the directory of a SQLite URL's file (only what creates the database does: the migration),
    and any missing parent, 0700: the audit database is nobody else's to read. Existing directories are
    left as they are (`pdca up` makes its own data directory 0700)."""
    path = sqlite_file(url)
    if path is None:
        return
    missing = []
    directory = path.parent.absolute()
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process
            continue
        directory.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened: make sure


def make_engine(url: str | None = None, busy_timeout: float = 30.0) -> Engine:
    """An engine for ``url`` (default PDCA_DATABASE_URL or the SQLite file under PDCA_HOME). Making it
    creates nothing: a SQLite file appears on first write, in a directory that must exist.
    ``busy_timeout``: seconds a SQLite statement waits for a lock another connection holds (a command
    passes its --timeout, so a locked database cannot hold it longer)."""
    url = url or default_database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False})
        _configure_sqlite(engine, busy_timeout)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, busy_timeout: float = 30.0) -> None:
    # The stdlib driver does not BEGIN before SELECTs; take over transaction control so that
    # every transaction is BEGIN IMMEDIATE: "read the chain head, then insert" is then atomic.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once (the mode persists in the file).

    Changing the journal mode does not wait on the busy handler: with other connections open it
    fails at once with "database is locked" (seen when several workers open a fresh file together),
    so retry briefly; by then another connection has usually made the switch.
    """
    for attempt in range(100):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 99:
                raise
            time.sleep(0.05)
