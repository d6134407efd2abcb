"""The credential authority's keys on disk (server side only): ``$PDCA_HOME/authority`` by default.

    <dir>/<kid>.pub.json   {"kid", "alg", "public", "created"}          the trusted public key (0644 is fine)
    <dir>/<kid>.key        the private key, base64url (mode 0600)        read only by the issuer
    <dir>/<kid>.retired    present: credentials of this key are no longer trusted

The directory is made 0700. Rotation: ``create`` a new key (the newest signs from then on); retire the
old one once its credentials have expired. Workflows never read this: they ask the identity activity
(activities/identity.py), which returns only the public keys.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.identity import TrustedKey, TrustedKeys, fingerprint, generate_key
from domain.identity.algorithms import SIGNATURES, b64, unb64


class KeyStoreError(Exception):
    pass


def private_directory(directory: Path) -> Path:
    """``directory``, made if need be, readable by its owner only (0700)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), atomically: never a moment where
    another user could read it (a secret, a key, a credential). The directory's mode is the caller's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)  # an existing temporary file keeps its mode through O_CREAT
    os.replace(temporary, path)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: bytes


@dataclass(frozen=True)
class KeyStore:
    directory: Path

    def _public_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.pub.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))

    def _read(self, path: Path) -> dict[str, str]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise KeyStoreError(f"authority key {path} cannot be read: {error}") from None
        if not isinstance(data, dict) or not {"kid", "alg", "public"} <= set(data):
            raise KeyStoreError(f"authority key {path} is not a key file")
        return data

    def trusted(self) -> TrustedKeys:
        """Every public key not retired, oldest first."""
        keys = []
        for path in self._public_files():
            data = self._read(path)
            if not (self.directory / f"{data['kid']}.retired").exists():
                keys.append(TrustedKey(kid=data["kid"], alg=data["alg"], public=data["public"]))
        return TrustedKeys(keys=keys)

    def create(self, alg: str = "ed25519") -> str:
        """A new key pair; returns its id. The newest key signs new credentials."""
        if alg not in SIGNATURES:
            raise KeyStoreError(f"unknown signature algorithm {alg!r}: one of {', '.join(SIGNATURES)}")
        private, public = generate_key(alg)
        kid = fingerprint(alg, public).split(":", 1)[1][:16]
        key_path = private_directory(self.directory) / f"{kid}.key"
        if key_path.exists():
            raise KeyStoreError(f"authority key {kid} exists already in {self.directory}")
        write_private(key_path, b64(private))
        created = datetime.now(UTC).isoformat()
        (self.directory / f"{kid}.pub.json").write_text(json.dumps({"kid": kid, "alg": alg, "public": b64(public), "created": created}))
        return kid

    def ensure(self, alg: str = "ed25519") -> str:
        """The current signing key's id, creating the first key if there is none."""
        current = self.trusted().keys
        return current[-1].kid if current else self.create(alg)

    def retire(self, kid: str) -> None:
        if not (self.directory / f"{kid}.pub.json").exists():
            raise KeyStoreError(f"no authority key {kid!r} in {self.directory}")
        remaining = [k for k in self.trusted().keys if k.kid != kid]
        if not remaining:
            raise KeyStoreError("that is the only trusted key: create a new one first (`pdca key rotate`)")
        (self.directory / f"{kid}.retired").write_text(datetime.now(UTC).isoformat())

    def signing_key(self) -> SigningKey:
        """The newest trusted key with its private part (the issuer's)."""
        current = self.trusted().keys
        if not current:
            raise KeyStoreError(f"no authority key in {self.directory}: run `pdca up` (it creates one) or `pdca key rotate`")
        key = current[-1]
        try:
            private = unb64((self.directory / f"{key.kid}.key").read_text().strip())
        except OSError as error:
            raise KeyStoreError(f"the private part of authority key {key.kid} cannot be read: {error}") from None
        return SigningKey(kid=key.kid, alg=key.alg, private=private)
