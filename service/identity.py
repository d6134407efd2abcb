"""The client side of identity: who this CLI user is signed in as, and their personal signing key.

    $PDCA_CREDENTIALS_DIR (default $PDCA_HOME/credentials), mode 0700:
        <id>.credential   the credential the authority issued at sign-in (0600)
        <id>.key          the person's private signing key: {"alg", "private"} (0600); its public part
                          is registered in the people directory at sign-in
        current           the id of the last person to sign in (used when --as / PDCA_ACTOR is not given)

A ``Caller`` is what a door hands the service with a command: the credential (sent with every
command; the workflow verifies it) and, for decisions that judge a person, the signature made here
with the person's own key. Nothing here is trusted by the workflows: a credential that does not verify
is refused there.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.actors import Actor
from domain.errors import DomainError
from domain.identity import Claims, PersonalSignature, PersonKey, decode_unverified, generate_key, public_key_of, sign_command
from domain.identity.algorithms import b64, unb64
from domain.identity.signatures import signed_document
from service.errors import Refused
from settings import Settings
from store.keys import private_directory, write_private

_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class Caller:
    """A signed-in person as a door knows them: the credential and, if any, the private signing key."""

    credential: str
    claims: Claims
    private_key: bytes | None = None

    @property
    def actor(self) -> Actor:
        return self.claims.actor()

    @property
    def id(self) -> str:
        return self.claims.sub

    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.claims.exp, tz=UTC)

    def signature(self, stream_id: str, request_id: str, command: dict[str, Any]) -> PersonalSignature:
        """This person's signature over the command (for a decision that judges a person)."""
        key = self.claims.key
        if key is not None and self.private_key is None:
            raise Refused(
                f"this decision judges a person: it must carry {self.id}'s personal signature over the command "
                "(the HTTP API's `signature` field, made with the key registered at sign-in)",
                code="signature_required",
            )
        if key is None or self.private_key is None:
            raise Refused(
                f"{self.id} has no personal signing key registered: decisions that judge a person are signed; "
                "run `pdca key new` and sign in again (`pdca login`)",
                code="signature_required",
            )
        if public_key_of(key.alg, self.private_key) != key.public_bytes():
            raise Refused(
                f"the signing key on this machine is not the one registered for {self.id}: sign in again (`pdca login`)",
                code="invalid_signature",
            )
        return sign_command(signed_document(stream_id, request_id, command), key, self.private_key)


CONSOLE_SECRET = "console-secret"


def console_secret(settings: Settings) -> bytes:
    """The web console's HMAC secret (its forms' CSRF tokens), made once, 0600, beside the authority keys."""
    path = Path(settings.authority_path) / CONSOLE_SECRET
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        write_private(path, secrets.token_hex(32) + "\n")
        return bytes.fromhex(path.read_text().strip())


def caller_of(credential: str, private_key: bytes | None = None) -> Caller:
    """A ``Caller`` for a credential someone presented (read, not verified: the workflows verify)."""
    try:
        claims = decode_unverified(credential)
    except DomainError as error:
        raise Refused(error.message, code=error.code) from None
    return Caller(credential=credential, claims=claims, private_key=private_key)


# ----------------------------------------------------------------------------- the credential store


@dataclass(frozen=True)
class CredentialStore:
    directory: Path

    def _path(self, person_id: str, suffix: str) -> Path:
        if not _ID.match(person_id):
            raise Refused(f"{person_id!r} is not a person id (letters, digits, _ . @ -; at most 64)")
        return self.directory / f"{person_id}.{suffix}"

    def _private(self, person_id: str, suffix: str) -> Path:
        """Where to write one of ``person_id``'s files (the store's directory made 0700)."""
        private_directory(self.directory)
        return self._path(person_id, suffix)

    def save(self, credential: str) -> Caller:
        caller = caller_of(credential)
        write_private(self._private(caller.id, "credential"), credential)
        write_private(private_directory(self.directory) / "current", caller.id)
        return caller

    def forget(self, person_id: str) -> bool:
        path = self._path(person_id, "credential")
        existed = path.exists()
        path.unlink(missing_ok=True)
        current = self.directory / "current"
        if current.exists() and current.read_text().strip() == person_id:
            current.unlink()
        return existed

    def current_id(self) -> str | None:
        current = self.directory / "current"
        return current.read_text().strip() or None if current.exists() else None

    def signed_in(self) -> list[Caller]:
        if not self.directory.is_dir():
            return []
        callers = []
        for path in sorted(self.directory.glob("*.credential")):
            try:
                callers.append(caller_of(path.read_text().strip()))
            except Refused:
                continue
        return callers

    def load(self, person_id: str | None) -> Caller:
        """The stored credential of ``person_id`` (None: the last to sign in) with their signing key."""
        who = person_id or self.current_id()
        if who is None:
            raise Refused("not signed in: run `pdca login ID` (see `pdca login --help`)", code="credential_missing")
        path = self._path(who, "credential")
        if not path.exists():
            raise Refused(f"{who} is not signed in on this machine: run `pdca login {who}`", code="credential_missing")
        caller = caller_of(path.read_text().strip(), self.private_key(who))
        if caller.id != who:
            raise Refused(f"{path} holds a credential of {caller.id}, not {who}: sign in again (`pdca login {who}`)")
        if caller.expires() <= datetime.now(UTC):
            expired = f"{caller.expires():%Y-%m-%d %H:%M} UTC"
            raise Refused(f"the credential of {who} expired at {expired}: run `pdca login {who}`", code="credential_expired")
        return caller

    # ------------------------------------------------------------------ personal signing keys

    def _key(self, person_id: str) -> tuple[str, bytes] | None:
        """``person_id``'s signing key on this machine: (algorithm, private key), None if there is none."""
        path = self._path(person_id, "key")
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return str(data["alg"]), unb64(data["private"])
        except (OSError, ValueError, KeyError, TypeError):
            raise Refused(f"{path} is not a signing key file: remove it and run `pdca key new`") from None

    def private_key(self, person_id: str) -> bytes | None:
        key = self._key(person_id)
        return key[1] if key else None

    def public_key(self, person_id: str) -> PersonKey | None:
        key = self._key(person_id)
        return PersonKey.of(key[0], public_key_of(*key)) if key else None

    def save_key(self, person_id: str, alg: str, private: bytes) -> PersonKey:
        """Keep ``private`` as ``person_id``'s signing key on this machine (replacing any earlier one)."""
        write_private(self._private(person_id, "key"), json.dumps({"alg": alg, "private": b64(private)}))
        return PersonKey.of(alg, public_key_of(alg, private))

    def new_key(self, person_id: str, alg: str) -> PersonKey:
        """A new personal key pair (replacing any earlier one on this machine); register it by signing in."""
        return self.save_key(person_id, alg, generate_key(alg)[0])
