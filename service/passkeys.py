"""Passkeys (通行密钥, WebAuthn): the web console's personal signing keys, server side (docs/security.md).

A passkey's private key stays in the person's authenticator; the browser makes it sign. It is held in
the people directory like any key (an audited ``RegisterKey``), and its signatures are the same
``PersonalSignature``, verified by the same ``verify_command_signature`` in the workflow and offline
(domain/identity/webauthn.py says what is checked).

Registration (账户 → 注册通行密钥):

    registration_options(deps, rp_id, rp_name)       -> the browser's ``publicKey`` creation options (JSON)
    register_passkey(deps, rp_id, origin, Registration(challenge, credential_id, client_data_json,
                     attestation_object, public_key_spki, cose_alg))  -> PersonKey  (checked, then ``RegisterKey`` sent)

Signing a decision that judges a person:

    command_digest(stream_id, request_id, command)   -> the digest the passkey signs (the WebAuthn challenge)
    assertion_options(deps, rp_id, digest)           -> the browser's ``publicKey`` request options (JSON)
    signing_passkey(deps, credential_id)             -> which of the caller's passkeys answered
    signature_from_assertion(key, digest_hex, authenticator_data, client_data, signature, origin)
                                                     -> PersonalSignature (send it with the command)
    credential_naming(deps, key)                     -> the caller's credential re-issued to name ``key``

The options are WebAuthn's JSON forms (``PublicKeyCredentialCreationOptionsJSON`` /
``…RequestOptionsJSON``: binary values base64url without padding), so the page may hand them to
``PublicKeyCredential.parseCreationOptionsFromJSON`` / ``parseRequestOptionsFromJSON``.

**Registration challenges** are remembered in this process (``CHALLENGES``, a dict keyed by person id
and challenge, guarded by a lock): each lives ``CHALLENGE_SECONDS`` and is taken at its first use,
whether the registration then succeeds or not. The web console is one process (`pdca serve`); a
restart forgets the outstanding challenges, and the person simply starts the registration again.
Assertions need no remembered challenge: theirs is the command's digest, which names the stream and
the request id, and the workflow applies a request id once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.identity import CredentialError, PersonalSignature, PersonKey, verify_credential, webauthn
from domain.identity.algorithms import b64, digest, unb64
from domain.identity.signatures import NO_KEY_HINT, canonical, signed_document
from domain.people import DIRECTORY_ID, Person, RegisterKey
from service import commands
from service.bootstrap import Deps
from service.errors import Refused, Unavailable
from store.keys import KeyStore, KeyStoreError

CHALLENGE_SECONDS = 300.0  # a registration challenge's lifetime
TIMEOUT_MS = 300_000  # what the browser is told to wait for the person (milliseconds)
INVALID = "invalid_passkey"  # the refusal code of a registration that does not check out


# ----------------------------------------------------------------------------- registration challenges


@dataclass
class ChallengeStore:
    """Registration challenges issued by this process: (person id, challenge) → expiry (monotonic seconds)."""

    seconds: float = CHALLENGE_SECONDS
    limit: int = 10_000  # outstanding challenges at most (the oldest are dropped beyond it)
    per_person: int = 10  # outstanding challenges of one person at most (the oldest are dropped beyond it)
    clock: Callable[[], float] = time.monotonic
    _issued: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue(self, person_id: str) -> str:
        challenge = b64(secrets.token_bytes(32))
        with self._lock:
            now = self.clock()
            self._prune(now)
            mine = [k for k in self._issued if k[0] == person_id]
            for stale in mine[: max(0, len(mine) - self.per_person + 1)]:
                del self._issued[stale]
            while len(self._issued) >= self.limit:
                del self._issued[next(iter(self._issued))]
            self._issued[(person_id, challenge)] = now + self.seconds
        return challenge

    def take(self, person_id: str, challenge: str) -> bool:
        """True once for a challenge issued to ``person_id`` that has not expired; it is gone afterwards."""
        with self._lock:
            expires = self._issued.pop((person_id, challenge), None)
            return expires is not None and expires > self.clock()

    def _prune(self, now: float) -> None:
        for key in [k for k, expires in self._issued.items() if expires <= now]:
            del self._issued[key]


CHALLENGES = ChallengeStore()


# ----------------------------------------------------------------------------- helpers


def _bytes(text: str | None, what: str, code: str = INVALID) -> bytes:
    """base64url as a browser's encoder writes it (padding tolerated), strictly decoded."""
    if not isinstance(text, str) or not text:
        raise Refused(f"the passkey's {what} is missing", code=code)
    try:
        return unb64(text.rstrip("="))
    except ValueError:
        raise Refused(f"the passkey's {what} is not base64url", code=code) from None


def _client_data(data: bytes, code: str) -> dict[str, Any]:
    try:
        return webauthn.client_data_json(data)
    except webauthn.WebAuthnError as error:
        raise Refused(str(error), code=code) from None


def _person(deps: Deps) -> Person:
    from service.signin import read_directory

    person = read_directory(deps).person(deps.caller.id)
    if person is None or not person.active:
        raise Refused(f"{deps.caller.id} is not an active person in the people directory", code="permission_denied")
    return person


def _descriptor(key: PersonKey) -> dict[str, str]:
    return {"type": "public-key", "id": key.credential_id or ""}


def _for_site(person: Person, rp_id: str) -> list[PersonKey]:
    """The person's passkeys usable on the site ``rp_id`` (one registered without a site: on any)."""
    return [k for k in person.passkeys if k.rp_id in (None, rp_id)]


# ----------------------------------------------------------------------------- registration


def registration_options(deps: Deps, rp_id: str, rp_name: str, challenges: ChallengeStore = CHALLENGES) -> dict[str, Any]:
    """The ``publicKey`` options of ``navigator.credentials.create`` for the caller, a new challenge
    remembered for ``CHALLENGE_SECONDS``; their passkeys already registered are excluded."""
    person = _person(deps)
    return {
        "challenge": challenges.issue(person.id),
        "rp": {"id": rp_id, "name": rp_name},
        "user": {"id": b64(person.id.encode()), "name": person.id, "displayName": person.name or person.id},
        "pubKeyCredParams": [{"type": "public-key", "alg": cose} for cose in webauthn.COSE_ALGORITHMS],
        "authenticatorSelection": {"residentKey": "preferred", "userVerification": "preferred"},
        "attestation": "none",
        "excludeCredentials": [_descriptor(k) for k in _for_site(person, rp_id)],
        "timeout": TIMEOUT_MS,
    }


class Registration(BaseModel):
    """A browser's answer to ``navigator.credentials.create`` as the console posts it (base64url values)."""

    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(max_length=128)  # the challenge registration_options gave
    credential_id: str = Field(max_length=2048)  # rawId
    client_data_json: str = Field(max_length=8192)  # response.clientDataJSON
    attestation_object: str | None = Field(default=None, max_length=65536)  # response.attestationObject
    public_key_spki: str | None = Field(default=None, max_length=4096)  # response.getPublicKey()
    cose_alg: int  # response.getPublicKeyAlgorithm(): -7 ES256, -8 EdDSA


def verify_registration(
    person_id: str,
    rp_id: str,
    origin: str,
    answer: Registration,
    challenges: ChallengeStore = CHALLENGES,
) -> PersonKey:
    """The passkey a browser's ``navigator.credentials.create`` answered, checked (``Refused``
    ``invalid_passkey`` otherwise): the client data is a ``webauthn.create`` over ``challenge``, which
    this process issued to ``person_id`` and which was not used yet, from ``origin``; the public key
    (``getPublicKey()``'s SPKI, else the attestation's COSE key) is ES256 or Ed25519 as ``cose_alg``
    says; the attestation object, when given, is for ``rp_id``, with the person present, and attests
    this credential id and key. Registers nothing."""
    challenge, credential_id, cose_alg = answer.challenge, answer.credential_id, answer.cose_alg
    client_data_json, attestation_object, public_key_spki = answer.client_data_json, answer.attestation_object, answer.public_key_spki
    fields = _client_data(_bytes(client_data_json, "client data"), INVALID)
    if fields.get("type") != "webauthn.create":
        raise Refused(f"the passkey's client data is of type {fields.get('type')!r}, not a registration ('webauthn.create')", code=INVALID)
    if fields.get("challenge") != challenge:
        raise Refused("the passkey answered another challenge than the one given", code=INVALID)
    if not challenges.take(person_id, challenge):
        raise Refused(
            "the registration challenge is unknown, used already or expired (or was issued to someone else): start the registration again",
            code=INVALID,
        )
    if fields.get("origin") != origin:
        raise Refused(f"the passkey was made on {fields.get('origin')!r}, not on {origin!r}", code=INVALID)
    if fields.get("crossOrigin") is True:
        raise Refused("the passkey was made in a frame of another site", code=INVALID)
    raw_id = _bytes(credential_id, "credential id")
    if len(raw_id) > webauthn.MAX_CREDENTIAL_ID:
        raise Refused(f"the passkey's credential id has more than {webauthn.MAX_CREDENTIAL_ID} bytes", code=INVALID)
    alg = webauthn.COSE_ALGORITHMS.get(cose_alg)
    if alg is None:
        raise Refused(f"COSE algorithm {cose_alg} is not accepted: ES256 (-7) or EdDSA (-8)", code=INVALID)
    public: bytes | None = None
    try:
        if public_key_spki:
            spki_alg, public = webauthn.spki_public_key(_bytes(public_key_spki, "public key"))
            if spki_alg != alg:
                raise Refused(f"the public key is {spki_alg}, but the browser said {alg} (COSE {cose_alg})", code=INVALID)
        if attestation_object:
            attested = webauthn.parse_authenticator_data(webauthn.attestation_authenticator_data(_bytes(attestation_object, "attestation")))
            if attested.rp_id_hash != digest(webauthn.DIGEST, rp_id.encode()):
                raise Refused(f"the passkey was made for another site, not {rp_id!r}", code=INVALID)
            if not attested.user_present:
                raise Refused("the authenticator did not confirm the person's presence", code=INVALID)
            if attested.credential_id is None or attested.credential_key is None:
                raise Refused("the attestation holds no credential", code=INVALID)
            if attested.credential_id != raw_id:
                raise Refused("the attestation is for another credential id", code=INVALID)
            cose = webauthn.cose_public_key(attested.credential_key)
            if cose[0] != alg or (public is not None and cose[1] != public):
                raise Refused("the attested public key is not the one given", code=INVALID)
            public = cose[1]
    except webauthn.WebAuthnError as error:
        raise Refused(str(error), code=INVALID) from None
    if public is None:
        raise Refused("the passkey's public key is missing: send getPublicKey()'s SPKI or the attestation object", code=INVALID)
    problem = webauthn.public_key_problem(alg, public)
    if problem:
        raise Refused(problem, code=INVALID)
    return PersonKey.of(alg, public, credential_id=b64(raw_id), rp_id=rp_id)


async def register_passkey(
    deps: Deps,
    rp_id: str,
    origin: str,
    answer: Registration,
    challenges: ChallengeStore = CHALLENGES,
) -> PersonKey:
    """Check the browser's answer (``verify_registration``) and register the passkey for the caller:
    an audited ``RegisterKey`` sent with their credential (the directory refuses a passkey registered
    already). The caller's credential still names its earlier key: ``credential_naming`` re-issues it."""
    caller = deps.caller
    key = verify_registration(caller.id, rp_id, origin, answer, challenges)
    await commands.send(deps, DIRECTORY_ID, commands.command(RegisterKey, actor=caller.actor, person_id=caller.id, key=key))
    return key


# ----------------------------------------------------------------------------- signing


def command_digest(stream_id: str, request_id: str, command: Any) -> bytes:
    """The SHA-256 digest of the document a personal signature covers (``signed_document``): the
    challenge the passkey signs. ``command``: a command model or the body as it will be sent (the
    same body must then be sent with the same request id)."""
    body = command if isinstance(command, dict) else command.model_dump(mode="json", exclude={"actor", "proof"})
    return digest(webauthn.DIGEST, canonical(signed_document(stream_id, request_id, body)))


def assertion_options(deps: Deps, rp_id: str, digest_bytes: bytes) -> dict[str, Any]:
    """The ``publicKey`` options of ``navigator.credentials.get``: the challenge is the command's
    digest (``command_digest``); the caller's passkeys for this site may answer (see ``signing_passkey``)."""
    if len(digest_bytes) != 32:
        raise Refused("the challenge is the command's SHA-256 digest (32 bytes)")
    keys = _for_site(_person(deps), rp_id)
    if not keys:
        raise Refused(f"{deps.caller.id} has no passkey for {rp_id}: {NO_KEY_HINT}", code="signature_required")
    named = deps.caller.claims.key
    keys.sort(key=lambda k: named is None or k.fingerprint != named.fingerprint)  # the credential's passkey first
    return {
        "challenge": b64(digest_bytes),
        "rpId": rp_id,
        "allowCredentials": [_descriptor(k) for k in keys],
        "userVerification": "preferred",
        "timeout": TIMEOUT_MS,
    }


def signing_passkey(deps: Deps, credential_id: str) -> PersonKey:
    """The caller's registered passkey with this credential id (the assertion's ``rawId``)."""
    key = _person(deps).passkey(b64(_bytes(credential_id, "credential id", "invalid_signature")))
    if key is None:
        raise Refused(f"this passkey is not registered to {deps.caller.id}: {NO_KEY_HINT}", code="invalid_signature")
    return key


def signature_from_assertion(
    key: PersonKey, digest_hex: str, authenticator_data: str, client_data: str, signature: str, origin: str
) -> PersonalSignature:
    """The ``PersonalSignature`` of a browser's ``navigator.credentials.get`` answer by the passkey
    ``key`` over the digest ``digest_hex``: checked here (``Refused`` ``invalid_signature``: the
    origin, the challenge, the site, the person's presence, the signature) and again by the workflow
    against the command it comes with."""
    code = "invalid_signature"
    if not key.is_passkey:
        raise Refused(f"{key.fingerprint} is not a passkey", code=code)
    try:
        challenge = bytes.fromhex(digest_hex)
    except ValueError:
        raise Refused("the digest is not hexadecimal", code=code) from None
    auth = _bytes(authenticator_data, "authenticator data", code)
    client = _bytes(client_data, "client data", code)
    value = _bytes(signature, "signature", code)
    fields = _client_data(client, code)
    if fields.get("origin") != origin:
        raise Refused(f"the passkey signed on {fields.get('origin')!r}, not on {origin!r}", code=code)
    if fields.get("crossOrigin") is True:
        raise Refused("the passkey signed in a frame of another site", code=code)
    try:
        message = webauthn.signed_message(key.alg, challenge, auth, client, key.rp_id)
    except webauthn.WebAuthnError as error:
        raise Refused(str(error), code=code) from None
    if not webauthn.verify(key.alg, key.public_bytes(), message, value):
        raise Refused(f"the passkey signature does not verify with passkey {key.fingerprint}", code=code)
    return PersonalSignature(
        alg=key.alg,
        digest_alg=webauthn.DIGEST,
        digest=challenge.hex(),
        value=b64(value),
        key=key.fingerprint,
        authenticator_data=b64(auth),
        client_data=b64(client),
    )


def credential_naming(deps: Deps, key: PersonKey, now: datetime | None = None) -> str:
    """The caller's credential, verified, re-issued to name ``key`` (one of their registered keys:
    the passkey they just registered, or the one that answered ``assertion_options``), with the same
    issue and expiry times: it is the credential the workflow checks the personal signature against."""
    from service.signin import issue

    caller = deps.caller
    try:
        trusted = KeyStore(deps.settings.authority_path).trusted()
    except KeyStoreError as error:
        raise Unavailable(f"the server cannot read its authority keys: {error}") from None
    try:
        claims = verify_credential(caller.credential, trusted, now or datetime.now(UTC))
    except CredentialError as error:
        raise Refused(error.message, code=error.code) from None
    person = _person(deps)
    registered = next((k for k in person.keys if k.fingerprint == key.fingerprint), None)
    if registered is None:
        raise Refused(f"key {key.fingerprint} is not registered to {person.id}", code="invalid_signature")
    return issue(deps.settings, person, key=registered, now=datetime.fromtimestamp(claims.iat, tz=UTC))
