"""The codec endpoint: the Temporal Web UI (or `temporal … --codec-endpoint`) shows decrypted payloads
to permitted staff through it (service/codec.py; docs/security.md, "Privacy model").

    POST /codec/decode    {"payloads": [{"metadata": {name: base64}, "data": base64}]} -> the same, decrypted
    POST /codec/encode    the same, encrypted with the newest payload key

Who: a valid pdca credential, as ``Authorization: Bearer …`` or the console's session cookie (the UI sends
the cookie when its codec setting "Include cross-origin credentials" is on), of an administrator or a
county-wide supervisor: 401 without a valid one, 403 for anyone else. The body must be JSON
(``Content-Type: application/json``): a page of another origin cannot send it without a CORS preflight.

CORS (``CodecCors``): only for /codec/, only for the origins of PDCA_CODEC_CORS_ORIGINS (default the
embedded UI, http://localhost:8233 and http://127.0.0.1:8233), with credentials; a preflight from any other
origin is refused (403) and no answer carries CORS headers for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.errors import error_response
from api.security import bearer, settings_of, verify
from domain.identity import Claims
from service import codec
from service.errors import Refused, ServiceError
from settings import Settings
from web.session import SESSION

PREFIX = "/codec"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = APIRouter(prefix=PREFIX, tags=["codec"])


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
Action = Callable[[Settings, Claims, bytes, str | None], Awaitable[str]]


async def _answer(request: Request, authorization: HTTPAuthorizationCredentials | None, action: Action) -> Response:
    """Verify the caller (the bearer header, else the console's session cookie), then ``action``; every
    refusal answers in the API's JSON shape (api/errors.py), never as a console page."""
    try:
        clock: Callable[[], datetime] = request.app.state.clock
        token = authorization.credentials if authorization else request.cookies.get(SESSION)
        who = verify(settings_of(request), token, clock())
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise Refused("send the payloads as JSON (Content-Type: application/json)", code="invalid_request")
        answer = await action(settings_of(request), who.claims, await request.body(), request.headers.get("x-namespace"))
    except ServiceError as error:
        return await errors.service_error(request, error)
    return Response(answer, media_type="application/json", headers=NO_STORE)


@router.post("/decode", responses={400: {}, 401: {}, 403: {}})
async def decode(request: Request, authorization: Bearer) -> Response:
    """Decrypt payloads (Temporal's codec-server protocol), for administrators and county-wide supervisors."""
    return await _answer(request, authorization, codec.decode_json)


@router.post("/encode", responses={400: {}, 401: {}, 403: {}})
async def encode(request: Request, authorization: Bearer) -> Response:
    """Encrypt payloads with the newest payload key (the UI starting a workflow or sending a signal)."""
    return await _answer(request, authorization, codec.encode_json)


class CodecCors:
    """CORS for /codec/ only: the configured origins may call it with credentials; nothing else is opened."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...], prefix: str = PREFIX) -> None:
        self.app = app
        self.origins = frozenset(origins)
        self.prefix = prefix + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        allowed = origin is not None and origin.rstrip("/") in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin if allowed else None, scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.add_vary_header("Origin")
                if allowed and origin is not None:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Allow-Credentials"] = "true"
            await send(message)

        await self.app(scope, receive, sending)

    async def _preflight(self, origin: str | None, scope: Scope, receive: Receive, send: Send) -> None:
        if origin is None:
            response = error_response(403, "cors_refused", "this origin may not call the codec endpoint (PDCA_CODEC_CORS_ORIGINS)")
            response.headers["Vary"] = "Origin"
            await response(scope, receive, send)
            return
        allowed = Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
        await allowed(scope, receive, send)
