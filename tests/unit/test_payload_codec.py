"""The Temporal payload codec (store/payload_codec.py): AES-256-GCM and SM4-GCM round trips, rotation,
tampering, pass-through of plain payloads, unknown and missing keys, key files on disk."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from store.payload_codec import (
    CIPHER,
    ENCODING,
    KEY_ID,
    PayloadCipher,
    PayloadKey,
    PayloadKeyError,
    PayloadKeys,
    data_converter,
    decrypt,
    encrypt,
)
from tests.payload_keys import TEST_AES_KEY, TEST_SM4_KEY, key_directory

SECRET = "独特问题文本：村集体资产台账缺失，王某某"


class Problem(BaseModel):
    description: str
    org_name: str


def problem() -> Problem:
    return Problem(description=SECRET, org_name="城关镇东村党支部")


def plain(payload: Payload) -> bytes:
    return payload.SerializeToString()


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4-gcm"])
async def test_round_trip_hides_the_text(cipher: str, tmp_path: Path) -> None:
    keys = PayloadKeys(tmp_path / "keys")
    key = keys.create(cipher)
    converter = data_converter(keys=keys)
    [sealed] = await converter.encode([problem()])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == key.kid.encode() and sealed.metadata[CIPHER] == cipher.encode()
    raw = plain(sealed)
    for text in (SECRET, "城关镇", "村集体"):
        assert text.encode() not in raw and json.dumps(text).encode() not in raw
    assert await converter.decode([sealed], [Problem]) == [problem()]
    [again] = await converter.encode([problem()])
    assert again.data[:12] != sealed.data[:12] and again.data != sealed.data  # a fresh 96-bit nonce each time


async def test_the_newest_key_encrypts_and_older_keys_still_decrypt(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    keys = key_directory(directory, TEST_AES_KEY)
    codec = PayloadCipher(keys)
    [old] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"old"')])
    assert old.metadata[KEY_ID] == TEST_AES_KEY.kid.encode()
    # another process (`pdca codec rotate`) adds a newer key: this one notices the new file
    other = PayloadKeys(directory)
    newer = other.create("sm4-gcm")
    [new] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"new"')])
    assert new.metadata[KEY_ID] == newer.kid.encode() and new.metadata[CIPHER] == b"sm4-gcm"
    assert [p.data for p in await codec.decode([old, new])] == [b'"old"', b'"new"']
    assert [k.kid for k in PayloadKeys(directory).listed()] == [TEST_AES_KEY.kid, newer.kid]


async def test_a_key_added_after_start_is_found_when_a_payload_names_it(tmp_path: Path) -> None:
    reader = PayloadKeys(tmp_path / "keys")  # nothing there yet
    writer = key_directory(tmp_path / "elsewhere", TEST_SM4_KEY)
    [sealed] = await PayloadCipher(writer).encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1")])
    with pytest.raises(PayloadKeyError, match=TEST_SM4_KEY.kid):
        await PayloadCipher(reader).decode([sealed])
    key_directory(tmp_path / "keys", TEST_SM4_KEY)  # the key file copied in
    assert [p.data for p in await PayloadCipher(reader).decode([sealed])] == [b"1"]


async def test_an_unknown_key_id_is_named(tmp_path: Path) -> None:
    [sealed] = await PayloadCipher(PayloadKeys.ephemeral()).encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1")])
    kid = sealed.metadata[KEY_ID].decode()
    keys = key_directory(tmp_path / "keys", TEST_AES_KEY)
    with pytest.raises(PayloadKeyError) as raised:
        await PayloadCipher(keys).decode([sealed])
    assert f"key {kid!r}" in raised.value.message and str(tmp_path / "keys") in raised.value.message


def test_tampering_fails_authentication() -> None:
    keys = PayloadKeys(None, [TEST_AES_KEY, TEST_SM4_KEY])
    original = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(SECRET).encode())
    sealed = encrypt(original, TEST_AES_KEY)
    assert decrypt(sealed, keys) == original

    flipped = Payload()
    flipped.CopyFrom(sealed)
    flipped.data = sealed.data[:20] + bytes([sealed.data[20] ^ 1]) + sealed.data[21:]
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        decrypt(flipped, keys)

    relabelled = Payload()
    relabelled.CopyFrom(sealed)
    relabelled.metadata[KEY_ID] = TEST_SM4_KEY.kid.encode()
    relabelled.metadata[CIPHER] = b"sm4-gcm"
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        decrypt(relabelled, keys)

    wrong_cipher = Payload()
    wrong_cipher.CopyFrom(sealed)
    wrong_cipher.metadata[CIPHER] = b"sm4-gcm"
    with pytest.raises(PayloadKeyError, match="altered metadata"):
        decrypt(wrong_cipher, keys)

    truncated = Payload()
    truncated.CopyFrom(sealed)
    truncated.data = sealed.data[:10]
    with pytest.raises(PayloadKeyError, match="too short"):
        decrypt(truncated, keys)


async def test_plain_payloads_pass_through_decoding_unchanged() -> None:
    [plain_payload] = await pydantic_data_converter.encode([problem()])
    converter = data_converter(keys=PayloadKeys(None))  # no key at all: decoding a plain payload needs none
    assert await converter.decode([plain_payload], [Problem]) == [problem()]
    assert decrypt(plain_payload, PayloadKeys(None)) is plain_payload


async def test_without_any_key_encoding_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match="no Temporal payload key in .*pdca codec init"):
        await data_converter(keys=PayloadKeys(tmp_path / "none")).encode([problem()])


async def test_failure_messages_are_encrypted_too() -> None:
    converter = data_converter(keys=PayloadKeys(None, [TEST_AES_KEY]))
    failure = Failure()
    converter.failure_converter.to_failure(ApplicationError(SECRET, type="Refused"), converter.payload_converter, failure)
    assert converter.payload_codec is not None
    await converter.payload_codec.encode_failure(failure)
    assert SECRET.encode() not in failure.SerializeToString() and failure.message == "Encoded failure"
    await converter.payload_codec.decode_failure(failure)
    error = converter.failure_converter.from_failure(failure, converter.payload_converter)
    assert isinstance(error, ApplicationError) and error.message == SECRET and error.type == "Refused"


def test_key_files_are_private_and_checked(tmp_path: Path) -> None:
    directory = tmp_path / "payload-keys"
    keys = PayloadKeys(directory)
    first = keys.ensure("sm4-gcm")
    assert keys.ensure("aes-256-gcm") == first  # ensure makes only the first
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / f"{first.kid}.json").st_mode) == 0o600
    assert len(first.secret) == 16 and len(keys.create("aes-256-gcm").secret) == 32
    assert "secret" not in repr(first) and first.secret.hex() not in repr(first)
    (directory / "broken.json").write_text('{"kid": "broken", "cipher": "aes-256-gcm", "key": "c2hvcnQ="}')
    with pytest.raises(PayloadKeyError, match="has 32 bytes, not 5"):
        PayloadKeys(directory)
    with pytest.raises(PayloadKeyError, match="unknown payload cipher"):
        PayloadKey.generate("des")


async def test_connect_refuses_without_a_payload_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.bootstrap import connect
    from service.errors import Unavailable

    monkeypatch.setenv("PDCA_PAYLOAD_KEY_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    with pytest.raises(Unavailable, match="no Temporal payload key"):
        await connect()
