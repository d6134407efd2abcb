"""Dependencies wired once, for every door (the CLI now, an HTTP API next) — cosmicpython's bootstrap.

    deps = bootstrap(database_url=None, timeout=30)   # settings, audit database, Temporal, task queue
    deps.settings                       # settings.Settings (every PDCA_* variable)
    deps.engine / deps.audit_log        # the audit database (``database_url`` or PDCA_DATABASE_URL), made on first use
    deps.reading(lambda engine: ...)    # a read; a database without its tables is a Refused "run pdca migrate"
    await deps.client()                 # a Temporal client, connected within min(timeout, 10) s (Unavailable if not)
    deps.task_queue, deps.timeout, deps.address

``connect()`` is the one place a Temporal client is made (the worker, ``pdca up``, the CLI, the demo):
the pydantic data converter and the connection from settings/temporal.py (profile file, TEMPORAL_*
variables, TLS, API key).

Nothing here decides or prints; service functions (service/cases.py, service/projects.py, …) take a
``Deps`` as their first argument.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import RPCError

from service.errors import Refused, Unavailable
from settings import Settings, get_settings
from settings.temporal import connect_config, target_address
from store.db import display_url, make_engine
from store.eventlog import AuditLog

__all__ = ["CONNECT_TIMEOUT", "Deps", "bootstrap", "connect", "connect_within"]

T = TypeVar("T")

CONNECT_TIMEOUT = 10.0  # seconds: at most this long to reach the frontend, whatever the command's timeout


async def connect(address: str | None = None, namespace: str | None = None, runtime: Runtime | None = None) -> Client:
    """A client with the pydantic data converter, reaching Temporal as the environment says
    (settings/temporal.py: profile file, TEMPORAL_* variables, TLS, API key); ``address`` and
    ``namespace``, when given, win. Settings that cannot be used raise ``InputError`` first."""
    config = connect_config()
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    if not config.get("api_key"):  # TEMPORAL_API_KEY="" (as `pdca up` sets it) means none, even if a profile has one
        config.pop("api_key", None)
    return await Client.connect(**config, data_converter=pydantic_data_converter, runtime=runtime)


async def connect_within(timeout: float) -> Client:
    """``connect()`` bounded: ``Unavailable`` (naming the address) when Temporal does not answer in
    ``timeout`` seconds; connection settings that cannot be used stay ``InputError``."""
    try:
        return await asyncio.wait_for(connect(), timeout)
    except (TimeoutError, RuntimeError, RPCError, OSError) as error:
        raise Unavailable(f"cannot reach Temporal at {target_address()} ({type(error).__name__}): is `pdca up` running?") from None


@dataclass
class Deps:
    """What a service function needs, made once per request (a CLI command)."""

    settings: Settings
    database_url: str
    timeout: float = 30.0
    _engine: Engine | None = field(default=None, repr=False)
    _client: Client | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ the audit database

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    @property
    def audit_log(self) -> AuditLog:
        """The audit log with every projector (appends and rebuilds keep the ledgers current)."""
        from store.projections import PROJECTORS

        return AuditLog(self.engine, PROJECTORS)

    def reading(self, action: Callable[[Engine], T]) -> T:
        """Run a read; a database whose tables are missing (never migrated) is a ``Refused`` that says so."""
        try:
            return action(self.engine)
        except (OperationalError, ProgrammingError) as error:
            raise Refused(
                f"audit database {display_url(self.database_url)} is not ready ({error.orig}): run `pdca up` or `pdca migrate`"
            ) from None

    # ------------------------------------------------------------------ Temporal

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    @property
    def address(self) -> str:
        """Where the client connects, for messages."""
        return target_address()

    async def client(self) -> Client:
        """A connected client (one per ``Deps``; call within one event loop)."""
        if self._client is None:
            self._client = await connect_within(min(self.timeout, CONNECT_TIMEOUT))
        return self._client


def bootstrap(database_url: str | None = None, timeout: float = 30.0, settings: Settings | None = None) -> Deps:
    """Wire the dependencies: ``database_url`` (else PDCA_DATABASE_URL, else SQLite under PDCA_HOME),
    ``timeout`` seconds for Temporal and the worker. Raises ``InputError`` for a setting that cannot be used."""
    settings = settings or get_settings()
    return Deps(settings=settings, database_url=database_url or settings.audit_database_url, timeout=timeout)
