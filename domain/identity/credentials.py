"""Credentials: what an authority says about a signed-in person, for a short time (pure).

A credential is three base64url parts, ``header.claims.signature`` (the JWS compact form):

    header   {"typ": "pdca-credential", "alg": "ed25519" | "sm2", "kid": <the authority key's id>}
    claims   {"iss", "sub": actor id, "name", "roles", "scope", "iat", "exp", "jti", "key": the person's
              registered signing key or null}
    signature  over ``header.claims`` (ASCII) with the authority's private key

``verify_credential(token, keys, now)`` is what the workflows' validators run: the signature against
the trusted public key of that id, the time window against the workflow's time, and no one may be
``system`` (the workflow's own timers). Roles and scope come from here, never from a command body.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from domain.actors import Actor, Role
from domain.errors import DomainError
from domain.identity.algorithms import SIGNATURES, b64, sign, unb64, verify
from domain.identity.webauthn import ALGORITHMS as PASSKEY_ALGORITHMS
from domain.identity.webauthn import key_fingerprint
from domain.limits import MAX_ID, MAX_NAME, MAX_TEXT, Cap

TYP = "pdca-credential"
CLOCK_SKEW = 300  # seconds a credential may seem issued in the future (clocks of the issuer and Temporal differ)


class CredentialError(DomainError):
    """No valid credential: refused before the command enters history."""

    code = "invalid_credential"


class CredentialMissing(CredentialError):
    code = "credential_missing"

    def __init__(self, message: str = "no credential: sign in first (`pdca login`); commands carry who sends them") -> None:
        super().__init__(message)


class CredentialExpired(CredentialError):
    code = "credential_expired"


class UnknownKey(CredentialError):
    """Signed by a key this workflow does not (yet) trust: the client may ask it to refresh its keys once."""

    code = "unknown_key"


def _none(value: object) -> bool:
    return value is None


class PersonKey(BaseModel):
    """A person's registered signing key (public part), as the directory holds it: a key the CLI keeps
    (``ed25519``, ``sm2``) or a passkey (``webauthn-es256``, ``webauthn-ed25519``: domain/identity/webauthn.py),
    which also names its WebAuthn credential and the site (relying party id) it was made for. The passkey
    fields are left out of the JSON when absent, so keys recorded before passkeys read and write as they were."""

    alg: Annotated[str, Cap(MAX_ID)]
    public: Annotated[str, Cap(MAX_TEXT)]  # base64url
    fingerprint: Annotated[str, Cap(MAX_NAME)]
    # a passkey's WebAuthn credential id (base64url), and the relying party id (site) it was made for
    credential_id: Annotated[str | None, Cap(MAX_TEXT)] = Field(default=None, exclude_if=_none)
    rp_id: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None, exclude_if=_none)

    @property
    def is_passkey(self) -> bool:
        return self.alg in PASSKEY_ALGORITHMS

    def public_bytes(self) -> bytes:
        return unb64(self.public)

    @classmethod
    def of(cls, alg: str, public: bytes, credential_id: str | None = None, rp_id: str | None = None) -> PersonKey:
        return cls(alg=alg, public=b64(public), fingerprint=key_fingerprint(alg, public), credential_id=credential_id, rp_id=rp_id)


class Claims(BaseModel):
    iss: str = "pdca"
    sub: str = Field(min_length=1)
    name: str = ""
    roles: list[Role] = Field(min_length=1)
    scope: list[str] = Field(default_factory=list)
    iat: int
    exp: int
    jti: str = Field(min_length=1)
    key: PersonKey | None = None

    def actor(self) -> Actor:
        return Actor(id=self.sub, name=self.name, roles=self.roles, scope=self.scope)


class TrustedKey(BaseModel):
    """An authority's public key, by id (rotation: a new id; an old one stays until retired)."""

    kid: str
    alg: str
    public: str  # base64url


class TrustedKeys(BaseModel):
    """The authority keys a workflow trusts (fetched by an activity, kept in its state)."""

    keys: list[TrustedKey] = Field(default_factory=list)
    fetched_at: datetime | None = None

    def get(self, kid: str) -> TrustedKey | None:
        return next((k for k in self.keys if k.kid == kid), None)


def _part(data: object) -> str:
    return b64(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())


def encode_credential(claims: Claims, kid: str, alg: str, private: bytes) -> str:
    """Sign ``claims`` with the authority key ``kid`` (server side only: it holds ``private``)."""
    head = _part({"typ": TYP, "alg": alg, "kid": kid})
    body = _part(claims.model_dump(mode="json"))
    return f"{head}.{body}.{b64(sign(alg, private, f'{head}.{body}'.encode()))}"


def _split(token: str) -> tuple[str, str, str, dict[str, object], dict[str, object]]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise CredentialError("the credential is malformed (expected header.claims.signature): sign in again (`pdca login`)")
    try:
        header = json.loads(unb64(parts[0]))
        body = json.loads(unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise CredentialError("the credential is malformed: sign in again (`pdca login`)") from None
    if not isinstance(header, dict) or not isinstance(body, dict) or header.get("typ") != TYP:
        raise CredentialError("this is not a pdca credential: sign in again (`pdca login`)")
    return parts[0], parts[1], parts[2], header, body


def decode_unverified(token: str) -> Claims:
    """The claims without checking anything: for a client showing who it is signed in as, and for a
    workflow's opening before its keys are fetched (verified before anything is recorded)."""
    *_, body = _split(token)
    try:
        return Claims.model_validate(body)
    except ValidationError:
        raise CredentialError("the credential's claims are malformed: sign in again (`pdca login`)") from None


def verify_credential(token: str | None, keys: TrustedKeys, now: datetime) -> Claims:
    """The claims of a credential that is valid at ``now`` under ``keys``; ``CredentialError`` (a
    subclass naming what failed) otherwise."""
    if not token:
        raise CredentialMissing()
    head, body_part, sig_part, header, body = _split(token)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in SIGNATURES:
        raise CredentialError(f"the credential names an unknown algorithm {alg!r}")
    key = keys.get(str(kid))
    if key is None:
        raise UnknownKey(f"the credential is signed by key {kid!r}, which is not a trusted authority key")
    if key.alg != alg:
        raise CredentialError(f"the credential says {alg} but key {kid} is {key.alg}")
    try:
        signature = unb64(sig_part)
    except ValueError:
        raise CredentialError("the credential's signature is malformed") from None
    if not verify(alg, unb64(key.public), f"{head}.{body_part}".encode(), signature):
        raise CredentialError("the credential's signature does not verify: it was altered or not issued by the authority")
    try:
        claims = Claims.model_validate(body)
    except ValidationError:
        raise CredentialError("the credential's claims are malformed") from None
    instant = int(now.timestamp())
    if claims.exp <= instant:
        raise CredentialExpired(f"the credential of {claims.sub} expired at {_utc(claims.exp)}: sign in again (`pdca login`)")
    if claims.iat > instant + CLOCK_SKEW:
        raise CredentialError(f"the credential of {claims.sub} is issued in the future ({_utc(claims.iat)})")
    if claims.sub == "system" or Role.SYSTEM in claims.roles:
        raise CredentialError("no person may act as the system")
    return claims


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(max(epoch, 0), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
