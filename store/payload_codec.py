"""Temporal payloads encrypted at rest: the payload codec and its keys on disk.

Every client and worker of this project converts data with ``data_converter(settings)``: the pydantic
data converter, this codec, and failures whose message and stack trace travel as an (encrypted) payload.
Temporal's database (the dev server's temporal.db, a cluster's PostgreSQL) then holds ciphertext where it
held problem text, organization and people's names, notes and actor ids (docs/security.md, "Privacy model").

    keys = PayloadKeys(settings.payload_keys_path)
    keys.ensure("aes-256-gcm")          the newest key, the first one made if there is none (`pdca up`)
    keys.create("sm4-gcm")              rotation: a new key encrypts from now on; older keys still decrypt
    keys.listed()                       every key, oldest first
    data_converter(settings)            pydantic_data_converter + PayloadCipher(keys) + encoded failure attributes

Key files: ``<dir>/<kid>.json`` = {"kid", "cipher", "key" (base64), "created"}, mode 0600, the directory
0700 (store/keys.py helpers). Keys are never deleted by rotation: a history recorded under an old key must
still decode (replay, the Temporal UI, a workflow still running).

An encrypted payload: metadata ``encoding`` = ``binary/encrypted``, ``encryption-key-id`` = kid,
``encryption-cipher`` = aes-256-gcm | sm4-gcm; data = 12-byte random nonce ‖ ciphertext ‖ 16-byte tag of the
original payload (its metadata and data, protobuf bytes). The associated data binds those three metadata
values, so a payload relabelled with another key id or cipher fails authentication. A payload without the
``binary/encrypted`` encoding passes through decoding unchanged: histories recorded before the codec
still replay, and still show in clear (the codec does not rewrite what the server holds).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from store.keys import private_directory, write_private

if TYPE_CHECKING:
    from settings import Settings

__all__ = [
    "CIPHERS",
    "ENCODING",
    "PayloadCipher",
    "PayloadKey",
    "PayloadKeyError",
    "PayloadKeys",
    "data_converter",
    "is_encrypted",
]

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CIPHER = "encryption-cipher"
NONCE_BYTES = 12  # 96-bit, random per payload
TAG_BYTES = 16
AAD_LABEL = b"pdca-temporal-payload-v1"

# cipher name -> key length in bytes
CIPHERS: dict[str, int] = {"aes-256-gcm": 32, "sm4-gcm": 16}


class PayloadKeyError(Exception):
    """A payload cannot be encrypted or decrypted: no key, a key id this machine lacks, altered data."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PayloadKey:
    kid: str
    cipher: str
    secret: bytes = dataclasses.field(repr=False)
    created: str = ""

    def __post_init__(self) -> None:
        if self.cipher not in CIPHERS:
            raise PayloadKeyError(f"payload key {self.kid}: unknown cipher {self.cipher!r} (one of {', '.join(CIPHERS)})")
        if len(self.secret) != CIPHERS[self.cipher]:
            raise PayloadKeyError(f"payload key {self.kid}: a {self.cipher} key has {CIPHERS[self.cipher]} bytes, not {len(self.secret)}")

    @classmethod
    def generate(cls, cipher: str) -> PayloadKey:
        if cipher not in CIPHERS:
            raise PayloadKeyError(f"unknown payload cipher {cipher!r}: one of {', '.join(CIPHERS)}")
        return cls(kid=secrets.token_hex(8), cipher=cipher, secret=os.urandom(CIPHERS[cipher]), created=datetime.now(UTC).isoformat())

    def file_text(self) -> str:
        return json.dumps({"kid": self.kid, "cipher": self.cipher, "key": base64.b64encode(self.secret).decode(), "created": self.created})


def _read_key(path: Path) -> PayloadKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        secret = base64.b64decode(data["key"], validate=True)
        key = PayloadKey(kid=str(data["kid"]), cipher=str(data["cipher"]), secret=secret, created=str(data.get("created", "")))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        raise PayloadKeyError(f"payload key file {path} cannot be read: {error}") from None
    if path.stem != key.kid:
        raise PayloadKeyError(f"payload key file {path} holds key {key.kid!r}: the file must be named {key.kid}.json")
    return key


class PayloadKeys:
    """The payload keys of one directory (``None``: in memory only, for a server that lives no longer than
    this process, as the demo's). The directory is re-read when it changes (a key added by `pdca codec
    rotate` or another process) and when a payload names a key id not yet known."""

    def __init__(self, directory: Path | None, keys: Iterable[PayloadKey] = ()) -> None:
        self.directory = directory
        self._keys: dict[str, PayloadKey] = {k.kid: k for k in keys}
        self._stamp: int | None = None
        if directory is not None:
            self._load()

    @classmethod
    def ephemeral(cls, cipher: str = "aes-256-gcm") -> PayloadKeys:
        """One fresh key, in memory only."""
        return cls(None, [PayloadKey.generate(cipher)])

    def where(self) -> str:
        return str(self.directory) if self.directory is not None else "(in memory)"

    # ------------------------------------------------------------------ reading

    def _directory_stamp(self) -> int | None:
        assert self.directory is not None
        try:
            return os.stat(self.directory).st_mtime_ns
        except FileNotFoundError:
            return None

    def _load(self) -> None:
        assert self.directory is not None
        self._stamp = self._directory_stamp()
        keys: dict[str, PayloadKey] = {}
        if self._stamp is not None:
            for path in sorted(self.directory.glob("*.json")):
                key = _read_key(path)
                keys[key.kid] = key
        self._keys = keys

    def _refresh(self) -> None:
        if self.directory is not None and self._directory_stamp() != self._stamp:
            self._load()

    def listed(self) -> list[PayloadKey]:
        """Every key, oldest first (by creation time, then id)."""
        self._refresh()
        return sorted(self._keys.values(), key=lambda k: (k.created, k.kid))

    def newest(self) -> PayloadKey:
        """The key that encrypts; ``PayloadKeyError`` when there is none."""
        keys = self.listed()
        if not keys:
            raise PayloadKeyError(
                f"no Temporal payload key in {self.where()}: `pdca up` makes one, or run `pdca codec init` on the server; "
                "a client on another machine needs a copy of the server's key directory (PDCA_PAYLOAD_KEY_DIR)"
            )
        return keys[-1]

    def get(self, kid: str) -> PayloadKey:
        """The key ``kid``; the directory is read again once before ``PayloadKeyError`` names the missing id."""
        key = self._keys.get(kid)
        if key is None and self.directory is not None:
            self._load()
            key = self._keys.get(kid)
        if key is None:
            raise PayloadKeyError(
                f"payload encrypted with key {kid!r}, which is not in {self.where()}: "
                "copy that key file from the server's PDCA_PAYLOAD_KEY_DIR (rotation keeps old keys)"
            )
        return key

    # ------------------------------------------------------------------ writing

    def create(self, cipher: str = "aes-256-gcm") -> PayloadKey:
        """A new key: it encrypts from now on; every older key still decrypts."""
        key = PayloadKey.generate(cipher)
        if self.directory is None:
            self._keys[key.kid] = key
            return key
        try:
            path = private_directory(self.directory) / f"{key.kid}.json"
            write_private(path, key.file_text())
        except OSError as error:
            raise PayloadKeyError(f"cannot write a payload key in {self.directory}: {error.strerror or error}") from None
        self._load()
        return key

    def ensure(self, cipher: str = "aes-256-gcm") -> PayloadKey:
        """The newest key, making the first one (with ``cipher``) if there is none."""
        keys = self.listed()
        return keys[-1] if keys else self.create(cipher)


# ----------------------------------------------------------------------------- the ciphers


def _aad(kid: str, cipher: str) -> bytes:
    return b"\x00".join((AAD_LABEL, ENCODING, kid.encode(), cipher.encode()))


def _seal(key: PayloadKey, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if key.cipher == "aes-256-gcm":
        return AESGCM(key.secret).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _open(key: PayloadKey, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if key.cipher == "aes-256-gcm":
        return AESGCM(key.secret).decrypt(nonce, sealed, aad)
    if len(sealed) < TAG_BYTES:
        raise InvalidTag()
    decryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def encrypt(payload: Payload, key: PayloadKey) -> Payload:
    """``payload`` sealed under ``key`` (an already encrypted payload is returned as it is)."""
    if is_encrypted(payload):
        return payload
    nonce = os.urandom(NONCE_BYTES)
    sealed = _seal(key, nonce, payload.SerializeToString(deterministic=True), _aad(key.kid, key.cipher))
    return Payload(
        metadata={"encoding": ENCODING, KEY_ID: key.kid.encode(), CIPHER: key.cipher.encode()},
        data=nonce + sealed,
    )


def decrypt(payload: Payload, keys: PayloadKeys) -> Payload:
    """The original payload; one without the ``binary/encrypted`` encoding is returned unchanged."""
    if not is_encrypted(payload):
        return payload
    kid = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
    cipher = payload.metadata.get(CIPHER, b"").decode("utf-8", "replace")
    if not kid:
        raise PayloadKeyError("encrypted payload without a key id (encryption-key-id)")
    key = keys.get(kid)
    if cipher != key.cipher:
        raise PayloadKeyError(f"payload under key {kid!r} says cipher {cipher!r}, but that key is {key.cipher}: altered metadata")
    data = payload.data
    if len(data) < NONCE_BYTES + TAG_BYTES:
        raise PayloadKeyError(f"payload under key {kid!r} is too short to be ciphertext: altered or truncated")
    try:
        plaintext = _open(key, data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(kid, cipher))
    except InvalidTag:
        raise PayloadKeyError(f"payload under key {kid!r} failed authentication: altered, or not encrypted by this key") from None
    original = Payload()
    original.ParseFromString(plaintext)
    return original


class PayloadCipher(PayloadCodec):
    """The Temporal payload codec: the newest key encrypts, any known key decrypts, plain payloads pass."""

    def __init__(self, keys: PayloadKeys) -> None:
        self.keys = keys

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not payloads:
            return []
        key = self.keys.newest()
        return [encrypt(p, key) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [decrypt(p, self.keys) for p in payloads]


def data_converter(settings: Settings | None = None, *, keys: PayloadKeys | None = None) -> DataConverter:
    """The one data converter of every client and worker: pydantic payloads, encrypted by ``keys`` (default:
    the settings' PDCA_PAYLOAD_KEY_DIR), failure messages and stack traces encoded (hence encrypted) too."""
    if keys is None:
        if settings is None:
            from settings import get_settings

            settings = get_settings()
        keys = PayloadKeys(settings.payload_keys_path)
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=PayloadCipher(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
