"""Digests and signatures by name (pure computation, no I/O).

Every stored signature, credential and digest names its algorithm, so records made under one choice
stay verifiable after a deployment moves to another:

    digests     "sha256" (default), "sm3" (GB/T 32905, from the standard library's hashlib/OpenSSL)
    signatures  "ed25519" (default, RFC 8032, ``cryptography``), "sm2" (GB/T 32918 with SM3 and the
                default user id 1234567812345678, ``gmssl``)

Keys travel as bytes: Ed25519 private 32 bytes / public 32 bytes; SM2 private 32 bytes / public 64
bytes (x ‖ y, uncompressed without the 04 prefix).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gmssl import sm2

DIGESTS: tuple[str, ...] = ("sha256", "sm3")
SIGNATURES: tuple[str, ...] = ("ed25519", "sm2")
# the digest each signature algorithm pairs with (a fingerprint, a signed command's digest)
DIGEST_OF: dict[str, str] = {"ed25519": "sha256", "sm2": "sm3"}


class UnknownAlgorithm(ValueError):
    pass


def digest(algorithm: str, data: bytes) -> bytes:
    if algorithm not in DIGESTS:
        raise UnknownAlgorithm(f"unknown digest algorithm {algorithm!r}: one of {', '.join(DIGESTS)}")
    return hashlib.new(algorithm, data).digest()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Strict base64url without padding: only the one canonical spelling of the bytes is accepted (a
    lenient decoder ignores a last character's unused bits, so several strings would mean one token)."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


def fingerprint(algorithm: str, public: bytes) -> str:
    """A key's name: ``<digest>:<hex of the first 16 bytes of digest(alg ‖ 0 ‖ public)>``."""
    name = DIGEST_OF[_known(algorithm)]
    value = digest(name, algorithm.encode() + b"\x00" + public)
    return f"{name}:{value[:16].hex()}"


def _known(algorithm: str) -> str:
    if algorithm not in SIGNATURES:
        raise UnknownAlgorithm(f"unknown signature algorithm {algorithm!r}: one of {', '.join(SIGNATURES)}")
    return algorithm


# ----------------------------------------------------------------------------- Ed25519


def _ed_generate() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes_raw()


def _ed_public(private: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _ed_sign(private: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).sign(message)


def _ed_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# ----------------------------------------------------------------------------- SM2

_SM2_N = int(sm2.default_ecc_table["n"], 16)


def _sm2(private: bytes | None, public: bytes) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private.hex() if private else None, public_key=public.hex())
    # gmssl strips a leading "04" (the uncompressed-point prefix) with str.lstrip, which eats the key's
    # own digits when x starts with 0x04 (1 key in 256): set the key as given
    crypt.public_key = public.hex()
    return crypt


def _sm2_public(private: bytes) -> bytes:
    crypt = sm2.CryptSM2(private_key=private.hex(), public_key="")
    return bytes.fromhex(crypt._kg(int(private.hex(), 16), sm2.default_ecc_table["g"]))


def _sm2_generate() -> tuple[bytes, bytes]:
    d = secrets.randbelow(_SM2_N - 2) + 1
    private = d.to_bytes(32, "big")
    return private, _sm2_public(private)


def _sm2_sign(private: bytes, message: bytes) -> bytes:
    crypt = _sm2(private, _sm2_public(private))
    k = (secrets.randbelow(_SM2_N - 2) + 1).to_bytes(32, "big").hex()
    return bytes.fromhex(crypt.sign_with_sm3(message, k))


def _sm2_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 64 or len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < _SM2_N and 0 < s < _SM2_N):
        return False
    try:
        return bool(_sm2(None, public).verify_with_sm3(signature.hex(), message))
    except Exception:  # noqa: BLE001 -- a malformed key or signature is simply not a valid signature
        return False


_GENERATE: dict[str, Callable[[], tuple[bytes, bytes]]] = {"ed25519": _ed_generate, "sm2": _sm2_generate}
_PUBLIC: dict[str, Callable[[bytes], bytes]] = {"ed25519": _ed_public, "sm2": _sm2_public}
_SIGN: dict[str, Callable[[bytes, bytes], bytes]] = {"ed25519": _ed_sign, "sm2": _sm2_sign}
_VERIFY: dict[str, Callable[[bytes, bytes, bytes], bool]] = {"ed25519": _ed_verify, "sm2": _sm2_verify}


def generate_key(algorithm: str) -> tuple[bytes, bytes]:
    """A new (private, public) key pair (uses the OS's randomness: never call it in workflow code)."""
    return _GENERATE[_known(algorithm)]()


def public_key_of(algorithm: str, private: bytes) -> bytes:
    return _PUBLIC[_known(algorithm)](private)


def sign(algorithm: str, private: bytes, message: bytes) -> bytes:
    return _SIGN[_known(algorithm)](private, message)


def verify(algorithm: str, public: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid signature; an unknown algorithm, a malformed key or signature is False."""
    if algorithm not in SIGNATURES:
        return False
    return _VERIFY[algorithm](public, message, signature)
