"""The CLI's side of sign-in: ask the HTTP API (`pdca serve`, started by `pdca up`) for a credential.

sign_in_remote(base_url, person_id, password, totp=None, key=None, timeout=30) -> credential
"""

from __future__ import annotations

import httpx

from domain.identity import PersonKey
from service.errors import Refused, Unavailable


def sign_in_remote(
    base_url: str, person_id: str, password: str, totp: str | None = None, key: PersonKey | None = None, timeout: float = 30.0
) -> str:
    body = {"id": person_id, "password": password, "totp": totp, "key": key.model_dump() if key else None}
    try:
        response = httpx.post(f"{base_url}/api/v1/sign-in", json=body, timeout=timeout)
    except httpx.HTTPError as error:
        raise Unavailable(
            f"cannot reach the sign-in server at {base_url} ({type(error).__name__}): is `pdca up` (or `pdca serve`) running?"
        ) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not isinstance(data, dict) or "credential" not in data:
        message = data.get("message") if isinstance(data, dict) else None
        code = data.get("error") if isinstance(data, dict) else None
        if response.status_code >= 500:
            raise Unavailable(f"the sign-in server at {base_url} failed: {message or response.status_code}")
        raise Refused(
            str(message or f"sign-in refused (HTTP {response.status_code})"), code=code if isinstance(code, str) else "sign_in_failed"
        )
    return str(data["credential"])
