"""The console's session: the signed-in person's credential in a cookie, and the CSRF token of their forms.

- The session cookie (``pdca_session``) holds the credential sign-in issued — the same credential the
  CLI and the HTTP API carry, verified here on every page against the authority's keys (api/security.py)
  and again by the workflow for every command. ``HttpOnly`` (no script reads it), ``SameSite=Strict``
  (no other site's page sends it), ``Secure`` when the console's public address is https, and it
  lasts as long as the credential.
- Every form and every script request carries a CSRF token: an HMAC of the credential's id under the
  console's secret (``console-secret`` beside the authority keys, 0600), checked with the request's
  ``Origin`` (when the browser sends one) against the console's own address. Before sign-in the login
  form uses a double-submit token (a random cookie repeated in the form).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import Response

from api.security import Verified, verify
from service.errors import Refused
from service.identity import console_secret
from settings import Settings

SESSION = "pdca_session"
LOGIN_CSRF = "pdca_login_csrf"
LANG = "pdca_lang"


class SignInNeeded(Exception):
    """No valid session: the page redirects to the sign-in form (``next`` brings the person back)."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(reason)
        self.next_path = next_path
        self.reason = reason


class CsrfFailed(Refused):
    def __init__(self) -> None:
        super().__init__("the form is stale or came from another site: reload the page and try again", code="csrf")


def secure_cookies(settings: Settings) -> bool:
    return settings.public_base.startswith("https://")


def csrf_token(settings: Settings, credential_id: str) -> str:
    return hmac.new(console_secret(settings), f"csrf:{credential_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page: their verified credential and the CSRF token of their forms."""

    who: Verified
    csrf: str
    lang: str

    @property
    def id(self) -> str:
        return self.who.claims.sub


def lang_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG) or "zh"
    return "en" if wanted == "en" else "zh"


def here(request: Request) -> str:
    """The path (and query) of this request, to come back to after sign-in."""
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def viewer(request: Request) -> Viewer:
    """The signed-in person of a page request (a FastAPI dependency); ``SignInNeeded`` without a valid session."""
    settings: Settings = request.app.state.settings
    clock: Callable[[], datetime] = request.app.state.clock
    token = request.cookies.get(SESSION)
    if not token:
        raise SignInNeeded(here(request))
    try:
        who = verify(settings, token, clock())
    except Refused as refused:
        raise SignInNeeded(here(request), refused.message) from None
    return Viewer(who=who, csrf=csrf_token(settings, who.claims.jti), lang=lang_of(request))


def _same_origin(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent (same-origin form posts of older browsers): the token decides
    allowed = {_origin(settings.public_base), _origin(str(request.base_url))}
    return origin.rstrip("/") in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_csrf(request: Request, who: Viewer, token: str | None) -> None:
    """The form's (or the script's ``X-CSRF-Token``) token is this session's, from this site."""
    settings: Settings = request.app.state.settings
    sent = token or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(sent, who.csrf) or not _same_origin(request, settings):
        raise CsrfFailed()


def login_token(request: Request) -> str:
    """The login form's double-submit token (the cookie's, or a new one the response sets)."""
    return request.cookies.get(LOGIN_CSRF) or secrets.token_urlsafe(24)


def check_login_token(request: Request, token: str | None) -> None:
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(LOGIN_CSRF) or ""
    if not cookie or not token or not hmac.compare_digest(cookie, token) or not _same_origin(request, settings):
        raise CsrfFailed()


def start_session(response: Response, settings: Settings, credential: str, expires_at: datetime) -> None:
    seconds = max(int((expires_at - datetime.now(UTC)).total_seconds()), 0)
    response.set_cookie(SESSION, credential, max_age=seconds, httponly=True, samesite="strict", secure=secure_cookies(settings), path="/")
    response.delete_cookie(LOGIN_CSRF, path="/")


def end_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict", secure=secure_cookies(settings))


def set_login_token(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict", secure=secure_cookies(settings), path="/")


def login_redirect(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="")


def safe_next(value: str | None) -> str:
    """Only a local path: ``next`` never sends a person to another site after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/tasks"
    return value
