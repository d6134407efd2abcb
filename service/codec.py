"""Temporal payload encryption, as the doors use it: the keys (`pdca codec …`, `pdca up`) and the codec
endpoint the Temporal Web UI calls to show decrypted payloads (api/codec.py: POST /codec/decode, /codec/encode).

    ensure_key(settings) -> kid              the first payload key, made if there is none (`pdca up`, `pdca codec init`)
    rotate_key(settings, cipher=None) -> kid a new key encrypts from now on; older keys still decrypt
    list_keys(settings) -> [{kid, cipher, created, current}]
    may_use_codec(claims) -> bool            who may see decrypted payloads: county-level staff
    decode_json(settings, claims, body, namespace) / encode_json(...)   the codec-server protocol

The codec-server protocol is Temporal's: a JSON body ``{"payloads": [{"metadata": {name: base64},
"data": base64}]}`` (protobuf ``Payloads`` in its JSON form) in, the same shape out. Decoded payloads are
everything a case holds, for every organization: only administrators and supervisors whose scope is
the whole county ("*") may ask, and every request is logged (who, how many payloads, which namespace).
"""

from __future__ import annotations

from typing import Any

import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from domain.actors import Role
from domain.identity import Claims
from service.errors import Refused, Unavailable
from settings import Settings
from store.payload_codec import CIPHERS, PayloadCipher, PayloadKeyError, PayloadKeys

__all__ = ["decode_json", "encode_json", "ensure_key", "list_keys", "may_use_codec", "rotate_key"]

log = structlog.get_logger("pdca.codec")

MAX_PAYLOADS = 1000  # payloads per request: a history's page, never an unbounded batch


def keys_of(settings: Settings) -> PayloadKeys:
    try:
        return PayloadKeys(settings.payload_keys_path)
    except PayloadKeyError as error:
        raise Unavailable(error.message) from None


def ensure_key(settings: Settings) -> str:
    """The current payload key's id, making the first (PDCA_PAYLOAD_CIPHER) if there is none."""
    try:
        return keys_of(settings).ensure(settings.payload_cipher).kid
    except PayloadKeyError as error:
        raise Unavailable(error.message) from None


def rotate_key(settings: Settings, cipher: str | None = None) -> str:
    """A new payload key (``cipher``, else PDCA_PAYLOAD_CIPHER): new payloads are encrypted with it from
    now on (processes notice the new file); every older key stays and still decrypts."""
    wanted = cipher or settings.payload_cipher
    if wanted not in CIPHERS:
        raise Refused(f"--cipher {wanted!r}: one of {', '.join(CIPHERS)}")
    try:
        return keys_of(settings).create(wanted).kid
    except PayloadKeyError as error:
        raise Unavailable(error.message) from None


def list_keys(settings: Settings) -> list[dict[str, Any]]:
    """Every payload key, oldest first; ``current``: the one that encrypts."""
    keys = keys_of(settings).listed()
    return [{"kid": k.kid, "cipher": k.cipher, "created": k.created, "current": i == len(keys) - 1} for i, k in enumerate(keys)]


# ----------------------------------------------------------------------------- the codec endpoint

CODEC_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def may_use_codec(claims: Claims) -> bool:
    """County-level staff: an administrator, or a supervisor (组织部督导员) whose scope is every
    organization ("*"). Decoded payloads are not filtered by organization, so a narrower scope may not."""
    roles = set(claims.roles)
    if Role.ADMIN in roles:
        return True
    return Role.SUPERVISOR in roles and "*" in claims.scope


def _authorize(claims: Claims, action: str) -> None:
    if not may_use_codec(claims):
        log.warning("codec_refused", actor=claims.sub, action=action, roles=[str(r) for r in claims.roles])
        raise Refused(
            f"{claims.sub} may not {action} Temporal payloads: administrators and county-wide supervisors only",
            code="permission_denied",
        )


def _parse(body: bytes) -> Payloads:
    payloads = Payloads()
    try:
        json_format.Parse(body, payloads)
    except (json_format.ParseError, UnicodeDecodeError, ValueError) as error:
        shape = '{"payloads": [{"metadata": …, "data": …}]}'
        raise Refused(f"not a codec request ({shape}): {error}", code="invalid_request") from None
    if len(payloads.payloads) > MAX_PAYLOADS:
        raise Refused(f"at most {MAX_PAYLOADS} payloads per request", code="invalid_request")
    return payloads


async def decode_json(settings: Settings, claims: Claims, body: bytes, namespace: str | None = None) -> str:
    """The decrypted payloads of a codec-server request, as its JSON answer (``claims``: a verified caller)."""
    _authorize(claims, "decode")
    payloads = _parse(body)
    codec = PayloadCipher(keys_of(settings))
    try:
        decoded = await codec.decode(payloads.payloads)
    except PayloadKeyError as error:
        log.warning("codec_decode_failed", actor=claims.sub, namespace=namespace, payloads=len(payloads.payloads), reason=error.message)
        raise Refused(error.message, code="undecodable") from None
    log.info("payloads_decoded", actor=claims.sub, namespace=namespace, payloads=len(decoded))
    return json_format.MessageToJson(Payloads(payloads=decoded))


async def encode_json(settings: Settings, claims: Claims, body: bytes, namespace: str | None = None) -> str:
    """The encrypted payloads of a codec-server request (the UI sending a signal or an input)."""
    _authorize(claims, "encode")
    payloads = _parse(body)
    codec = PayloadCipher(keys_of(settings))
    try:
        encoded = await codec.encode(payloads.payloads)
    except PayloadKeyError as error:
        raise Unavailable(error.message) from None
    log.info("payloads_encoded", actor=claims.sub, namespace=namespace, payloads=len(encoded))
    return json_format.MessageToJson(Payloads(payloads=encoded))
