"""A person's own signature on a decision that judges a person (pure).

What is signed is the command's digest: the digest of a canonical JSON document naming the stream, the
request id and the command as the person sent it (without any actor: who signs is the key's owner).
The signature, its algorithms, the key's fingerprint and the credential id are kept in the audit
event (``PersonalSignature``, with the signed document), so the record can be checked offline
(`pdca audit verify --signatures`) against the key the directory registered for that person.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from domain.errors import DomainError
from domain.identity.algorithms import DIGEST_OF, DIGESTS, b64, digest, sign, unb64, verify
from domain.identity.credentials import PersonKey


class SignatureError(DomainError):
    code = "invalid_signature"


class SignatureRequired(SignatureError):
    code = "signature_required"


class PersonalSignature(BaseModel):
    """A signature as a command carries it and an audit event keeps it."""

    alg: str  # "ed25519" | "sm2"
    digest_alg: str  # "sha256" | "sm3"
    digest: str  # hex of digest_alg(signed document)
    value: str  # base64url signature over the digest bytes
    key: str  # the signing key's fingerprint
    credential: str = ""  # the credential id (jti) it was sent with; set by the workflow
    document: dict[str, Any] | None = None  # the signed document; set by the workflow for the audit event


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_document(stream_id: str, request_id: str, command: dict[str, Any]) -> dict[str, Any]:
    """What a person signs: the stream, the request and the command without its actor."""
    body = {k: v for k, v in command.items() if k != "actor"}
    return {"stream": stream_id, "request": request_id, "command": body}


def sign_command(document: dict[str, Any], key: PersonKey, private: bytes, digest_alg: str | None = None) -> PersonalSignature:
    """Sign ``document`` (``signed_document``) with the person's private key (client side)."""
    name = digest_alg or DIGEST_OF[key.alg]
    value = digest(name, canonical(document))
    signed = b64(sign(key.alg, private, value))
    return PersonalSignature(alg=key.alg, digest_alg=name, digest=value.hex(), value=signed, key=key.fingerprint)


def verify_command_signature(signature: PersonalSignature | None, document: dict[str, Any], key: PersonKey | None, who: str) -> None:
    """The signature is ``key``'s over ``document``'s digest; ``SignatureError`` says what is wrong."""
    if signature is None:
        raise SignatureRequired(f"this decision judges a person: it must carry {who}'s personal signature (see `pdca key new`)")
    if key is None:
        raise SignatureRequired(f"{who} has no registered signing key: create one with `pdca key new` and sign in again")
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
    if not verify(signature.alg, key.public_bytes(), expected, value):
        raise SignatureError(f"the signature does not verify with {who}'s key {key.fingerprint}")
