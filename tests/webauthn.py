"""A software WebAuthn authenticator and browser for the tests: what ``navigator.credentials.create``
and ``.get`` hand the page, in WebAuthn's real formats (client data JSON, authenticator data = rpIdHash
‖ flags ‖ signCount [‖ attested credential], a ``none`` attestation object in CBOR, the SPKI of
``getPublicKey()``), every binary value base64url without padding as the page would post it.

    authenticator = SoftAuthenticator(rp_id="localhost", origin="http://localhost:8470", alg="webauthn-es256")
    created = authenticator.create(options["challenge"])   # credential_id, client_data_json, attestation_object, public_key_spki, cose_alg
    key = authenticator.key                                # the PersonKey the server registers
    asserted = authenticator.get(digest_bytes)             # credential_id, authenticator_data, client_data, signature

Keyword arguments of ``create`` and ``get`` make the tampered answers the tests refuse (another type,
origin, site, flags …). Nothing here is used outside the tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.identity import PersonKey
from domain.identity.algorithms import b64
from domain.identity.webauthn import AT, ED25519, ES256, UP, UV

ORIGIN = "http://localhost:8470"
RP_ID = "localhost"


def cbor(value: Any) -> bytes:
    """CBOR (RFC 8949), the canonical CTAP2 subset: ints, byte and text strings, lists, maps."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise ValueError("integer too large for CBOR")

    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return bytes([0xF5 if value else 0xF4])
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return head(3, len(data)) + data
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(f"cannot CBOR-encode {type(value).__name__}")


class SoftAuthenticator:
    """One passkey (ES256 or Ed25519) for one site, in software."""

    def __init__(self, rp_id: str = RP_ID, origin: str = ORIGIN, alg: str = ES256, credential_id: bytes | None = None) -> None:
        self.rp_id, self.origin, self.alg = rp_id, origin, alg
        self.credential_id = credential_id or os.urandom(16)
        self.sign_count = 0
        if alg == ES256:
            self._ec = ec.generate_private_key(ec.SECP256R1())
            public = self._ec.public_key()
            self.public = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            numbers = public.public_numbers()
            self.cose: dict[int, Any] = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
            self.spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        elif alg == ED25519:
            self._ed = Ed25519PrivateKey.generate()
            self.public = self._ed.public_key().public_bytes_raw()
            self.cose = {1: 1, 3: -8, -1: 6, -2: self.public}
            self.spki = self._ed.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        else:
            raise ValueError(f"not a passkey algorithm: {alg}")

    @property
    def cose_alg(self) -> int:
        return -7 if self.alg == ES256 else -8

    @property
    def key(self) -> PersonKey:
        """The passkey as the server registers it."""
        return PersonKey.of(self.alg, self.public, credential_id=b64(self.credential_id), rp_id=self.rp_id)

    def sign(self, message: bytes) -> bytes:
        if self.alg == ES256:
            return self._ec.sign(message, ec.ECDSA(hashes.SHA256()))
        return self._ed.sign(message)

    def _client_data(self, kind: str, challenge: str, origin: str | None, **extra: Any) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False, **extra}
        return json.dumps(data, separators=(",", ":")).encode()

    def _head(self, rp_id: str | None, flags: int) -> bytes:
        self.sign_count += 1
        return hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)

    def create(
        self, challenge: str, *, type: str = "webauthn.create", origin: str | None = None, rp_id: str | None = None, flags: int = UP | UV
    ) -> dict[str, Any]:
        """``navigator.credentials.create``'s answer to the options' ``challenge`` (base64url)."""
        client = self._client_data(type, challenge, origin)
        attested = b"\x00" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + cbor(self.cose)
        auth_data = self._head(rp_id, flags | AT) + attested
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "credential_id": b64(self.credential_id),
            "client_data_json": b64(client),
            "attestation_object": b64(attestation),
            "public_key_spki": b64(self.spki),
            "cose_alg": self.cose_alg,
            "alg": self.alg,
        }

    def get(
        self,
        challenge: bytes,
        *,
        type: str = "webauthn.get",
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV,
        signed_challenge: bytes | None = None,
    ) -> dict[str, Any]:
        """``navigator.credentials.get``'s answer to the challenge (the command's digest).
        ``signed_challenge``: the authenticator is handed another challenge than the page asked for."""
        client = self._client_data(type, b64(challenge if signed_challenge is None else signed_challenge), origin)
        auth_data = self._head(rp_id, flags)
        signature = self.sign(auth_data + hashlib.sha256(client).digest())
        return {
            "credential_id": b64(self.credential_id),
            "authenticator_data": b64(auth_data),
            "client_data": b64(client),
            "signature": b64(signature),
        }
