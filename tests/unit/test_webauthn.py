"""Passkeys (WebAuthn) as personal signing keys: a passkey's assertion over a command's digest verifies
through the same ``verify_command_signature`` as a CLI key's signature (in the workflow and offline),
every tampering is refused; the directory keeps passkeys beside the CLI key; the server's registration
check refuses a replayed or foreign challenge and another origin; the credential names the passkey.

The authenticator is tests/webauthn.py's software one, producing WebAuthn's real formats."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from domain.actors import Role
from domain.decider import Proof
from domain.errors import InvalidCommand
from domain.identity import PersonalSignature, PersonKey, TrustedKey, TrustedKeys, generate_key, sign_command, verify_credential
from domain.identity import webauthn as wa
from domain.identity.algorithms import b64, fingerprint, unb64
from domain.identity.credentials import Claims, encode_credential
from domain.identity.signatures import SignatureError, SignatureRequired, canonical, signed_document, verify_command_signature
from domain.people import EVENT_ADAPTER, DirectoryOpened, KeyRegistered, PersonAdded, PersonInput, RegisterKey, decide
from service import passkeys, signin
from service.bootstrap import Deps, bootstrap
from service.errors import Refused
from service.identity import caller_of
from settings import get_settings
from store.eventlog import AuditLog, NewEvent
from store.keys import KeyStore
from tests.unit.test_people_decider import CTX, ROOT, SUP, apply, run, staffed
from tests.webauthn import ORIGIN, RP_ID, SoftAuthenticator, cbor
from worker import open_audit_log

STREAM = "rect-330102-2026-001"
REQUEST = "req-9c1e"
COMMAND = {"type": "RecordAcceptance", "verdict": "passed", "comment": "整改到位，台账齐全", "actor": {"id": "sup1"}}
WHO = "督导员甲"
ALGS = [wa.ES256, wa.ED25519]


def document(**changes: Any) -> dict[str, Any]:
    return signed_document(STREAM, REQUEST, COMMAND | changes)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def digest_of(doc: dict[str, Any]) -> bytes:
    return sha256(canonical(doc))


def assertion_signature(key: PersonKey, challenge: bytes, asserted: dict[str, Any], **changes: Any) -> PersonalSignature:
    """A passkey's ``PersonalSignature`` as the page would send it (not checked here)."""
    data = {
        "alg": key.alg,
        "digest_alg": "sha256",
        "digest": challenge.hex(),
        "value": asserted["signature"],
        "key": key.fingerprint,
        "authenticator_data": asserted["authenticator_data"],
        "client_data": asserted["client_data"],
    }
    return PersonalSignature.model_validate(data | changes)


def refused(
    signature: PersonalSignature | None, doc: dict[str, Any], key: PersonKey | None, kind: type[SignatureError] = SignatureError
) -> str:
    with pytest.raises(SignatureError) as info:
        verify_command_signature(signature, doc, key, WHO)
    assert type(info.value) is kind and info.value.code == kind.code
    return info.value.message


@pytest.fixture(params=ALGS)
def authenticator(request: pytest.FixtureRequest) -> SoftAuthenticator:
    return SoftAuthenticator(alg=request.param)


# --------------------------------------------------------------------------- keys and their JSON


def test_passkey_algorithms_are_key_algorithms_only() -> None:
    assert wa.KEY_ALGORITHMS == ("ed25519", "sm2", "webauthn-es256", "webauthn-ed25519")
    assert wa.COSE_ALGORITHMS == {-7: wa.ES256, -8: wa.ED25519}
    with pytest.raises(ValueError, match="signs in its authenticator"):
        sign_command(document(), SoftAuthenticator().key, b"\x01" * 32)


def test_passkey_fingerprint(authenticator: SoftAuthenticator) -> None:
    key = authenticator.key
    expected = "sha256:" + hashlib.sha256(authenticator.alg.encode() + b"\x00" + authenticator.public).hexdigest()[:32]
    assert key.fingerprint == wa.key_fingerprint(authenticator.alg, authenticator.public) == expected
    assert key.is_passkey and key.credential_id == b64(authenticator.credential_id) and key.rp_id == RP_ID
    assert len(key.public_bytes()) == wa.PUBLIC_KEY_BYTES[authenticator.alg]
    if authenticator.alg == wa.ED25519:  # the same bytes as a CLI key are another key
        assert fingerprint("ed25519", authenticator.public) != key.fingerprint


def test_json_of_keys_and_signatures_recorded_before_passkeys_is_unchanged() -> None:
    private, public = generate_key("ed25519")
    key = PersonKey.of("ed25519", public)
    assert set(json.loads(key.model_dump_json())) == {"alg", "public", "fingerprint"}
    assert set(key.model_dump()) == {"alg", "public", "fingerprint"}
    assert not key.is_passkey and key.credential_id is None and key.rp_id is None
    signature = sign_command(document(), key, private)
    assert set(json.loads(signature.model_dump_json())) == {"alg", "digest_alg", "digest", "value", "key", "credential", "document"}
    # a passkey and its signature keep their WebAuthn fields through JSON
    passkey = SoftAuthenticator().key
    assert PersonKey.model_validate_json(passkey.model_dump_json()) == passkey
    assert json.loads(passkey.model_dump_json())["rp_id"] == RP_ID


def test_the_credential_names_a_passkey_with_its_credential_id_and_site(authenticator: SoftAuthenticator) -> None:
    private, public = generate_key("ed25519")
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    iat = int(now.timestamp())
    claims = Claims(sub="sup1", roles=[Role.SUPERVISOR], iat=iat, exp=iat + 600, jti="c1", key=authenticator.key)
    token = encode_credential(claims, "k1", "ed25519", private)
    verified = verify_credential(token, TrustedKeys(keys=[TrustedKey(kid="k1", alg="ed25519", public=b64(public))], fetched_at=now), now)
    assert verified.key == authenticator.key
    # what the workflow does: the signature checked with the key the credential names
    doc = document()
    signature = assertion_signature(verified.key, digest_of(doc), authenticator.get(digest_of(doc)))
    verify_command_signature(signature, doc, verified.key, verified.sub)


# --------------------------------------------------------------------------- the signature


def test_passkey_signature_verifies(authenticator: SoftAuthenticator) -> None:
    key, doc = authenticator.key, document()
    challenge = digest_of(doc)
    asserted = authenticator.get(challenge)
    signature = passkeys.signature_from_assertion(
        key, challenge.hex(), asserted["authenticator_data"], asserted["client_data"], asserted["signature"], ORIGIN
    )
    assert (signature.alg, signature.digest_alg, signature.key) == (key.alg, "sha256", key.fingerprint)
    verify_command_signature(signature, doc, key, WHO)
    # as the audit event keeps it, after a trip through JSON, the document in another key order
    stored = PersonalSignature.model_validate_json(signature.model_copy(update={"credential": "c1", "document": doc}).model_dump_json())
    assert stored.authenticator_data == signature.authenticator_data and stored.document is not None
    verify_command_signature(stored, dict(reversed(list(stored.document.items()))), key, WHO)
    # the document without the actor it was sent with is the same document
    verify_command_signature(signature, signed_document(STREAM, REQUEST, COMMAND | {"actor": {"id": "u-wang"}}), key, WHO)
    # a passkey registered without a site: its rp id hash is not checked
    verify_command_signature(signature, doc, key.model_copy(update={"rp_id": None}), WHO)
    # without user verification (userVerification "preferred"): only presence is required
    verify_command_signature(assertion_signature(key, challenge, authenticator.get(challenge, flags=wa.UP)), doc, key, WHO)


def _non_canonical_der(signature: bytes) -> bytes:
    """The same (r, s) with a superfluous leading zero byte in each integer (not DER's one spelling)."""
    integers = [n.to_bytes(n.bit_length() // 8 + 1, "big") for n in decode_dss_signature(signature)]
    body = b"".join(b"\x02" + bytes([len(x) + 1]) + b"\x00" + x for x in integers)
    return b"\x30" + bytes([len(body)]) + body


Tamper = Callable[[SoftAuthenticator, PersonKey, bytes], tuple[PersonalSignature, dict[str, Any], str]]


def _other_command(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d)), document(verdict="failed"), "digest does not match"


def _other_command_signed_consistently(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    other = document(verdict="failed")
    return assertion_signature(key, digest_of(other), a.get(d)), other, "another challenge"


def _wrong_challenge(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d, signed_challenge=sha256(b"another"))), document(), "another challenge"


def _wrong_type(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d, type="webauthn.create")), document(), "not an assertion"


def _wrong_rp_id(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d, rp_id="evil.example")), document(), "another site"


def _no_user_presence(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d, flags=wa.UV)), document(), "presence"


def _wrong_key(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    thief = SoftAuthenticator(alg=a.alg, credential_id=a.credential_id)
    return assertion_signature(key, d, thief.get(d)), document(), "does not verify"


def _another_passkeys_fingerprint(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    thief = SoftAuthenticator(alg=a.alg)
    return assertion_signature(thief.key, d, thief.get(d)), document(), "not by"


def _bad_der(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    asserted = a.get(d)
    raw = unb64(asserted["signature"])
    garbled = raw[:-1] + bytes([raw[-1] ^ 1])
    return assertion_signature(key, d, asserted, value=b64(garbled)), document(), "does not verify"


def _signature_with_trailing_byte(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    asserted = a.get(d)
    return assertion_signature(key, d, asserted, value=b64(unb64(asserted["signature"]) + b"\x00")), document(), "does not verify"


def _garbage_signature(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), value=b64(b"\x30\x02\x01")), document(), "does not verify"


def _signature_not_base64(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), value="é"), document(), "malformed"


def _authenticator_data_altered(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    asserted = a.get(d)
    data = bytearray(unb64(asserted["authenticator_data"]))
    data[-1] ^= 0xFF  # the signature counter
    return assertion_signature(key, d, asserted, authenticator_data=b64(bytes(data))), document(), "does not verify"


def _client_data_altered(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    asserted = a.get(d)
    client = json.loads(unb64(asserted["client_data"])) | {"origin": "https://evil.example"}
    return assertion_signature(key, d, asserted, client_data=b64(json.dumps(client).encode())), document(), "does not verify"


def _client_data_not_json(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), client_data=b64(b"\xff{")), document(), "not JSON"


def _authenticator_data_short(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    asserted = a.get(d)
    short = b64(unb64(asserted["authenticator_data"])[:36])
    return assertion_signature(key, d, asserted, authenticator_data=short), document(), "fewer than 37"


def _no_authenticator_data(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), authenticator_data=None), document(), "carries its authenticator data"


def _no_client_data(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), client_data=None), document(), "carries its authenticator data"


def _alg_claimed_otherwise(a: SoftAuthenticator, key: PersonKey, d: bytes) -> tuple[PersonalSignature, dict[str, Any], str]:
    return assertion_signature(key, d, a.get(d), alg="ed25519"), document(), "not by"


TAMPERINGS: dict[str, Tamper] = {
    "other command": _other_command,
    "other command, consistent digest": _other_command_signed_consistently,
    "wrong challenge": _wrong_challenge,
    "wrong type": _wrong_type,
    "wrong rp id": _wrong_rp_id,
    "user presence missing": _no_user_presence,
    "wrong key": _wrong_key,
    "another passkey's fingerprint": _another_passkeys_fingerprint,
    "bad signature": _bad_der,
    "trailing byte": _signature_with_trailing_byte,
    "garbage DER": _garbage_signature,
    "not base64url": _signature_not_base64,
    "authenticator data altered": _authenticator_data_altered,
    "client data altered": _client_data_altered,
    "client data not JSON": _client_data_not_json,
    "authenticator data short": _authenticator_data_short,
    "no authenticator data": _no_authenticator_data,
    "no client data": _no_client_data,
    "alg claimed otherwise": _alg_claimed_otherwise,
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_tampered_passkey_signature_is_refused(authenticator: SoftAuthenticator, case: str) -> None:
    key = authenticator.key
    signature, doc, words = TAMPERINGS[case](authenticator, key, digest_of(document()))
    assert words in refused(signature, doc, key)


def test_es256_signature_in_non_canonical_der_is_refused() -> None:
    authenticator = SoftAuthenticator(alg=wa.ES256)
    key, d = authenticator.key, digest_of(document())
    asserted = authenticator.get(d)
    good = assertion_signature(key, d, asserted)
    verify_command_signature(good, document(), key, WHO)
    padded = _non_canonical_der(unb64(asserted["signature"]))
    assert padded != unb64(asserted["signature"])
    assert "does not verify" in refused(good.model_copy(update={"value": b64(padded)}), document(), key)
    # r ‖ s (the raw form) is not WebAuthn's DER either
    r, s = decode_dss_signature(unb64(asserted["signature"]))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert "does not verify" in refused(good.model_copy(update={"value": b64(raw)}), document(), key)


def test_a_cli_signature_may_not_carry_passkey_data() -> None:
    private, public = generate_key("ed25519")
    key = PersonKey.of("ed25519", public)
    signature = sign_command(document(), key, private)
    verify_command_signature(signature, document(), key, WHO)
    message = refused(signature.model_copy(update={"client_data": b64(b"{}")}), document(), key)
    assert "not a passkey" in message


def test_no_signature_or_no_key_names_both_ways_to_get_one() -> None:
    assert WHO in refused(None, document(), SoftAuthenticator().key, SignatureRequired)
    passkey = SoftAuthenticator()
    message = refused(assertion_signature(passkey.key, b"\x00" * 32, passkey.get(b"\x00" * 32)), document(), None, SignatureRequired)
    assert "register a passkey in the web console (账户 → 注册通行密钥)" in message and "`pdca key new`" in message


def test_webauthn_verify_refuses_an_unknown_algorithm_and_a_bad_key() -> None:
    authenticator = SoftAuthenticator()
    message = b"m"
    value = authenticator.sign(message)
    assert wa.verify(wa.ES256, authenticator.public, message, value)
    assert not wa.verify("ed25519", authenticator.public, message, value)
    assert not wa.verify(wa.ES256, b"\x04" + b"\x01" * 64, message, value)
    assert wa.public_key_problem(wa.ES256, b"\x04" + b"\x01" * 64) is not None
    assert wa.public_key_problem(wa.ES256, authenticator.public) is None


# --------------------------------------------------------------------------- CBOR and authenticator data


def test_cbor_decodes_what_authenticators_write() -> None:
    value = {"fmt": "none", "attStmt": {}, "authData": b"\x01\x02", 1: -7, -2: [True, False, None, 300, -300, 2**40]}
    assert wa.cbor_decode(cbor(value)) == value
    assert wa.cbor_decode(bytes.fromhex("f93c00")) == 1.0  # a half float
    for bad in (b"", b"\x5f", b"\x9f\xff", b"\x62a", b"\x18", cbor(1) + b"\x00", b"\x81" * 40 + b"\x00"):
        with pytest.raises(wa.WebAuthnError):
            wa.cbor_decode(bad)


def test_registration_authenticator_data_parses(authenticator: SoftAuthenticator) -> None:
    created = authenticator.create(b64(b"c" * 32))
    data = wa.parse_authenticator_data(wa.attestation_authenticator_data(unb64(created["attestation_object"])))
    assert data.rp_id_hash == sha256(RP_ID.encode()) and data.user_present and data.user_verified
    assert data.credential_id == authenticator.credential_id and data.credential_key is not None
    assert wa.cose_public_key(data.credential_key) == (authenticator.alg, authenticator.public)
    assert wa.spki_public_key(unb64(created["public_key_spki"])) == (authenticator.alg, authenticator.public)
    with pytest.raises(wa.WebAuthnError):
        wa.parse_authenticator_data(wa.attestation_authenticator_data(unb64(created["attestation_object"]))[:60])
    with pytest.raises(wa.WebAuthnError):
        wa.spki_public_key(b"not der")


# --------------------------------------------------------------------------- the people directory


def test_the_directory_keeps_passkeys_beside_the_cli_key() -> None:
    phone, laptop = SoftAuthenticator(), SoftAuthenticator(alg=wa.ED25519)
    cli = PersonKey.of("ed25519", generate_key("ed25519")[1])
    state = apply(staffed(), RegisterKey(actor=SUP, person_id="sup", key=cli))
    state, events = run(state, RegisterKey(actor=SUP, person_id="sup", key=phone.key))
    assert [e.type for e in events] == ["KeyRegistered"]
    sup = state.people["sup"]
    assert sup.current_key == cli and sup.current_passkey == phone.key and sup.passkeys == [phone.key]
    state = apply(state, RegisterKey(actor=ROOT, person_id="sup", key=laptop.key))  # a second passkey: a laptop
    sup = state.people["sup"]
    assert sup.current_key == cli and sup.current_passkey == laptop.key and sup.passkeys == [phone.key, laptop.key]
    assert sup.passkey(b64(phone.credential_id)) == phone.key and sup.passkey("AAAA") is None
    # a new CLI key replaces the CLI key only
    cli2 = PersonKey.of("sm2", generate_key("sm2")[1])
    state = apply(state, RegisterKey(actor=SUP, person_id="sup", key=cli2))
    sup = state.people["sup"]
    assert sup.current_key == cli2 and sup.passkeys == [phone.key, laptop.key] and sup.current_passkey == laptop.key
    with pytest.raises(InvalidCommand, match="an earlier key of sup"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=cli), CTX)
    with pytest.raises(InvalidCommand, match=f"passkey {phone.key.fingerprint} is already registered to sup: nothing to change"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=phone.key), CTX)
    with pytest.raises(InvalidCommand, match="already registered to sup"):
        decide(state, RegisterKey(actor=ROOT, person_id="b1", key=phone.key), CTX)
    # another key under a credential id already registered
    clone = SoftAuthenticator(credential_id=phone.credential_id)
    with pytest.raises(InvalidCommand, match="credential id .* is already registered to sup"):
        decide(state, RegisterKey(actor=ROOT, person_id="b1", key=clone.key), CTX)
    # a passkey alone: no CLI key
    only = apply(staffed(), RegisterKey(actor=SUP, person_id="sup", key=phone.key)).people["sup"]
    assert only.current_key is None and only.current_passkey == phone.key
    # the events survive JSON: the audit log folds back to the same directory
    fresh = staffed()
    events = []
    for key in (cli, phone.key, laptop.key):
        fresh, new = run(fresh, RegisterKey(actor=SUP, person_id="sup", key=key))
        events.extend(new)
    again = [EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(e)) for e in events]
    assert [e.key for e in again if isinstance(e, KeyRegistered)] == [cli, phone.key, laptop.key]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"credential_id": None}, "names its WebAuthn credential id"),
        ({"credential_id": ""}, "names its WebAuthn credential id"),
        ({"credential_id": "é"}, "names its WebAuthn credential id"),
        ({"credential_id": b64(b"\x01" * 1024)}, "names its WebAuthn credential id"),
        ({"rp_id": " "}, "may not be blank"),
        ({"public": b64(b"\x04" + b"\x01" * 64)}, "does not match"),
        ({"public": "AAAA"}, "has 65 bytes"),
    ],
)
def test_the_directory_checks_a_passkey(change: dict[str, Any], words: str) -> None:
    key = SoftAuthenticator().key.model_copy(update=change)
    with pytest.raises(InvalidCommand, match=words):
        decide(staffed(), RegisterKey(actor=SUP, person_id="sup", key=key), CTX)


def test_the_directory_refuses_a_passkey_off_the_curve_and_passkey_fields_on_a_cli_key() -> None:
    off_curve = b"\x04" + b"\x01" * 64
    with pytest.raises(InvalidCommand, match="not a valid point"):
        decide(staffed(), RegisterKey(actor=SUP, person_id="sup", key=PersonKey.of(wa.ES256, off_curve, credential_id="AQ")), CTX)
    cli = PersonKey.of("ed25519", generate_key("ed25519")[1], credential_id="AQ")
    with pytest.raises(InvalidCommand, match="only a passkey names a WebAuthn credential"):
        decide(staffed(), RegisterKey(actor=SUP, person_id="sup", key=cli), CTX)


# --------------------------------------------------------------------------- the server: a directory in SQLite


@dataclass
class World:
    settings: Any
    url: str
    log: AuditLog

    def append(self, *events: Any) -> None:
        version = len(self.log.read_stream("dir-people"))
        rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode()) for e in events]
        self.log.append("dir-people", version, rows)

    def register(self, person_id: str, key: PersonKey) -> None:
        self.append(KeyRegistered(at=AT, actor=person_id, person_id=person_id, key=key))

    def person(self, person_id: str) -> Any:
        return signin.read_directory(self.deps()).people[person_id]

    def deps(self, person_id: str | None = None, passkey: bool = False) -> Deps:
        caller = None
        if person_id is not None:
            caller = caller_of(signin.issue(self.settings, self.person(person_id), passkey=passkey))
        return bootstrap(database_url=self.url, settings=self.settings, caller=caller)


AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_AUTHORITY_DIR", str(tmp_path / "authority"))
    settings = get_settings()
    KeyStore(settings.authority_path).ensure("ed25519")
    log = AuditLog(open_audit_log(url).engine)  # migrated; appended without projectors
    proof = Proof(credential="jti-admin")
    w = World(settings=settings, url=url, log=log)
    w.append(
        DirectoryOpened(at=AT, actor="admin", proof=proof, admin=PersonInput(id="admin", name="管理员", roles=[Role.ADMIN])),
        PersonAdded(at=AT, actor="admin", proof=proof, person=PersonInput(id="sup1", name="督导员甲", roles=[Role.SUPERVISOR])),
        PersonAdded(at=AT, actor="admin", proof=proof, person=PersonInput(id="sup2", name="督导员乙", roles=[Role.SUPERVISOR])),
    )
    yield w
    log.engine.dispose()


def test_the_credential_names_the_passkey_or_the_cli_key(world: World) -> None:
    cli = PersonKey.of("ed25519", generate_key("ed25519")[1])
    phone = SoftAuthenticator()
    world.register("sup1", cli)
    world.register("sup1", phone.key)
    assert world.deps("sup1").caller.claims.key == cli
    assert world.deps("sup1", passkey=True).caller.claims.key == phone.key  # credential id and site included
    assert world.deps("sup2", passkey=True).caller.claims.key is None  # no passkey: signed decisions ask for one
    trusted = KeyStore(world.settings.authority_path).trusted()
    claims = verify_credential(world.deps("sup1", passkey=True).caller.credential, trusted, datetime.now(UTC))
    doc = document()
    signature = assertion_signature(phone.key, digest_of(doc), phone.get(digest_of(doc)))
    verify_command_signature(signature, doc, claims.key, claims.sub)  # as the workflow does
    assert "not by" in refused(signature, doc, world.deps("sup1").caller.claims.key)  # a credential naming the CLI key


def test_registration_options_and_a_registration(world: World) -> None:
    old = SoftAuthenticator()
    world.register("sup1", old.key)
    store = passkeys.ChallengeStore()
    deps = world.deps("sup1")
    options = passkeys.registration_options(deps, RP_ID, "PDCA 整顿", challenges=store)
    assert options["rp"] == {"id": RP_ID, "name": "PDCA 整顿"}
    assert options["user"] == {"id": b64(b"sup1"), "name": "sup1", "displayName": "督导员甲"}
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8]
    assert options["authenticatorSelection"] == {"residentKey": "preferred", "userVerification": "preferred"}
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == [{"type": "public-key", "id": b64(old.credential_id)}]
    assert len(unb64(options["challenge"])) == 32
    for alg in ALGS:
        authenticator = SoftAuthenticator(alg=alg)
        challenge = passkeys.registration_options(deps, RP_ID, "PDCA", challenges=store)["challenge"]
        created = authenticator.create(challenge)
        key = passkeys.verify_registration("sup1", RP_ID, ORIGIN, registration(challenge, created), challenges=store)
        assert key == authenticator.key


def _verify(store: passkeys.ChallengeStore, created: dict[str, Any], issued: str, **changes: Any) -> PersonKey:
    """``verify_registration`` of the authenticator's answer to the challenge ``issued``, with ``changes``."""
    answer = registration(issued, created).model_copy(update=changes)
    return passkeys.verify_registration("sup1", RP_ID, ORIGIN, answer, challenges=store)


def registration(challenge: str, created: dict[str, Any]) -> passkeys.Registration:
    """What the console posts of the authenticator's answer ``created`` to ``challenge``."""
    fields = ("credential_id", "client_data_json", "attestation_object", "public_key_spki", "cose_alg")
    return passkeys.Registration(challenge=challenge, **{k: created[k] for k in fields})


def test_registration_with_the_spki_or_the_attestation_alone(authenticator: SoftAuthenticator) -> None:
    store = passkeys.ChallengeStore()
    for changes in ({"attestation_object": None}, {"public_key_spki": None}, {}):
        challenge = store.issue("sup1")
        created = authenticator.create(challenge)
        assert _verify(store, created, challenge, **changes) == authenticator.key
    challenge = store.issue("sup1")
    with pytest.raises(Refused, match="public key is missing"):
        _verify(store, authenticator.create(challenge), challenge, attestation_object=None, public_key_spki=None)


def test_registration_refuses_a_replayed_or_foreign_challenge_and_another_origin() -> None:
    store = passkeys.ChallengeStore()
    authenticator = SoftAuthenticator()
    challenge = store.issue("sup1")
    created = authenticator.create(challenge)
    _verify(store, created, challenge)
    with pytest.raises(Refused, match="unknown, used already or expired") as replayed:
        _verify(store, created, challenge)
    assert replayed.value.code == "invalid_passkey"
    foreign = store.issue("sup2")  # issued to someone else
    with pytest.raises(Refused, match="unknown, used already or expired"):
        _verify(store, authenticator.create(foreign), foreign)
    unknown = b64(b"u" * 32)
    with pytest.raises(Refused, match="unknown, used already or expired"):
        _verify(store, authenticator.create(unknown), unknown)
    challenge = store.issue("sup1")
    with pytest.raises(Refused, match="made on 'https://evil.example'"):
        _verify(store, authenticator.create(challenge, origin="https://evil.example"), challenge)
    with pytest.raises(Refused, match="unknown, used already"):  # the refused attempt used the challenge up
        _verify(store, authenticator.create(challenge), challenge)


def test_registration_challenges_expire() -> None:
    now = [1000.0]
    store = passkeys.ChallengeStore(clock=lambda: now[0])
    authenticator = SoftAuthenticator()
    challenge = store.issue("sup1")
    now[0] += passkeys.CHALLENGE_SECONDS + 1
    with pytest.raises(Refused, match="expired"):
        _verify(store, authenticator.create(challenge), challenge)
    many = [store.issue("sup1") for _ in range(store.per_person + 3)]  # only the newest are kept per person
    assert not store.take("sup1", many[0]) and store.take("sup1", many[-1])


@pytest.mark.parametrize(
    "change, words",
    [
        ({"type": "webauthn.get"}, "not a registration"),
        ({"rp_id": "evil.example"}, "another site"),
        ({"flags": wa.UV}, "presence"),
    ],
)
def test_registration_refuses_what_the_authenticator_says_otherwise(change: dict[str, Any], words: str) -> None:
    store = passkeys.ChallengeStore()
    challenge = store.issue("sup1")
    with pytest.raises(Refused, match=words):
        _verify(store, SoftAuthenticator().create(challenge, **change), challenge)


def test_registration_refuses_mismatched_keys_and_ids() -> None:
    store = passkeys.ChallengeStore()
    authenticator, other = SoftAuthenticator(), SoftAuthenticator()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"public_key_spki": other.create("x")["public_key_spki"]}, "not the one given"),
        ({"credential_id": b64(b"other")}, "another credential id"),
        ({"cose_alg": -8}, "browser said"),
        ({"cose_alg": -257}, "not accepted"),
        ({"challenge": "elsewhere"}, "another challenge"),
        ({"client_data_json": "é"}, "not base64url"),
        ({"attestation_object": b64(b"\xa0")}, "no authenticator data"),
    ]
    for changes, words in cases:
        challenge = store.issue("sup1")
        with pytest.raises(Refused, match=words):
            _verify(store, authenticator.create(challenge), challenge, **changes)


async def test_register_passkey_sends_register_key_for_the_caller(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, Any]] = []

    async def send(deps: Deps, stream_id: str, command: Any, *args: Any) -> None:
        sent.append((stream_id, command))

    monkeypatch.setattr(passkeys.commands, "send", send)
    deps = world.deps("sup1")
    store = passkeys.ChallengeStore()
    authenticator = SoftAuthenticator(alg=wa.ED25519)
    challenge = passkeys.registration_options(deps, RP_ID, "PDCA", challenges=store)["challenge"]
    created = authenticator.create(challenge)
    key = await passkeys.register_passkey(deps, RP_ID, ORIGIN, registration(challenge, created), challenges=store)
    assert key == authenticator.key
    [(stream_id, command)] = sent
    assert stream_id == "dir-people" and isinstance(command, RegisterKey)
    assert command.person_id == "sup1" and command.actor.id == "sup1" and command.key == key


def test_signing_with_a_passkey_through_the_server(world: World) -> None:
    phone, laptop = SoftAuthenticator(), SoftAuthenticator(alg=wa.ED25519)
    world.register("sup1", phone.key)
    world.register("sup1", laptop.key)
    deps = world.deps("sup1", passkey=True)
    assert deps.caller.claims.key == laptop.key
    body = {k: v for k, v in COMMAND.items() if k != "actor"}
    challenge = passkeys.command_digest(STREAM, REQUEST, body)
    assert challenge == digest_of(document())
    options = passkeys.assertion_options(deps, RP_ID, challenge)
    assert options["challenge"] == b64(challenge) and options["rpId"] == RP_ID and options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [b64(laptop.credential_id), b64(phone.credential_id)]  # the credential's first
    # the phone answers: its passkey signs, and the credential is re-issued to name it
    asserted = phone.get(challenge)
    key = passkeys.signing_passkey(deps, asserted["credential_id"])
    assert key == phone.key
    signature = passkeys.signature_from_assertion(
        key, challenge.hex(), asserted["authenticator_data"], asserted["client_data"], asserted["signature"], ORIGIN
    )
    renamed = caller_of(passkeys.credential_naming(deps, key))
    assert renamed.claims.key == phone.key and renamed.id == "sup1"
    assert (renamed.claims.iat, renamed.claims.exp) == (deps.caller.claims.iat, deps.caller.claims.exp)
    verify_command_signature(signature, document(), renamed.claims.key, renamed.id)
    # refusals
    with pytest.raises(Refused, match="not on 'https://evil.example'") as info:
        passkeys.signature_from_assertion(
            key, challenge.hex(), asserted["authenticator_data"], asserted["client_data"], asserted["signature"], "https://evil.example"
        )
    assert info.value.code == "invalid_signature"
    with pytest.raises(Refused, match="does not verify"):
        passkeys.signature_from_assertion(
            laptop.key, challenge.hex(), asserted["authenticator_data"], asserted["client_data"], asserted["signature"], ORIGIN
        )
    with pytest.raises(Refused, match="another challenge"):
        passkeys.signature_from_assertion(
            key, sha256(b"x").hex(), asserted["authenticator_data"], asserted["client_data"], asserted["signature"], ORIGIN
        )
    with pytest.raises(Refused, match="not registered to sup1"):
        passkeys.signing_passkey(deps, b64(b"unknown"))
    with pytest.raises(Refused, match="has no passkey") as none:
        passkeys.assertion_options(world.deps("sup2"), RP_ID, challenge)
    assert none.value.code == "signature_required"
    with pytest.raises(Refused, match="not registered to sup1"):
        passkeys.credential_naming(deps, SoftAuthenticator().key)
    forged = deps.acting_as(caller_of(deps.caller.credential[:-4] + "AAAA"))
    with pytest.raises(Refused) as bad:
        passkeys.credential_naming(forged, key)
    assert bad.value.code == "invalid_credential"


# --------------------------------------------------------------------------- offline: pdca audit verify --signatures


def test_verify_signatures_accepts_a_passkey_signed_event(world: World) -> None:
    from service.audit import verify_signatures

    phone = SoftAuthenticator()
    world.register("sup1", phone.key)
    doc = document()
    good = assertion_signature(phone.key, digest_of(doc), phone.get(digest_of(doc)), credential="jti-1", document=doc)
    other_doc = document(verdict="failed")
    tampered = good.model_copy(update={"document": other_doc})
    stranger = SoftAuthenticator()
    unregistered = assertion_signature(stranger.key, digest_of(doc), stranger.get(digest_of(doc)), credential="jti-2", document=doc)

    def event(signature: PersonalSignature) -> NewEvent:
        proof = {"credential": "jti", "signature": signature.model_dump(mode="json")}
        payload = {"type": "AcceptanceRecorded", "at": AT.isoformat(), "actor": "sup1", "proof": proof}
        return NewEvent(uuid.uuid4().hex, "AcceptanceRecorded", "sup1", json.dumps(payload, ensure_ascii=False))

    world.log.append(STREAM, 0, [event(good)])
    report = verify_signatures(world.deps())
    assert report.checked == 1 and report.ok, report.problems
    world.log.append(STREAM, 1, [event(tampered), event(unregistered)])
    report = verify_signatures(world.deps())
    assert report.checked == 3 and len(report.problems) == 2
    assert "digest does not match" in report.problems[0] and f"{STREAM} v2" in report.problems[0]
    assert f"key {stranger.key.fingerprint} is not registered to sup1" in report.problems[1]


def test_a_passkey_signature_crosses_temporal_and_the_audit_event_whole() -> None:
    """The ``command`` Update's payload through the workers' data converter, then the event's proof
    through JSON: the WebAuthn fields arrive, and the signature still verifies."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    from workflows.audited import Request

    phone = SoftAuthenticator()
    doc = document()
    signature = assertion_signature(phone.key, digest_of(doc), phone.get(digest_of(doc)))
    body = {k: v for k, v in COMMAND.items() if k != "actor"}
    request = Request(request_id=REQUEST, command=body, credential="header.claims.signature", signature=signature)
    converter = pydantic_data_converter.payload_converter
    [received] = converter.from_payloads(converter.to_payloads([request]), [Request])
    assert received == request and received.signature is not None
    verify_command_signature(received.signature, signed_document(STREAM, REQUEST, received.command), phone.key, WHO)
    proof = Proof(credential="jti-1", signature=received.signature.model_copy(update={"credential": "jti-1", "document": doc}))
    kept = Proof.model_validate_json(proof.model_dump_json())
    assert kept.signature is not None and kept.signature.client_data == signature.client_data
    verify_command_signature(kept.signature, kept.signature.document or {}, phone.key, WHO)
