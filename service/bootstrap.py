"""Dependencies wired once, for every door (the CLI now, an HTTP API next) — cosmicpython's bootstrap.

    deps = bootstrap(database_url=None, timeout=30)   # settings, audit database, Temporal, task queue
    deps.settings                       # settings.Settings (every PDCA_* variable)
    deps.engine / deps.audit_log        # the audit database (``database_url`` or PDCA_DATABASE_URL), made on first use
    deps.reading(lambda engine: ...)    # a read (or write) of the audit database, its errors mapped (database_errors)
    with deps.database() as engine: ... # the same, as a block (create=True: the migration may make a SQLite directory)
    await deps.client()                 # a Temporal client, connected within min(timeout, 10) s (Unavailable if not)
    deps.task_queue, deps.timeout, deps.address

``connect()`` is the one place a Temporal client is made (the worker, ``pdca up``, the CLI, the demo):
the data converter of store/payload_codec.py (pydantic payloads, encrypted with the keys of
PDCA_PAYLOAD_KEY_DIR) and the connection from settings/temporal.py (profile file, TEMPORAL_* variables,
TLS, API key). ``database_errors(url)`` is the one place a database error becomes a service
error: a schema that is not there yet is ``Refused`` (run `pdca up` or `pdca migrate`), anything else
(server down, refused, locked) ``Unavailable``, naming the database with its password masked.

Nothing here decides or prints; service functions (service/cases.py, service/projects.py, …) take a
``Deps`` as their first argument.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError, ProgrammingError

from service.errors import Refused, ServiceError, Unavailable
from settings import Settings, get_settings
from store.db import create_sqlite_directory, display_url, make_engine, sqlite_file
from store.eventlog import AuditLog

if TYPE_CHECKING:  # Temporal's client and the credential store are imported when used: a read needs neither
    from temporalio.client import Client
    from temporalio.runtime import Runtime

    from service.identity import Caller

__all__ = ["CONNECT_TIMEOUT", "Deps", "bootstrap", "connect", "connect_within", "database_error", "database_errors"]

T = TypeVar("T")

CONNECT_TIMEOUT = 10.0  # seconds: at most this long to reach the frontend, whatever the command's timeout


async def connect(address: str | None = None, namespace: str | None = None, runtime: Runtime | None = None) -> Client:
    """A client with the project's data converter (payloads encrypted: store/payload_codec.py), reaching
    Temporal as the environment says (settings/temporal.py: profile file, TEMPORAL_* variables, TLS, API
    key); ``address`` and ``namespace``, when given, win. Settings that cannot be used raise ``InputError``
    first; no payload key (or one that cannot be read) is ``Unavailable``, before any connection."""
    from temporalio.client import Client

    from settings.temporal import connect_config
    from store.payload_codec import PayloadKeyError, PayloadKeys, data_converter

    config = connect_config()
    try:
        keys = PayloadKeys(get_settings().payload_keys_path)
        keys.newest()
    except PayloadKeyError as error:
        raise Unavailable(error.message) from None
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    if not config.get("api_key"):  # TEMPORAL_API_KEY="" (as `pdca up` sets it) means none, even if a profile has one
        config.pop("api_key", None)
    return await Client.connect(**config, data_converter=data_converter(keys=keys), runtime=runtime)


async def connect_within(timeout: float) -> Client:
    """``connect()`` bounded: ``Unavailable`` (naming the address) when Temporal does not answer in
    ``timeout`` seconds; connection settings that cannot be used stay ``InputError``."""
    from temporalio.service import RPCError

    from settings.temporal import target_address

    try:
        return await asyncio.wait_for(connect(), timeout)
    except TimeoutError:
        raise Unavailable(f"cannot reach Temporal at {target_address()}: no answer within {timeout:g}s; is `pdca up` running?") from None
    except (RuntimeError, RPCError, OSError):
        raise Unavailable(f"cannot reach Temporal at {target_address()}: the connection failed; is `pdca up` running?") from None


# ----------------------------------------------------------------------------- database errors


def shown(url: str) -> str:
    """A database URL as a person may see it: the password masked, even in a URL that does not parse."""
    try:
        return display_url(url)
    except ArgumentError:
        return re.sub(r"//[^@/]*@", "//***@", url)

_UNDEFINED = ("42P01", "42703")  # PostgreSQL undefined_table, undefined_column (SQLSTATE)
_SQLITE_UNDEFINED = ("no such table", "no such column")


def _schema_missing(error: DBAPIError) -> bool:
    """A table (or column) the code expects is not there: the schema was never migrated (or is older)."""
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg 2
    return state in _UNDEFINED or any(text in str(orig).lower() for text in _SQLITE_UNDEFINED)


def database_error(error: DBAPIError, url: str) -> ServiceError:
    """What a database error means to a person: a missing schema is ``Refused`` (run `pdca up` or
    `pdca migrate`); anything else (server down, connection refused, locked) is ``Unavailable``."""
    where = display_url(url)
    reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
    if _schema_missing(error):
        return Refused(f"audit database {where} is not ready ({reason}): run `pdca up` or `pdca migrate`")
    if "database is locked" in reason:
        return Unavailable(
            f"审计库 {where} 被锁，在超时（--timeout）内未能使用：另一进程正长时间写它？稍后重试 / "
            f"the audit database {where} stayed locked for the whole --timeout (another process holding a long write?): retry later"
        )
    return Unavailable(f"cannot use the audit database {where} ({reason}): is it running and reachable?")


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Run a block against the database at ``url``; its errors become ``database_error``'s."""
    try:
        yield
    except (OperationalError, ProgrammingError, InterfaceError) as error:
        raise database_error(error, url) from None


# ----------------------------------------------------------------------------- the dependencies


@dataclass
class Deps:
    """What a service function needs, made once per request (a CLI command)."""

    settings: Settings
    database_url: str
    timeout: float = 30.0
    _engine: Engine | None = field(default=None, repr=False)
    _client: Client | None = field(default=None, repr=False)
    # who sends commands: a door sets ``caller`` (the HTTP API, from the request's credential) or the
    # CLI names ``actor_id`` (--as), loaded from this user's credential store on first use
    _caller: Caller | None = field(default=None, repr=False)
    actor_id: str | None = None

    @property
    def caller(self) -> Caller:
        """The signed-in person commands are sent as; ``Refused`` (sign in first) when there is none."""
        if self._caller is None:
            from service.identity import CredentialStore

            self._caller = CredentialStore(self.settings.credentials_path).load(self.actor_id or self.settings.actor)
        return self._caller

    def acting_as(self, caller: Caller) -> Deps:
        """The same dependencies (database, Temporal client), sending as ``caller``: the server side
        acting with a credential it just issued (sign-in registering a key, the first administrator)."""
        return replace(self, _caller=caller)

    # ------------------------------------------------------------------ the audit database

    @property
    def engine(self) -> Engine:
        """The audit database's engine; a URL this program cannot use is ``Refused`` naming it."""
        if self._engine is None:
            try:
                self._engine = make_engine(self.database_url, busy_timeout=self.timeout)  # a lock waits --timeout at most
            except (ArgumentError, NoSuchModuleError) as error:
                raise Refused(
                    f"--db / PDCA_DATABASE_URL {shown(self.database_url)}: not a database URL this program can use "
                    f"({error}); e.g. sqlite:////path/audit.db or postgresql://user@host:5432/db"
                ) from None
        return self._engine

    @property
    def audit_log(self) -> AuditLog:
        """The audit log with every projector (appends and rebuilds keep the ledgers current)."""
        from store.projections import PROJECTORS

        return AuditLog(self.engine, PROJECTORS)

    @contextmanager
    def database(self, create: bool = False) -> Iterator[Engine]:
        """The engine, for a block whose database errors become service errors (``database_errors``).
        Only ``create`` (the migration) makes a SQLite file's directory; a reader finding no file is
        told to migrate, and nothing is created."""
        file = sqlite_file(self.database_url)
        if file is not None and not create and not file.exists():
            raise Refused(f"audit database {file} is not ready (no such file): run `pdca up` or `pdca migrate`")
        if create:
            try:
                create_sqlite_directory(self.database_url)
            except OSError as error:
                raise Unavailable(f"cannot create the audit database {file}: {error.strerror or error}") from None
        engine = self.engine
        with database_errors(self.database_url):
            yield engine

    def reading(self, action: Callable[[Engine], T]) -> T:
        """Run ``action(engine)``; a database without its tables is ``Refused`` (run `pdca migrate`), one
        that cannot be reached ``Unavailable``."""
        with self.database() as engine:
            return action(engine)

    # ------------------------------------------------------------------ Temporal

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    @property
    def address(self) -> str:
        """Where the client connects, for messages."""
        from settings.temporal import target_address

        return target_address()

    async def client(self) -> Client:
        """A connected client (one per ``Deps``; call within one event loop)."""
        if self._client is None:
            self._client = await connect_within(min(self.timeout, CONNECT_TIMEOUT))
        return self._client


def bootstrap(
    database_url: str | None = None,
    timeout: float = 30.0,
    settings: Settings | None = None,
    client: Client | None = None,
    caller: Caller | None = None,
    actor_id: str | None = None,
) -> Deps:
    """Wire the dependencies: ``database_url`` (else PDCA_DATABASE_URL, else SQLite under PDCA_HOME),
    ``timeout`` seconds for Temporal and the worker, ``client`` when the caller already holds one (the
    stack's worker, the demo's time-skipping server). Raises ``InputError`` for a setting that cannot be used."""
    settings = settings or get_settings()
    return Deps(
        settings=settings,
        database_url=database_url or settings.audit_database_url,
        timeout=timeout,
        _client=client,
        _caller=caller,
        actor_id=actor_id,
    )
