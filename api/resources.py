"""What every request of the API and the console shares: the settings, one audit database engine, one
Temporal client (connected on first use); each request gets its own ``Deps`` with its caller."""

from __future__ import annotations

import asyncio
import dataclasses

from fastapi import Request
from temporalio.client import Client

from api.security import Verified
from service.bootstrap import CONNECT_TIMEOUT, Deps, bootstrap, connect_within
from service.identity import caller_of
from settings import Settings


class Resources:
    """What every request shares: the settings, one audit database engine, one Temporal client."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self.settings = settings
        self.base = bootstrap(settings=settings, client=client)
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The Temporal client, connected on first use (``Unavailable`` when Temporal does not answer;
        the next request tries again)."""
        if self.base._client is None:
            async with self._lock:
                if self.base._client is None:
                    self.base._client = await connect_within(min(self.base.timeout, CONNECT_TIMEOUT))
        return self.base._client

    def deps(self, who: Verified | None = None, client: Client | None = None) -> Deps:
        """A request's ``Deps``: the shared engine (and client), the caller the request's credential names."""
        self.base.engine  # noqa: B018 -- made once here, shared by every request's Deps
        return dataclasses.replace(
            self.base,
            _caller=caller_of(who.credential) if who else None,
            _client=client or self.base._client,
        )


def resources(request: Request) -> Resources:
    shared: Resources = request.app.state.resources
    return shared
