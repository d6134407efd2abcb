"""Passkeys (WebAuthn) as personal signing keys (pure computation, no I/O).

A passkey's private key never leaves its authenticator (a phone, a laptop's secure chip, a security
key): the web console asks the browser (``navigator.credentials.get``) to have it sign, with the
command's digest as the WebAuthn *challenge*. What the authenticator signs is not the digest itself but

    authenticator_data ‖ SHA-256(client_data)

where ``client_data`` is the browser's JSON ``{"type": "webauthn.get", "challenge": b64url(digest),
"origin": …}`` and ``authenticator_data`` starts with SHA-256(rp id) and the flags (user present,
user verified). The signature keeps both (``PersonalSignature.authenticator_data`` / ``client_data``),
so the workflow and `pdca audit verify --signatures` re-check, with nothing but the registered public
key: the digest is the signed document's, the challenge is that digest, the assertion is for the
registered site and the person was present, and the signature verifies.

    key algorithms  "webauthn-es256"    COSE -7: ECDSA P-256 / SHA-256; public = the uncompressed point
                                        (0x04 ‖ x ‖ y, 65 bytes); signature = DER
                    "webauthn-ed25519"  COSE -8: EdDSA Ed25519; public = 32 bytes; signature = 64 bytes

They are key algorithms only (verify, never sign here): ``algorithms.SIGNATURES`` stays the algorithms
the server and the CLI sign with; ``KEY_ALGORITHMS`` is every algorithm a person's registered key may
have. Registration (``parse_authenticator_data``, ``attested_credential``, ``spki_public_key``) is
checked by the server (service/passkeys.py) with the helpers below; the signature counter is not
checked (an offline check has no memory of earlier counts, and synced passkeys report 0).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from domain.identity.algorithms import SIGNATURES, b64, digest, fingerprint

ES256 = "webauthn-es256"
ED25519 = "webauthn-ed25519"
ALGORITHMS: tuple[str, ...] = (ES256, ED25519)
KEY_ALGORITHMS: tuple[str, ...] = (*SIGNATURES, *ALGORITHMS)  # every algorithm a person's registered key may have
PUBLIC_KEY_BYTES: dict[str, int] = {ES256: 65, ED25519: 32}
COSE_ALGORITHMS: dict[int, str] = {-7: ES256, -8: ED25519}  # WebAuthn's pubKeyCredParams, by COSE id
COSE_OF: dict[str, int] = {alg: cose for cose, alg in COSE_ALGORITHMS.items()}
DIGEST = "sha256"  # a passkey's fingerprint and WebAuthn's own hashes

# authenticator data flags (WebAuthn §6.1)
UP = 0x01  # user present
UV = 0x04  # user verified (PIN, fingerprint, face)
AT = 0x40  # attested credential data included (registration)
ED = 0x80  # extension data included

MAX_CREDENTIAL_ID = 1023  # bytes (WebAuthn §5.1: credential ids are at most 1023 bytes)


class WebAuthnError(ValueError):
    """Malformed or non-matching WebAuthn data; the message says what is wrong."""


def is_passkey(alg: str) -> bool:
    return alg in ALGORITHMS


def key_fingerprint(alg: str, public: bytes) -> str:
    """A person key's name, whatever its algorithm: ``algorithms.fingerprint``'s formula
    (``<digest>:<hex of the first 16 bytes of digest(alg ‖ 0 ‖ public)>``), SHA-256 for a passkey."""
    if not is_passkey(alg):
        return fingerprint(alg, public)
    value = digest(DIGEST, alg.encode() + b"\x00" + public)
    return f"{DIGEST}:{value[:16].hex()}"


def public_key_problem(alg: str, public: bytes) -> str | None:
    """Why ``public`` is not a usable ``alg`` passkey public key (None: it is)."""
    size = PUBLIC_KEY_BYTES[alg]
    if len(public) != size:
        return f"an {alg} public key has {size} bytes, not {len(public)}"
    try:
        if alg == ES256:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        else:
            Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        return f"the {alg} public key is not a valid point"
    if alg == ES256 and public[0] != 0x04:
        return f"an {alg} public key is an uncompressed point (0x04 ‖ x ‖ y)"
    return None


# ----------------------------------------------------------------------------- the signature


def verify(alg: str, public: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid ``alg`` passkey signature of ``message`` (ES256: canonical DER)."""
    try:
        if alg == ES256:
            r, s = decode_dss_signature(signature)
            if encode_dss_signature(r, s) != signature:
                return False  # only the one DER spelling of (r, s)
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public).verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif alg == ED25519:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def client_data_json(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebAuthnError("the passkey's client data is not JSON") from None
    if not isinstance(parsed, dict):
        raise WebAuthnError("the passkey's client data is not a JSON object")
    return parsed


def signed_message(alg: str, challenge: bytes, authenticator_data: bytes, client_data: bytes, rp_id: str | None) -> bytes:
    """The bytes a passkey signed in an assertion over ``challenge`` (the command's digest), after
    checking what the browser and the authenticator said: a ``webauthn.get`` over this challenge, for
    the site ``rp_id`` (when the key names one), with the person present. ``WebAuthnError`` otherwise."""
    if not is_passkey(alg):
        raise WebAuthnError(f"{alg} is not a passkey algorithm")
    fields = client_data_json(client_data)
    kind = fields.get("type")
    if kind != "webauthn.get":
        raise WebAuthnError(f"the passkey's client data is of type {kind!r}, not an assertion ('webauthn.get')")
    if fields.get("challenge") != b64(challenge):
        raise WebAuthnError("the passkey signed another challenge, not this command's digest")
    if len(authenticator_data) < 37:
        raise WebAuthnError(f"the authenticator data has {len(authenticator_data)} bytes, fewer than 37")
    if rp_id is not None and authenticator_data[:32] != digest(DIGEST, rp_id.encode()):
        raise WebAuthnError(f"the passkey signed for another site, not {rp_id!r} (its relying party id hash differs)")
    if not authenticator_data[32] & UP:
        raise WebAuthnError("the authenticator did not confirm the person's presence (user-present flag not set)")
    return authenticator_data + digest(DIGEST, client_data)


# ----------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class AuthenticatorData:
    """The authenticator data (WebAuthn §6.1): rp id hash, flags, counter, and at registration the
    attested credential (its id and COSE public key)."""

    rp_id_hash: bytes
    flags: int
    sign_count: int
    credential_id: bytes | None = None
    credential_key: dict[Any, Any] | None = None  # COSE_Key

    @property
    def user_present(self) -> bool:
        return bool(self.flags & UP)

    @property
    def user_verified(self) -> bool:
        return bool(self.flags & UV)


def parse_authenticator_data(data: bytes) -> AuthenticatorData:
    if len(data) < 37:
        raise WebAuthnError(f"the authenticator data has {len(data)} bytes, fewer than 37")
    rp_id_hash, flags, (count,) = data[:32], data[32], struct.unpack(">I", data[33:37])
    if not flags & AT:
        if len(data) > 37 and not flags & ED:
            raise WebAuthnError("the authenticator data has trailing bytes")
        return AuthenticatorData(rp_id_hash, flags, count)
    if len(data) < 55:
        raise WebAuthnError("the authenticator data is too short for its attested credential")
    (length,) = struct.unpack(">H", data[53:55])
    if length > MAX_CREDENTIAL_ID or len(data) < 55 + length:
        raise WebAuthnError("the authenticator data's credential id is malformed")
    credential_id = data[55 : 55 + length]
    key, end = _cbor(data, 55 + length, 0)
    if not isinstance(key, dict):
        raise WebAuthnError("the attested credential's public key is not a COSE key")
    if end != len(data) and not flags & ED:
        raise WebAuthnError("the authenticator data has trailing bytes")
    return AuthenticatorData(rp_id_hash, flags, count, credential_id, key)


def attestation_authenticator_data(attestation_object: bytes) -> bytes:
    """The authenticator data inside a registration's attestation object (CBOR ``{fmt, attStmt, authData}``).
    Its attestation statement is not checked: the console asks for none (``attestation: "none"``)."""
    value = cbor_decode(attestation_object)
    auth_data = value.get("authData") if isinstance(value, dict) else None
    if not isinstance(auth_data, bytes):
        raise WebAuthnError("the attestation object has no authenticator data")
    return auth_data


def cose_public_key(cose: dict[Any, Any]) -> tuple[str, bytes]:
    """(algorithm, raw public key) of a COSE_Key: EC2 P-256 with ES256 (-7), or OKP Ed25519 with EdDSA (-8)."""
    cose_alg = cose.get(3)
    alg = COSE_ALGORITHMS.get(cose_alg) if isinstance(cose_alg, int) else None
    if alg == ES256 and cose.get(1) == 2 and cose.get(-1) == 1:
        x, y = cose.get(-2), cose.get(-3)
        if isinstance(x, bytes) and isinstance(y, bytes) and len(x) == len(y) == 32:
            return alg, b"\x04" + x + y
    if alg == ED25519 and cose.get(1) == 1 and cose.get(-1) == 6:
        x = cose.get(-2)
        if isinstance(x, bytes) and len(x) == 32:
            return alg, x
    raise WebAuthnError("the credential's public key is not an ES256 (P-256) or EdDSA (Ed25519) COSE key")


def spki_public_key(der: bytes) -> tuple[str, bytes]:
    """(algorithm, raw public key) of a SubjectPublicKeyInfo (DER), as the browser's
    ``AuthenticatorAttestationResponse.getPublicKey()`` gives it: P-256 → ES256, Ed25519 → EdDSA."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise WebAuthnError("the public key is not a DER SubjectPublicKeyInfo") from None
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return ES256, key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, Ed25519PublicKey):
        return ED25519, key.public_bytes_raw()
    raise WebAuthnError("the public key is neither P-256 (ES256) nor Ed25519 (EdDSA)")


# ----------------------------------------------------------------------------- CBOR (the subset WebAuthn uses)

_MAX_DEPTH = 16


def cbor_decode(data: bytes) -> Any:
    """One CBOR item (RFC 8949) that is all of ``data``: integers, byte and text strings, arrays, maps,
    tags (dropped), false/true/null and floats; definite lengths only (CTAP2's canonical form)."""
    value, end = _cbor(data, 0, 0)
    if end != len(data):
        raise WebAuthnError("trailing bytes after the CBOR item")
    return value


def _cbor(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    if depth > _MAX_DEPTH:
        raise WebAuthnError("CBOR nested too deeply")
    if at >= len(data):
        raise WebAuthnError("CBOR item truncated")
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if major == 7:
        if info in (20, 21, 22):
            return (False, True, None)[info - 20], at
        sizes = {25: (2, ">e"), 26: (4, ">f"), 27: (8, ">d")}
        if info in sizes:
            size, fmt = sizes[info]
            if at + size > len(data):
                raise WebAuthnError("CBOR item truncated")
            return struct.unpack(fmt, data[at : at + size])[0], at + size
        raise WebAuthnError(f"unsupported CBOR simple value {info}")
    if info < 24:
        argument = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        if at + size > len(data):
            raise WebAuthnError("CBOR item truncated")
        argument = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise WebAuthnError("indefinite-length or reserved CBOR items are not supported")
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        if at + argument > len(data):
            raise WebAuthnError("CBOR string truncated")
        raw = data[at : at + argument]
        if major == 2:
            return raw, at + argument
        try:
            return raw.decode("utf-8"), at + argument
        except UnicodeDecodeError:
            raise WebAuthnError("CBOR text is not UTF-8") from None
    if major == 4:
        items = []
        for _ in range(argument):
            item, at = _cbor(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        mapping: dict[Any, Any] = {}
        for _ in range(argument):
            key, at = _cbor(data, at, depth + 1)
            if isinstance(key, list | dict):
                raise WebAuthnError("unsupported CBOR map key")
            value, at = _cbor(data, at, depth + 1)
            mapping[key] = value
        return mapping, at
    return _cbor(data, at, depth + 1)  # major 6: a tag, dropped
