"""What went wrong, as HTTP: one body shape, ``{"error": <code>, "message": <words a person can act on>}``.

    Refused       400; 401 for a credential or sign-in refusal, 403 for a permission or signature
                  refusal, 423 for a locked account (by the refusal's code)
    NotFound      404        Closed       409        Unavailable  503
    InputError    400 (a setting or input the server could not use)
    the request's own shape (missing field, wrong type)  400 ``invalid_request`` (the input is never echoed)

Nothing else reaches a client: any other exception is logged and answered 500 ``internal_error``,
never with a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError
from service.errors import Closed, NotFound, Refused, ServiceError, Unavailable
from settings.errors import InputError

log = logging.getLogger("pdca.api")

UNAUTHORIZED = frozenset({"invalid_credential", "credential_missing", "credential_expired", "unknown_key", "sign_in_failed"})
FORBIDDEN = frozenset({"permission_denied", "separation_of_duties", "signature_required", "invalid_signature", "csrf"})
LOCKED = frozenset({"account_locked"})

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def status_of(error: ServiceError) -> int:
    """The HTTP status of a service error (the subclasses first: NotFound and Closed are refusals too)."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Closed):
        return 409
    if isinstance(error, Unavailable):
        return 503
    if error.code in UNAUTHORIZED:
        return 401
    if error.code in FORBIDDEN:
        return 403
    if error.code in LOCKED:
        return 423
    return 400


def default_code(error: ServiceError) -> str:
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, Closed):
        return "closed"
    if isinstance(error, Unavailable):
        return "unavailable"
    return "refused"


def error_response(status: int, code: str, message: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="pdca"'
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


async def service_error(_request: Request, error: Exception) -> JSONResponse:
    """The one mapping of what the service (and the rules, and the settings) said to HTTP."""
    if isinstance(error, ServiceError):
        status = status_of(error)
        if status == 503:
            log.warning("unavailable: %s", error.message)
        return error_response(status, error.code or default_code(error), error.message)
    if isinstance(error, DomainError):  # a rule's refusal that reached the door unwrapped
        return await service_error(_request, Refused(error.message, code=error.code))
    if isinstance(error, InputError):
        return error_response(400, error.code or "invalid_input", error.message)
    return await internal_error(_request, error)


async def request_error(_request: Request, error: Exception) -> JSONResponse:
    """A body or parameter of the wrong shape: where and what, never the value (it may be a password)."""
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where + ': ' if where else ''}{item.get('msg', 'invalid')}")
    return error_response(400, "invalid_request", "; ".join(problems) or "the request is malformed")


async def http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers.setdefault(name, value)
    return response


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal_error", "the server failed to answer this request; its log says why")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(DomainError, service_error)
    app.add_exception_handler(InputError, service_error)
    app.add_exception_handler(RequestValidationError, request_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
