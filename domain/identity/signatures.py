"""A person's own signature on a decision that judges a person (pure).

What is signed is the command's digest: the digest of a canonical JSON document naming the stream, the
request id and the command as the person sent it (without any actor: who signs is the key's owner).
The signature, its algorithms, the key's fingerprint and the credential id are kept in the audit
event (``PersonalSignature``, with the signed document), so the record can be checked offline
(`pdca audit verify --signatures`) against the key the directory registered for that person.

A passkey (domain/identity/webauthn.py) signs in the browser with the digest as the WebAuthn challenge:
its signature also keeps the authenticator data and the client data the authenticator signed over, so
the same check (``verify_command_signature``) verifies both kinds, in the workflow and offline.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError
from domain.identity.algorithms import DIGEST_OF, DIGESTS, b64, digest, sign, unb64, verify
from domain.identity.credentials import PersonKey
from domain.identity.webauthn import WebAuthnError, signed_message
from domain.identity.webauthn import verify as verify_passkey

NO_KEY_HINT = "register a passkey in the web console (账户 → 注册通行密钥) or create a key with `pdca key new`"


class SignatureError(DomainError):
    code = "invalid_signature"


class SignatureRequired(SignatureError):
    code = "signature_required"


class PersonalSignature(BaseModel):
    """A signature as a command carries it and an audit event keeps it."""

    alg: str  # "ed25519" | "sm2" | "webauthn-es256" | "webauthn-ed25519"
    digest_alg: str  # "sha256" | "sm3"
    digest: str  # hex of digest_alg(signed document)
    value: str  # base64url signature over the digest bytes (a passkey's: over authenticator_data ‖ SHA-256(client_data))
    key: str  # the signing key's fingerprint
    credential: str = ""  # the credential id (jti) it was sent with; set by the workflow
    document: dict[str, Any] | None = None  # the signed document; set by the workflow for the audit event
    # a passkey's assertion (base64url): what its authenticator signed over besides the digest; absent otherwise
    authenticator_data: str | None = Field(default=None, exclude_if=lambda value: value is None)
    client_data: str | None = Field(default=None, exclude_if=lambda value: value is None)


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_document(stream_id: str, request_id: str, command: dict[str, Any]) -> dict[str, Any]:
    """What a person signs: the stream, the request and the command without its actor."""
    body = {k: v for k, v in command.items() if k != "actor"}
    return {"stream": stream_id, "request": request_id, "command": body}


def sign_command(document: dict[str, Any], key: PersonKey, private: bytes, digest_alg: str | None = None) -> PersonalSignature:
    """Sign ``document`` (``signed_document``) with the person's private key (client side; a passkey
    signs in its authenticator instead, see service/passkeys.py)."""
    if key.is_passkey:
        raise ValueError(f"a passkey ({key.alg}) signs in its authenticator, through the browser: not here")
    name = digest_alg or DIGEST_OF[key.alg]
    value = digest(name, canonical(document))
    signed = b64(sign(key.alg, private, value))
    return PersonalSignature(alg=key.alg, digest_alg=name, digest=value.hex(), value=signed, key=key.fingerprint)


def verify_command_signature(signature: PersonalSignature | None, document: dict[str, Any], key: PersonKey | None, who: str) -> None:
    """The signature is ``key``'s over ``document``'s digest; ``SignatureError`` says what is wrong.
    A passkey's (``key.is_passkey``) is a WebAuthn assertion whose challenge is that digest."""
    if signature is None:
        raise SignatureRequired(
            f"this decision judges a person: it must carry {who}'s personal signature (made by `pdca` with their key, "
            "or in the web console with their passkey)"
        )
    if key is None:
        raise SignatureRequired(f"{who} has no registered signing key: {NO_KEY_HINT}, then sign in again")
    if signature.key != key.fingerprint or signature.alg != key.alg:
        raise SignatureError(f"the signature is by key {signature.key}, not by {who}'s registered key {key.fingerprint}")
    if signature.digest_alg not in DIGESTS:
        raise SignatureError(f"unknown digest algorithm {signature.digest_alg!r}")
    expected = digest(signature.digest_alg, canonical(document))
    if signature.digest != expected.hex():
        raise SignatureError("the signature is over another command (its digest does not match)")
    try:
        value = unb64(signature.value)
    except ValueError:
        raise SignatureError("the signature is malformed") from None
    if key.is_passkey:
        _verify_passkey(signature, expected, value, key, who)
        return
    if signature.authenticator_data is not None or signature.client_data is not None:
        raise SignatureError(f"the signature carries passkey (WebAuthn) data but {key.fingerprint} is not a passkey")
    if not verify(signature.alg, key.public_bytes(), expected, value):
        raise SignatureError(f"the signature does not verify with {who}'s key {key.fingerprint}")


def _verify_passkey(signature: PersonalSignature, expected: bytes, value: bytes, key: PersonKey, who: str) -> None:
    """A WebAuthn assertion over the challenge ``expected`` (the document's digest) by the passkey ``key``."""
    if signature.authenticator_data is None or signature.client_data is None:
        raise SignatureError(f"a passkey signature carries its authenticator data and client data; this one by {key.fingerprint} does not")
    try:
        authenticator_data, client_data = unb64(signature.authenticator_data), unb64(signature.client_data)
    except ValueError:
        raise SignatureError("the passkey signature's authenticator data or client data is not base64url") from None
    try:
        message = signed_message(key.alg, expected, authenticator_data, client_data, key.rp_id)
    except WebAuthnError as error:
        raise SignatureError(str(error)) from None
    if not verify_passkey(key.alg, key.public_bytes(), message, value):
        raise SignatureError(f"the passkey signature does not verify with {who}'s passkey {key.fingerprint}")
