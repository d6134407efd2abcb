"""Credentials for the tests: a test authority (its keys in a temporary directory, named by
PDCA_AUTHORITY_DIR for every worker the suite starts) and helpers that sign a test actor's commands as
the CLI and the HTTP API do — a credential for the actor, their personal signature when the decision
judges a person. Nothing here weakens a check: a test that wants a forged or expired credential makes
one with ``credential(..., minutes=...)`` or by editing the token."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.actors import Actor
from domain.identity import Claims, PersonKey, encode_credential, generate_key
from domain.identity.signatures import sign_command, signed_document
from domain.kinds import decider_of_stream
from service.identity import Caller, CredentialStore, caller_of
from store.keys import KeyStore
from workflows.audited import Request

AUTHORITY_DIR = Path(os.environ.get("PDCA_TEST_AUTHORITY_DIR") or tempfile.mkdtemp(prefix="pdca-test-authority-"))
os.environ["PDCA_AUTHORITY_DIR"] = str(AUTHORITY_DIR)
os.environ["PDCA_TEST_AUTHORITY_DIR"] = str(AUTHORITY_DIR)  # child processes use the same authority
AUTHORITY = KeyStore(AUTHORITY_DIR)
AUTHORITY.ensure("ed25519")

# Credentials in tests outlive the time-skipping server's jumps (a session's tests move it years ahead);
# production lifetimes are the setting's.
TEST_LIFETIME = timedelta(days=365 * 100)

_KEYS: dict[str, tuple[PersonKey, bytes]] = {}


def personal_key(actor_id: str, alg: str = "ed25519") -> tuple[PersonKey, bytes]:
    """The actor's personal signing key (made once per test session)."""
    if actor_id not in _KEYS:
        private, public = generate_key(alg)
        _KEYS[actor_id] = (PersonKey.of(alg, public), private)
    return _KEYS[actor_id]


def credential(actor: Actor, *, lifetime: timedelta = TEST_LIFETIME, now: datetime | None = None, store: KeyStore = AUTHORITY) -> str:
    now = now or datetime.now(UTC)
    signing = store.signing_key()
    claims = Claims(
        sub=actor.id,
        name=actor.name,
        roles=list(actor.roles),
        scope=list(actor.scope),
        iat=int(now.timestamp()),
        exp=int((now + lifetime).timestamp()),
        jti=uuid.uuid4().hex,
        key=personal_key(actor.id)[0],
    )
    return encode_credential(claims, signing.kid, signing.alg, signing.private)


def caller(actor: Actor) -> Caller:
    return caller_of(credential(actor), personal_key(actor.id)[1])


def request(stream_id: str, command: Any, request_id: str | None = None, *, sign: bool | None = None) -> Request:
    """The ``command`` Update's payload for a test actor's command, as the service builds it."""
    rid = request_id or uuid.uuid4().hex
    body = command.model_dump(mode="json", exclude={"actor", "proof"})
    wanted = body["type"] in decider_of_stream(stream_id).signed_commands if sign is None else sign
    signature = None
    if wanted:
        key, private = personal_key(command.actor.id)
        signature = sign_command(signed_document(stream_id, rid, body), key, private)
    return Request(request_id=rid, command=body, credential=credential(command.actor), signature=signature)


def sign_in(directory: Path, *actors: Actor) -> None:
    """Put the actors' credentials and signing keys in a CLI credential store (as `pdca login` would)."""
    store = CredentialStore(directory)
    for actor in actors:
        store.save(credential(actor))
        key, private = personal_key(actor.id)
        store.save_key(actor.id, key.alg, private)
