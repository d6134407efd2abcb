"""domain/identity: digests and signatures by name, credentials, personal signatures over commands.

Every test that signs uses fixed keys (the same outcome on every run); SM2 signing draws a fresh nonce,
so only its verdicts, never its signature bytes, are compared. Hypothesis runs derandomized.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Role
from domain.identity.algorithms import (
    DIGEST_OF,
    DIGESTS,
    SIGNATURES,
    UnknownAlgorithm,
    b64,
    digest,
    fingerprint,
    generate_key,
    public_key_of,
    sign,
    unb64,
    verify,
)
from domain.identity.credentials import (
    CLOCK_SKEW,
    TYP,
    Claims,
    CredentialError,
    CredentialExpired,
    CredentialMissing,
    PersonKey,
    TrustedKey,
    TrustedKeys,
    UnknownKey,
    decode_unverified,
    encode_credential,
    verify_credential,
)
from domain.identity.signatures import (
    PersonalSignature,
    SignatureError,
    SignatureRequired,
    canonical,
    sign_command,
    signed_document,
    verify_command_signature,
)

# --------------------------------------------------------------------------- fixed keys

# Private keys valid for both algorithms (for SM2: 0 < d < n). None of their public keys starts with
# the byte 0x04 (see test_sm2_key_whose_public_key_starts_with_04_signs_verifiably).
_PRIVATE = (bytes(range(1, 33)), bytes(range(33, 65)), bytes(range(65, 97)))
_LENGTHS = {"ed25519": (32, 32, 64), "sm2": (32, 64, 64)}  # private, public, signature


@cache
def pair(alg: str, n: int = 0) -> tuple[bytes, bytes]:
    """The ``n``-th fixed (private, public) key pair of ``alg``."""
    private = _PRIVATE[n]
    return private, public_key_of(alg, private)


def other(alg: str) -> str:
    return next(a for a in SIGNATURES if a != alg)


@pytest.fixture(params=SIGNATURES)
def alg(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --------------------------------------------------------------------------- algorithms


def test_the_registries_name_both_algorithms_and_their_digests() -> None:
    assert set(SIGNATURES) == {"ed25519", "sm2"}
    assert set(DIGESTS) == {"sha256", "sm3"}
    assert DIGEST_OF == {"ed25519": "sha256", "sm2": "sm3"}


def test_generate_key(alg: str) -> None:
    private, public = generate_key(alg)
    n_private, n_public, n_signature = _LENGTHS[alg]
    assert (len(private), len(public)) == (n_private, n_public)
    assert public_key_of(alg, private) == public
    assert generate_key(alg) != (private, public)  # fresh randomness every time
    signature = sign(alg, private, b"generated")
    assert len(signature) == n_signature
    assert verify(alg, public, b"generated", signature)


def test_public_key_of_is_deterministic(alg: str) -> None:
    private, public = pair(alg)
    assert public_key_of(alg, private) == public
    assert len(public) == _LENGTHS[alg][1]
    assert pair(alg, 1)[1] != public


@pytest.mark.parametrize("message", [b"", b"abc", "整改意见：台账不全".encode(), bytes(range(256)) * 4])
def test_sign_verify_round_trip(alg: str, message: bytes) -> None:
    private, public = pair(alg)
    signature = sign(alg, private, message)
    assert len(signature) == _LENGTHS[alg][2]
    assert verify(alg, public, message, signature) is True


def test_ed25519_signatures_are_deterministic_sm2_ones_are_randomized() -> None:
    private, _ = pair("ed25519")
    assert sign("ed25519", private, b"m") == sign("ed25519", private, b"m")
    private, public = pair("sm2")
    first, second = sign("sm2", private, b"m"), sign("sm2", private, b"m")
    assert first != second  # a fresh nonce per signature
    assert verify("sm2", public, b"m", first) and verify("sm2", public, b"m", second)


def test_verify_is_false_for_another_message(alg: str) -> None:
    private, public = pair(alg)
    signature = sign(alg, private, b"approve")
    assert verify(alg, public, b"reject", signature) is False
    assert verify(alg, public, b"approve ", signature) is False
    assert verify(alg, public, b"", signature) is False


def test_verify_is_false_for_another_key(alg: str) -> None:
    private, _ = pair(alg)
    _, another = pair(alg, 1)
    assert verify(alg, another, b"m", sign(alg, private, b"m")) is False


def _garbled(signature: bytes) -> list[bytes]:
    flipped = bytearray(signature)
    flipped[-1] ^= 0x01
    first = bytearray(signature)
    first[0] ^= 0x80
    return [
        signature[:-1],  # truncated
        signature[: len(signature) // 2],
        signature + b"\x00",  # too long
        b"",
        bytes(flipped),
        bytes(first),
        b"\x00" * len(signature),  # for SM2: r = s = 0
        b"\xff" * len(signature),  # for SM2: r, s >= n
        signature[32:] + signature[:32],  # halves swapped
    ]


def test_verify_is_false_for_a_truncated_or_garbage_signature(alg: str) -> None:
    private, public = pair(alg)
    signature = sign(alg, private, b"m")
    for garbage in _garbled(signature):
        assert verify(alg, public, b"m", garbage) is False, garbage.hex()


def test_verify_is_false_for_a_malformed_public_key(alg: str) -> None:
    private, public = pair(alg)
    signature = sign(alg, private, b"m")
    for key in (b"", public[:-1], public + b"\x00", b"\x00" * len(public), b"\xff" * len(public)):
        assert verify(alg, key, b"m", signature) is False, key.hex()


@pytest.mark.parametrize("name", ["none", "", "rsa", "ED25519", "SM2", "ecdsa-p256", "sha256", "sm3"])
def test_verify_is_false_for_an_unknown_algorithm(alg: str, name: str) -> None:
    private, public = pair(alg)
    assert verify(name, public, b"m", sign(alg, private, b"m")) is False  # no exception


def test_verify_is_false_under_the_other_algorithm(alg: str) -> None:
    private, public = pair(alg)
    assert verify(other(alg), public, b"m", sign(alg, private, b"m")) is False


@pytest.mark.parametrize("name", ["none", "md5", "SHA256", "rsa"])
def test_unknown_algorithms_are_refused_by_name(name: str) -> None:
    with pytest.raises(UnknownAlgorithm, match="unknown"):
        digest(name, b"abc")
    with pytest.raises(UnknownAlgorithm):
        sign(name, _PRIVATE[0], b"abc")
    with pytest.raises(UnknownAlgorithm):
        generate_key(name)
    with pytest.raises(UnknownAlgorithm):
        public_key_of(name, _PRIVATE[0])
    with pytest.raises(UnknownAlgorithm):
        fingerprint(name, b"\x00" * 32)
    assert issubclass(UnknownAlgorithm, ValueError)


# --------------------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    ("name", "message", "expected"),
    [
        # GB/T 32905-2016 Appendix A.1 and A.2
        ("sm3", b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        ("sm3", b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
        # FIPS 180-2 Appendix B.1
        ("sha256", b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("sha256", b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ],
)
def test_digest_known_answers(name: str, message: bytes, expected: str) -> None:
    assert digest(name, message).hex() == expected


# RFC 8032 §7.1, TEST 1 (the empty message)
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_ed25519_rfc8032_test_1() -> None:
    assert public_key_of("ed25519", RFC8032_SECRET) == RFC8032_PUBLIC
    assert sign("ed25519", RFC8032_SECRET, b"") == RFC8032_SIGNATURE
    assert verify("ed25519", RFC8032_PUBLIC, b"", RFC8032_SIGNATURE) is True
    assert verify("ed25519", RFC8032_PUBLIC, b"\x00", RFC8032_SIGNATURE) is False
    assert verify("sm2", RFC8032_PUBLIC, b"", RFC8032_SIGNATURE) is False


# An SM2 signature made by another implementation (OpenSSL 3.0, `openssl pkeyutl -sign -rawin -digest sm3
# -pkeyopt distid:1234567812345678`) over b"abc": r ‖ s, the key's public point x ‖ y.
OPENSSL_SM2_PRIVATE = bytes.fromhex("982cf5236c968bc83af361b8aee08823ec43345311c7d7e8ff7cb017f621ee81")
OPENSSL_SM2_PUBLIC = bytes.fromhex(
    "f514cf1d434ae1024aac0cdefe7d384e48145e965433de43d36f35872d58d9783e6dc5e2b30c9ab1e0892f95f060d169489c0f76bd2330119305a6603410a3d3"
)
OPENSSL_SM2_SIGNATURE = bytes.fromhex(
    "699837849a76444201df438451f1016412c640e9554dd675c8e5108f5831b394a91e6027a55983f062749e5c0a044412d41f59ed728ee5a3dffb898e72f1555b"
)


def test_sm2_interoperates_with_openssl() -> None:
    assert public_key_of("sm2", OPENSSL_SM2_PRIVATE) == OPENSSL_SM2_PUBLIC
    assert verify("sm2", OPENSSL_SM2_PUBLIC, b"abc", OPENSSL_SM2_SIGNATURE) is True
    assert verify("sm2", OPENSSL_SM2_PUBLIC, b"abd", OPENSSL_SM2_SIGNATURE) is False
    assert verify("sm2", pair("sm2")[1], b"abc", OPENSSL_SM2_SIGNATURE) is False


# d = 11: its public key's x coordinate starts with the byte 0x04 (about 1 SM2 key in 256 does).
SM2_PRIVATE_04 = (11).to_bytes(32, "big")


def test_sm2_key_whose_public_key_starts_with_04_signs_verifiably() -> None:
    public = public_key_of("sm2", SM2_PRIVATE_04)
    assert public[0] == 0x04 and len(public) == 64
    assert verify("sm2", public, b"abc", sign("sm2", SM2_PRIVATE_04, b"abc"))


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_is_stable_and_names_its_digest(alg: str) -> None:
    _, public = pair(alg)
    name = DIGEST_OF[alg]
    value = fingerprint(alg, public)
    assert value == fingerprint(alg, public)
    prefix, _, hexpart = value.partition(":")
    assert prefix == name and value.startswith(f"{name}:")
    assert len(hexpart) == 32 and int(hexpart, 16) >= 0
    assert hexpart == hashlib.new(name, alg.encode() + b"\x00" + public).hexdigest()[:32]
    assert fingerprint(alg, pair(alg, 1)[1]) != value


def test_fingerprint_differs_between_algorithms_for_the_same_bytes() -> None:
    for data in (b"\x01" * 32, b"\x01" * 64, pair("ed25519")[1], pair("sm2")[1]):
        ed, sm = fingerprint("ed25519", data), fingerprint("sm2", data)
        assert ed.startswith("sha256:") and sm.startswith("sm3:")
        assert ed.partition(":")[2] != sm.partition(":")[2]


def test_b64_is_unpadded_urlsafe_and_round_trips() -> None:
    for data in (b"", b"\xfb\xff", b"\xfb\xff\xfe", bytes(range(256))):
        text = b64(data)
        assert "=" not in text and "+" not in text and "/" not in text
        assert unb64(text) == data


def test_person_key_of(alg: str) -> None:
    _, public = pair(alg)
    key = PersonKey.of(alg, public)
    assert key.alg == alg
    assert key.public_bytes() == public
    assert key.fingerprint == fingerprint(alg, public)
    assert PersonKey.model_validate_json(key.model_dump_json()) == key


# --------------------------------------------------------------------------- credentials

NOW = datetime(2025, 6, 1, 8, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def claims(**changes: Any) -> Claims:
    data: dict[str, Any] = {
        "sub": "u-zhang",
        "name": "张三",
        "roles": ["township_secretary"],
        "scope": ["330102", "西湖区"],
        "iat": T - 60,
        "exp": T + 900,
        "jti": "c-0001",
        "key": PersonKey.of("ed25519", pair("ed25519", 2)[1]).model_dump(),
    }
    data.update(changes)
    return Claims.model_validate(data)


def trusted(*entries: tuple[str, str, bytes]) -> TrustedKeys:
    return TrustedKeys(keys=[TrustedKey(kid=kid, alg=alg, public=b64(public)) for kid, alg, public in entries], fetched_at=NOW)


def issue(alg: str, n: int = 0, kid: str = "k1", **changes: Any) -> str:
    return encode_credential(claims(**changes), kid, alg, pair(alg, n)[0])


def keys_for(alg: str, n: int = 0, kid: str = "k1") -> TrustedKeys:
    return trusted((kid, alg, pair(alg, n)[1]))


def _part(data: object) -> str:
    return b64(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())


def forge(header: object, body: object, alg: str, private: bytes) -> str:
    """A token with any header and claims, validly signed over them by ``private``."""
    head, claims_part = _part(header), _part(body)
    return f"{head}.{claims_part}.{b64(sign(alg, private, f'{head}.{claims_part}'.encode()))}"


def header(alg: str, kid: str = "k1") -> dict[str, str]:
    return {"typ": TYP, "alg": alg, "kid": kid}


def refused(token: str | None, keys: TrustedKeys, kind: type[CredentialError] = CredentialError, now: datetime = NOW) -> str:
    """``verify_credential`` raises exactly ``kind``, with its code and a message revealing no private key."""
    with pytest.raises(CredentialError) as info:
        verify_credential(token, keys, now)
    error = info.value
    assert type(error) is kind
    assert error.code == kind.code
    message = str(error)
    assert message.strip() and message == error.message
    for private in (*_PRIVATE, OPENSSL_SM2_PRIVATE):
        assert private.hex() not in message.lower()
        assert b64(private) not in message
        assert base64.b64encode(private).decode() not in message
    return message


def test_error_codes_are_distinct_and_stable() -> None:
    assert CredentialError.code == "invalid_credential"
    assert CredentialMissing.code == "credential_missing"
    assert CredentialExpired.code == "credential_expired"
    assert UnknownKey.code == "unknown_key"
    for kind in (CredentialMissing, CredentialExpired, UnknownKey):
        assert issubclass(kind, CredentialError)


def test_credential_round_trip(alg: str) -> None:
    token = issue(alg)
    assert token.count(".") == 2
    verified = verify_credential(token, keys_for(alg), NOW)
    assert verified == claims()
    actor = verified.actor()
    assert (actor.id, actor.name, actor.roles, actor.scope) == ("u-zhang", "张三", [Role.TOWNSHIP_SECRETARY], ["330102", "西湖区"])
    assert verified.key is not None and verified.key.fingerprint == fingerprint("ed25519", pair("ed25519", 2)[1])
    head = json.loads(unb64(token.split(".")[0]))
    assert head == {"typ": TYP, "alg": alg, "kid": "k1"}


def test_credential_without_a_person_key_verifies(alg: str) -> None:
    assert verify_credential(issue(alg, key=None), keys_for(alg), NOW).key is None


@pytest.mark.parametrize("token", [None, ""])
def test_no_credential(alg: str, token: str | None) -> None:
    assert "no credential" in refused(token, keys_for(alg), CredentialMissing)


def _malformed(alg: str) -> dict[str, str]:
    head, body, signature = issue(alg).split(".")
    return {
        "one part": head,
        "two parts": f"{head}.{body}",
        "four parts": f"{head}.{body}.{signature}.{signature}",
        "bad base64 header": f"a.{body}.{signature}",
        "bad base64 claims": f"{head}.a.{signature}",
        "non-ascii header": f"é{head}.{body}.{signature}",
        "header not JSON": f"{b64(b'not json')}.{body}.{signature}",
        "claims not JSON": f"{head}.{b64(b'{claims')}.{signature}",
        "header not UTF-8": f"{b64(bytes([0xFF, 0xFE, 0x7B]))}.{body}.{signature}",
        "empty header": f".{body}.{signature}",
        "header a list": f"{_part([TYP, alg, 'k1'])}.{body}.{signature}",
        "claims a list": f"{head}.{_part(['u-zhang'])}.{signature}",
        "wrong typ": f"{_part({'typ': 'JWT', 'alg': alg, 'kid': 'k1'})}.{body}.{signature}",
        "no typ": f"{_part({'alg': alg, 'kid': 'k1'})}.{body}.{signature}",
        "dots only": "..",
    }


@pytest.mark.parametrize(
    "case",
    [
        "one part",
        "two parts",
        "four parts",
        "bad base64 header",
        "bad base64 claims",
        "non-ascii header",
        "header not JSON",
        "claims not JSON",
        "header not UTF-8",
        "empty header",
        "header a list",
        "claims a list",
        "wrong typ",
        "no typ",
        "dots only",
    ],
)
def test_malformed_credential(alg: str, case: str) -> None:
    token = _malformed(alg)[case]
    refused(token, keys_for(alg))
    with pytest.raises(CredentialError) as info:
        decode_unverified(token)
    assert type(info.value) is CredentialError and info.value.message


def test_wrong_typ_even_when_validly_signed(alg: str) -> None:
    token = forge({"typ": "JWT", "alg": alg, "kid": "k1"}, claims().model_dump(mode="json"), alg, pair(alg)[0])
    assert "not a pdca credential" in refused(token, keys_for(alg))


def test_unknown_kid(alg: str) -> None:
    message = refused(issue(alg, kid="k-retired"), keys_for(alg), UnknownKey)
    assert "k-retired" in message
    refused(issue(alg), TrustedKeys(), UnknownKey)  # no key fetched yet


def test_missing_kid_is_an_unknown_key(alg: str) -> None:
    body = claims().model_dump(mode="json")
    token = forge({"typ": TYP, "alg": alg}, body, alg, pair(alg)[0])
    refused(token, keys_for(alg), UnknownKey)


def test_kid_known_under_another_algorithm(alg: str) -> None:
    # the authority's "k1" is an ``alg`` key; a token says "k1" but is made with the other algorithm
    token = issue(other(alg))
    message = refused(token, keys_for(alg))
    assert alg in message and other(alg) in message
    # even when the bytes of the trusted key are the other algorithm's public key of the same private
    refused(token, trusted(("k1", alg, pair(other(alg))[1])))


@pytest.mark.parametrize(
    "change",
    [
        {"roles": ["supervisor"]},
        {"roles": ["township_secretary", "admin"]},
        {"scope": ["*"]},
        {"sub": "u-li"},
        {"name": "李四"},
        {"exp": T + 365 * 86400},
        {"iat": T - 10},
        {"jti": "c-0002"},
        {"key": None},
    ],
)
def test_claims_altered_after_signing(alg: str, change: dict[str, Any]) -> None:
    head, _, signature = issue(alg).split(".")
    altered = claims().model_dump(mode="json") | change
    token = f"{head}.{_part(altered)}.{signature}"
    assert decode_unverified(token).model_dump(mode="json") == altered  # well-formed: only the signature tells
    assert "does not verify" in refused(token, keys_for(alg))


def test_claims_re_encoded_differently_after_signing(alg: str) -> None:
    # the same claims, serialized another way (spaces, key order): not the bytes that were signed
    head, _, signature = issue(alg).split(".")
    body = json.dumps(claims().model_dump(mode="json"), ensure_ascii=True).encode()
    refused(f"{head}.{b64(body)}.{signature}", keys_for(alg))


def test_header_altered_after_signing(alg: str) -> None:
    # rotation: both "k1" and "k2" trusted; a token of k1 relabelled k2 does not verify with k2's key
    _, body, signature = issue(alg, kid="k1").split(".")
    keys = trusted(("k1", alg, pair(alg, 0)[1]), ("k2", alg, pair(alg, 1)[1]))
    refused(f"{_part(header(alg, 'k2'))}.{body}.{signature}", keys)


def test_signature_by_another_key_with_the_same_kid(alg: str) -> None:
    refused(issue(alg, n=1), keys_for(alg, n=0))


def test_signature_part_garbled(alg: str) -> None:
    head, body, signature = issue(alg).split(".")
    raw = unb64(signature)
    refused(f"{head}.{body}.", keys_for(alg))
    refused(f"{head}.{body}.é", keys_for(alg))
    for garbage in _garbled(raw):
        refused(f"{head}.{body}.{b64(garbage)}", keys_for(alg))


def test_signature_of_another_credential(alg: str) -> None:
    *_, signature = issue(alg, jti="c-other").split(".")
    head, body, _ = issue(alg).split(".")
    refused(f"{head}.{body}.{signature}", keys_for(alg))


@pytest.mark.parametrize("offset", [0, -1, -86400])
def test_expired(alg: str, offset: int) -> None:
    message = refused(issue(alg, exp=T + offset), keys_for(alg), CredentialExpired)
    assert "u-zhang" in message and "expired" in message


def test_valid_until_its_last_second(alg: str) -> None:
    token = issue(alg, exp=T + 1)
    assert verify_credential(token, keys_for(alg), NOW).exp == T + 1
    refused(token, keys_for(alg), CredentialExpired, now=datetime.fromtimestamp(T + 1, tz=UTC))


def test_issued_in_the_future(alg: str) -> None:
    keys = keys_for(alg)
    assert verify_credential(issue(alg, iat=T + CLOCK_SKEW), keys, NOW).iat == T + CLOCK_SKEW  # within the skew
    message = refused(issue(alg, iat=T + CLOCK_SKEW + 1), keys)
    assert "future" in message
    refused(issue(alg, iat=T + 86400, exp=T + 2 * 86400), keys)


def test_expiry_is_checked_before_the_future(alg: str) -> None:
    refused(issue(alg, iat=T + CLOCK_SKEW + 10, exp=T - 1), keys_for(alg), CredentialExpired)


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "system"},
        {"roles": ["system"]},
        {"roles": ["supervisor", "system"]},
        {"sub": "system", "roles": ["admin"]},
    ],
)
def test_no_one_may_act_as_the_system(alg: str, change: dict[str, Any]) -> None:
    assert "system" in refused(issue(alg, **change), keys_for(alg))


@pytest.mark.parametrize("name", ["none", "None", "", "HS256", "ED25519", "Sm2", "rsa", None, 1, ["ed25519"]])
def test_unknown_or_none_algorithm_in_the_header(alg: str, name: object) -> None:
    body = _part(claims().model_dump(mode="json"))
    head = _part({"typ": TYP, "alg": name, "kid": "k1"})
    refused(f"{head}.{body}.", keys_for(alg))  # an unsigned token
    # and one signed by the trusted key itself, under another algorithm name
    signature = b64(sign(alg, pair(alg)[0], f"{head}.{body}".encode()))
    assert "unknown algorithm" in refused(f"{head}.{body}.{signature}", keys_for(alg))


def test_missing_alg(alg: str) -> None:
    token = forge({"typ": TYP, "kid": "k1"}, claims().model_dump(mode="json"), alg, pair(alg)[0])
    refused(token, keys_for(alg))


@pytest.mark.parametrize(
    "body",
    [
        {"sub": "u-zhang", "roles": ["supervisor"], "iat": T, "exp": T + 60},  # no jti
        {"sub": "", "roles": ["supervisor"], "iat": T, "exp": T + 60, "jti": "c"},
        {"sub": "u-zhang", "roles": [], "iat": T, "exp": T + 60, "jti": "c"},
        {"sub": "u-zhang", "roles": ["emperor"], "iat": T, "exp": T + 60, "jti": "c"},
        {"sub": "u-zhang", "roles": ["supervisor"], "iat": "soon", "exp": T + 60, "jti": "c"},
    ],
)
def test_signed_but_malformed_claims(alg: str, body: dict[str, Any]) -> None:
    token = forge(header(alg), body, alg, pair(alg)[0])
    assert "claims" in refused(token, keys_for(alg))
    with pytest.raises(CredentialError):
        decode_unverified(token)


def test_key_rotation(alg: str) -> None:
    old, new = issue(alg, n=0, kid="k-2024"), issue(alg, n=1, kid="k-2025")
    both = trusted(("k-2024", alg, pair(alg, 0)[1]), ("k-2025", alg, pair(alg, 1)[1]))
    assert verify_credential(old, both, NOW) == verify_credential(new, both, NOW) == claims()
    retired = TrustedKeys(keys=[k for k in both.keys if k.kid != "k-2024"], fetched_at=NOW)
    assert retired.get("k-2024") is None and retired.get("k-2025") is not None
    assert "k-2024" in refused(old, retired, UnknownKey)
    assert verify_credential(new, retired, NOW) == claims()


def test_key_rotation_across_algorithms() -> None:
    # a deployment moving from Ed25519 to SM2 trusts one key of each for a while
    keys = trusted(("k-ed", "ed25519", pair("ed25519")[1]), ("k-sm", "sm2", pair("sm2")[1]))
    assert verify_credential(issue("ed25519", kid="k-ed"), keys, NOW) == claims()
    assert verify_credential(issue("sm2", kid="k-sm"), keys, NOW) == claims()
    refused(issue("sm2", kid="k-ed"), keys)


def test_decode_unverified_checks_nothing(alg: str) -> None:
    head, body, _ = issue(alg, exp=T - 3600, roles=["system"]).split(".")
    for token in (f"{head}.{body}.", f"{head}.{body}.{b64(b'garbage')}", issue(alg, n=1, kid="unknown")):
        decoded = decode_unverified(token)
        assert decoded.sub == "u-zhang"
    assert decode_unverified(f"{head}.{body}.").roles == [Role.SYSTEM]
    assert decode_unverified(issue(alg)) == claims()


@pytest.mark.parametrize("token", ["", "x", "a.b", "a.b.c", "..", "a.b.c.d"])
def test_decode_unverified_refuses_malformed(token: str) -> None:
    with pytest.raises(CredentialError) as info:
        decode_unverified(token)
    assert type(info.value) is CredentialError and info.value.code == "invalid_credential" and info.value.message


# --------------------------------------------------------------------------- personal signatures

STREAM = "rectification-330102-2025-001"
REQUEST = "req-7f3a"
COMMAND: dict[str, Any] = {
    "type": "judge_acceptance",
    "actor": {"id": "u-zhang", "roles": ["supervisor"]},
    "verdict": "rejected",
    "comment": "整改不到位：台账缺少照片",
    "items": [{"name": "台账", "ok": False}, {"name": "公示", "ok": True}],
    "score": 3.5,
    "due": None,
}
WHO = "张三"


def person(alg: str, n: int = 0) -> tuple[PersonKey, bytes]:
    private, public = pair(alg, n)
    return PersonKey.of(alg, public), private


def document(**command_changes: Any) -> dict[str, Any]:
    return signed_document(STREAM, REQUEST, COMMAND | command_changes)


def rejected(
    signature: PersonalSignature | None,
    doc: dict[str, Any],
    key: PersonKey | None,
    kind: type[SignatureError] = SignatureError,
) -> str:
    with pytest.raises(SignatureError) as info:
        verify_command_signature(signature, doc, key, WHO)
    error = info.value
    assert type(error) is kind and error.code == kind.code
    assert error.message.strip() and str(error) == error.message
    for private in _PRIVATE:
        assert private.hex() not in error.message and b64(private) not in error.message
    return error.message


def test_signature_error_codes() -> None:
    assert SignatureError.code == "invalid_signature"
    assert SignatureRequired.code == "signature_required"
    assert issubclass(SignatureRequired, SignatureError)


def test_signed_document_drops_the_actor() -> None:
    doc = document()
    assert doc == {"stream": STREAM, "request": REQUEST, "command": {k: v for k, v in COMMAND.items() if k != "actor"}}
    assert "actor" not in doc["command"] and "actor" in COMMAND  # the command itself is left alone
    assert signed_document(STREAM, REQUEST, COMMAND | {"actor": {"id": "u-li"}}) == doc


def test_canonical_form() -> None:
    one = {"b": 1, "a": {"d": [2, "整改"], "c": "落实"}, "中": None}
    two = {"中": None, "a": {"c": "落实", "d": [2, "整改"]}, "b": 1}
    assert canonical(one) == canonical(two)
    assert canonical(one) == '{"a":{"c":"落实","d":[2,"整改"]},"b":1,"中":null}'.encode()
    assert b"\\u" not in canonical(one)  # ensure_ascii=False: the text itself, in UTF-8


def test_sign_verify_round_trip_of_a_command(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    assert signature.alg == alg and signature.digest_alg == DIGEST_OF[alg]
    assert signature.key == key.fingerprint
    assert signature.digest == digest(DIGEST_OF[alg], canonical(document())).hex()
    assert signature.credential == "" and signature.document is None
    verify_command_signature(signature, document(), key, WHO)
    # the document in another key order, with another actor, after a trip through JSON (the audit log)
    reordered = dict(reversed(list(signed_document(STREAM, REQUEST, COMMAND | {"actor": {"id": "u-wang"}}).items())))
    verify_command_signature(signature, reordered, key, WHO)
    stored = PersonalSignature.model_validate_json(
        signature.model_copy(update={"credential": "c-0001", "document": document()}).model_dump_json()
    )
    assert stored.document is not None
    verify_command_signature(stored, json.loads(canonical(stored.document)), key, WHO)


def test_sign_with_the_other_digest(alg: str) -> None:
    key, private = person(alg)
    name = next(d for d in DIGESTS if d != DIGEST_OF[alg])
    signature = sign_command(document(), key, private, digest_alg=name)
    assert signature.digest_alg == name
    verify_command_signature(signature, document(), key, WHO)


def test_no_signature(alg: str) -> None:
    key, _ = person(alg)
    assert WHO in rejected(None, document(), key, SignatureRequired)


def test_no_key(alg: str) -> None:
    key, private = person(alg)
    assert WHO in rejected(sign_command(document(), key, private), document(), None, SignatureRequired)


def test_signature_by_another_key(alg: str) -> None:
    key, _ = person(alg)
    another, private = person(alg, 1)
    message = rejected(sign_command(document(), another, private), document(), key)
    assert key.fingerprint in message and another.fingerprint in message


def test_signature_by_another_key_claiming_the_registered_fingerprint(alg: str) -> None:
    key, _ = person(alg)
    _, private = person(alg, 1)
    assert "does not verify" in rejected(sign_command(document(), key, private), document(), key)


def test_signature_of_the_same_private_key_under_the_other_algorithm(alg: str) -> None:
    key, _ = person(alg)
    forged, private = person(other(alg))
    rejected(sign_command(document(), forged, private), document(), key)


@pytest.mark.parametrize(
    "changed",
    [
        lambda: document(comment="整改到位"),
        lambda: document(comment="整改不到位：台账缺少照片 "),
        lambda: document(verdict="accepted"),
        lambda: document(score=3.6),
        lambda: document(items=[{"name": "台账", "ok": True}, {"name": "公示", "ok": True}]),
        lambda: document(extra=None),
        lambda: {k: v for k, v in document().items()} | {"command": {k: v for k, v in document()["command"].items() if k != "due"}},
        lambda: signed_document("rectification-330102-2025-002", REQUEST, COMMAND),
        lambda: signed_document(STREAM, "req-7f3b", COMMAND),
        lambda: document() | {"extra": 1},
    ],
    ids=["comment", "comment-space", "verdict", "score", "nested", "added", "removed", "stream", "request", "outer"],
)
def test_document_changed(alg: str, changed: Any) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    assert "digest does not match" in rejected(signature, changed(), key)


def test_digest_field_altered(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    other_doc = document(verdict="accepted")
    # the digest of another document: it matches that document, but the value signs the original digest
    moved = signature.model_copy(update={"digest": digest(signature.digest_alg, canonical(other_doc)).hex()})
    assert "does not verify" in rejected(moved, other_doc, key)
    for text in ("", "00" * 32, signature.digest.upper(), signature.digest[:-2], signature.digest + "00"):
        rejected(signature.model_copy(update={"digest": text}), document(), key)


@pytest.mark.parametrize("name", ["md5", "SHA256", "", "none"])
def test_digest_alg_unknown(alg: str, name: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    assert "unknown digest" in rejected(signature.model_copy(update={"digest_alg": name}), document(), key)


def test_digest_alg_swapped(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    swapped = next(d for d in DIGESTS if d != signature.digest_alg)
    rejected(signature.model_copy(update={"digest_alg": swapped}), document(), key)
    # with a consistent digest of the other algorithm: the value still signs the original digest
    consistent = signature.model_copy(update={"digest_alg": swapped, "digest": digest(swapped, canonical(document())).hex()})
    rejected(consistent, document(), key)


def test_value_altered(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    raw = unb64(signature.value)
    for garbage in _garbled(raw):
        rejected(signature.model_copy(update={"value": b64(garbage)}), document(), key)
    assert "malformed" in rejected(signature.model_copy(update={"value": "é"}), document(), key)
    rejected(signature.model_copy(update={"value": "a"}), document(), key)
    # a valid signature of the same key over another digest
    another = sign_command(document(verdict="accepted"), key, private)
    rejected(signature.model_copy(update={"value": another.value}), document(), key)


def test_alg_mismatch(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    assert key.fingerprint in rejected(signature.model_copy(update={"alg": other(alg)}), document(), key)
    rejected(signature.model_copy(update={"alg": "none"}), document(), key)
    # a registered key record claiming the other algorithm
    rejected(signature, document(), key.model_copy(update={"alg": other(alg)}))


def test_fingerprint_field_altered(alg: str) -> None:
    key, private = person(alg)
    signature = sign_command(document(), key, private)
    rejected(signature.model_copy(update={"key": fingerprint(alg, pair(alg, 1)[1])}), document(), key)
    rejected(signature.model_copy(update={"key": ""}), document(), key)


# --------------------------------------------------------------------------- properties

_CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=6)
_TEXT = st.one_of(st.text(alphabet=st.characters(codec="utf-8"), max_size=8), _CHINESE)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=8)
_COMMANDS = st.dictionaries(_TEXT, _JSON, max_size=5).map(lambda command: command | {"comment": "整改意见", "actor": {"id": "u-zhang"}})


def _mutate(data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with one field changed (its canonical form always differs)."""
    body: dict[str, Any] = dict(doc["command"])
    field = data.draw(st.sampled_from(["stream", "request", "value", "remove", "add"]), label="change")
    if field in ("stream", "request"):
        value = data.draw(_TEXT.filter(lambda text: text != doc[field]), label=field)
        return doc | {field: value}
    if field == "add":
        name = data.draw(_TEXT.filter(lambda text: text not in body), label="new key")
        return doc | {"command": body | {name: data.draw(_JSON, label="new value")}}
    name = data.draw(st.sampled_from(sorted(body)), label="key")
    if field == "remove":
        del body[name]
        return doc | {"command": body}
    old = canonical(body[name])
    replacement = data.draw(_JSON.filter(lambda new: canonical(new) != old), label="new value")
    return doc | {"command": body | {name: replacement}}


def _property(alg: str, stream: str, request: str, command: dict[str, Any], data: st.DataObject) -> None:
    key, private = person(alg)
    doc = signed_document(stream, request, command)
    signature = sign_command(doc, key, private)
    verify_command_signature(signature, doc, key, WHO)
    verify_command_signature(signature, json.loads(canonical(doc)), key, WHO)  # as the audit log keeps it
    changed = _mutate(data, doc)
    assert canonical(changed) != canonical(doc)
    with pytest.raises(SignatureError) as info:
        verify_command_signature(signature, changed, key, WHO)
    assert type(info.value) is SignatureError and info.value.code == "invalid_signature"


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(stream=_TEXT, request=_TEXT, command=_COMMANDS, data=st.data())
def test_property_ed25519_signed_commands(stream: str, request: str, command: dict[str, Any], data: st.DataObject) -> None:
    _property("ed25519", stream, request, command, data)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(stream=_TEXT, request=_TEXT, command=_COMMANDS, data=st.data())
def test_property_sm2_signed_commands(stream: str, request: str, command: dict[str, Any], data: st.DataObject) -> None:
    _property("sm2", stream, request, command, data)


def test_only_the_canonical_spelling_of_a_credential_verifies(alg: str) -> None:
    """A lenient base64 decoder ignores the last character's unused bits: "…A" and "…B" could both
    decode to the same signature. Every part must be the one canonical base64url spelling."""
    token = issue(alg)
    head, body, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for part, rebuild in ((signature, lambda s: f"{head}.{body}.{s}"), (body, lambda s: f"{head}.{s}.{signature}")):
        variants = [part[:-1] + c for c in alphabet if c != part[-1]]
        for variant in variants:
            with pytest.raises(CredentialError):
                verify_credential(rebuild(variant), keys_for(alg), NOW)
