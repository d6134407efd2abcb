"""The bearer credential, the body limit and the response headers.

``verified`` (a FastAPI dependency) is the credential of the request, verified here against the
authority's trusted public keys (store/keys.py) at the current time: a missing, malformed, altered,
expired or foreign credential is a 401 naming what failed. Commands carry the same credential on, and
the workflow verifies it again at its own time: nothing a request body says about who sends it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from domain.identity import Claims, CredentialError, verify_credential
from service.errors import Refused, Unavailable
from settings import Settings
from store.keys import KeyStore, KeyStoreError

MAX_BODY = 1024 * 1024  # bytes: a request body over this is refused (413) before anything reads it

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="credential",
    description="The credential `POST /api/v1/sign-in` answers, as `Authorization: Bearer <credential>`.",
)


@dataclass(frozen=True)
class Verified:
    """A request's credential and its verified claims."""

    credential: str
    claims: Claims

    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims.exp, tz=UTC)


def verify(settings: Settings, token: str | None, now: datetime | None = None) -> Verified:
    """The credential's claims, verified with the authority's trusted keys at ``now`` (default: now);
    ``Refused`` with the credential error's code (401) otherwise."""
    try:
        keys = KeyStore(settings.authority_path).trusted()
    except KeyStoreError as error:
        raise Unavailable(f"the server cannot read its authority keys: {error}") from None
    try:
        claims = verify_credential(token, keys, now or datetime.now(UTC))
    except CredentialError as error:
        raise Refused(error.message, code=error.code) from None
    assert token is not None  # verify_credential refuses a missing one
    return Verified(credential=token, claims=claims)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def verified(request: Request, authorization: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Verified:
    """The request's verified credential (a dependency of every route but sign-in)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return verify(settings_of(request), authorization.credentials if authorization else None, clock())


# ----------------------------------------------------------------------------- ASGI middleware


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413: at once when its Content-Length says so,
    else as soon as the bytes read exceed it (the body is read here, at most ``limit`` bytes, then
    handed on). Paths ending in one of ``upload_suffixes`` (the console's evidence uploads) may carry
    up to ``upload_limit`` bytes; each file's own limit is the evidence service's."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY, upload_limit: int = MAX_BODY, upload_suffixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.default_limit = limit
        self.upload_limit = max(upload_limit, limit)
        self.upload_suffixes = upload_suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.upload_limit if self.upload_suffixes and path.endswith(self.upload_suffixes) else self.default_limit
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await error_response(400, "bad_request", "Content-Length is not a number")(scope, receive, send)
                return
            if declared > limit:
                await self._too_large(limit, scope, receive, send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._too_large(limit, scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        megabytes = limit / (1024 * 1024)
        await error_response(413, "too_large", f"the request body is over {megabytes:g} MB")(scope, receive, send)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """``Cache-Control: no-store`` on every API answer unless a route set its own (credentials and
    personal data are never cached), ``X-Content-Type-Options: nosniff``, no referrer, no framing and
    a Content-Security-Policy (no inline or foreign script) on all."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/v1") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(self.prefix)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if not str(scope.get("path", "")).startswith("/api/docs"):  # Swagger UI loads its own scripts
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if private:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, sending)
