"""Activity: the credential authority's public keys, for workflows to verify credentials with.

The answer (``TrustedKeys``) is recorded in the workflow's history, so a replay verifies with the same
keys. Only public keys leave the key store.
"""

from __future__ import annotations

from pathlib import Path

from temporalio import activity

from domain.identity import TrustedKeys
from store.keys import KeyStore


class IdentityActivities:
    def __init__(self, authority_dir: Path) -> None:
        self.store = KeyStore(authority_dir)

    @activity.defn(name="trusted_keys")
    def trusted_keys(self) -> TrustedKeys:
        return self.store.trusted()
