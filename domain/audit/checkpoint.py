"""Signed checkpoints of the audit chain head, and inclusion proofs against them (pure).

A checkpoint says "the log held these ``position`` events; the last one's hash is ``head_hash``; the
RFC 6962 Merkle root over the event hashes 1..position is ``merkle_root``", at ``time`` (UTC), signed with
the audit key ``key_id``. Kept outside the database, it reveals a cut tail (the log now ends before the
position), a rewrite (the row at the position, or the root over 1..position, differs) and, through the
signature, an edited checkpoint.

The signature covers ``SIGNING_PREFIX`` and the canonical JSON (sorted keys, no spaces, UTF-8) of every
field but ``signature``. An inclusion proof carries one event row as stored, its audit path and the
checkpoint, so anyone holding the audit public key can check it without the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.audit.chain import LINK_FIELDS, link_hash
from domain.audit.merkle import root_from_path
from domain.identity.algorithms import SIGNATURES, b64, sign, unb64, verify
from domain.identity.credentials import TrustedKey

FORMAT: Final = "pdca-audit-checkpoint/1"
PROOF_FORMAT: Final = "pdca-audit-proof/1"
HASH_ALGORITHM: Final = "sha256"
SIGNING_PREFIX = b"pdca-audit-checkpoint\n"
HEX64 = r"^[0-9a-f]{64}$"


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["pdca-audit-checkpoint/1"] = FORMAT
    position: int = Field(ge=0)  # events 1..position are anchored
    head_hash: str = Field(pattern=HEX64)  # the hash of the event at ``position``
    merkle_root: str = Field(pattern=HEX64)  # RFC 6962 root over the event hashes 1..position
    time: str  # UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    key_id: str
    hash_algorithm: Literal["sha256"] = HASH_ALGORITHM
    signature_algorithm: str
    signature: str = ""  # base64url over signed_bytes()

    def signed_bytes(self) -> bytes:
        fields = self.model_dump(mode="json", exclude={"signature"})
        return SIGNING_PREFIX + json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")

    @property
    def recorded(self) -> datetime:
        return datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a checkpoint's time must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_checkpoint(
    position: int, head_hash: str, merkle_root: str, time: datetime, key_id: str, algorithm: str, private: bytes
) -> Checkpoint:
    """A checkpoint signed with ``private`` (the audit key ``key_id`` of ``algorithm``)."""
    if algorithm not in SIGNATURES:
        raise ValueError(f"unknown signature algorithm {algorithm!r}: one of {', '.join(SIGNATURES)}")
    unsigned = Checkpoint(
        position=position,
        head_hash=head_hash,
        merkle_root=merkle_root,
        time=format_time(time),
        key_id=key_id,
        signature_algorithm=algorithm,
    )
    return unsigned.model_copy(update={"signature": b64(sign(algorithm, private, unsigned.signed_bytes()))})


def parse_checkpoint(data: Any) -> Checkpoint:
    """A checkpoint from its JSON value; ``ValueError`` saying what is wrong."""
    try:
        return Checkpoint.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "checkpoint"
        raise ValueError(f"not a checkpoint: {where}: {first['msg']}") from None


def signature_problem(checkpoint: Checkpoint, keys: Mapping[str, TrustedKey]) -> str | None:
    """None when ``checkpoint`` is signed by one of ``keys`` (by key id); else what is wrong."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        return f"signed by audit key {checkpoint.key_id}, which is not a trusted audit public key"
    if key.alg != checkpoint.signature_algorithm:
        return f"names algorithm {checkpoint.signature_algorithm}, but audit key {key.kid} is {key.alg}"
    try:
        public, signature = unb64(key.public), unb64(checkpoint.signature)
    except ValueError:
        return "the signature or the key is not base64url"
    if not verify(key.alg, public, checkpoint.signed_bytes(), signature):
        return f"the signature does not verify with audit key {key.kid}"
    return None


class ProofEvent(BaseModel):
    """An event row as stored (``recorded_at`` as its stored UTC text), with the chain link around it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    position: int = Field(ge=1)
    event_id: str
    stream_id: str
    version: int
    event_type: str
    actor: str
    policy_version: str | None
    recorded_at: str
    payload: str
    prev_hash: str = Field(pattern=HEX64)
    hash: str = Field(pattern=HEX64)


class InclusionProof(BaseModel):
    """One event, its audit path up to a checkpoint's Merkle root, and that checkpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["pdca-audit-proof/1"] = PROOF_FORMAT
    event: ProofEvent
    leaf_index: int = Field(ge=0)  # position - 1
    tree_size: int = Field(ge=1)  # the checkpoint's position
    audit_path: list[str]  # hex, from the leaf up
    checkpoint: Checkpoint


def proof_problems(proof: InclusionProof, keys: Mapping[str, TrustedKey]) -> list[str]:
    """Everything wrong with ``proof`` (empty: the event, as carried, is in the log the checkpoint signed)."""
    problems = []
    checkpoint, event = proof.checkpoint, proof.event
    signed = signature_problem(checkpoint, keys)
    if signed:
        problems.append(f"checkpoint: {signed}")
    fields = [getattr(event, name) for name in LINK_FIELDS]
    if link_hash(event.prev_hash, fields) != event.hash:
        problems.append(f"event at position {event.position}: its fields do not hash to {event.hash}")
    if proof.leaf_index != event.position - 1 or proof.tree_size != checkpoint.position:
        problems.append(
            f"the proof is for leaf {proof.leaf_index} of {proof.tree_size}, "
            f"but the event is at position {event.position} and the checkpoint anchors {checkpoint.position}"
        )
    elif event.position == checkpoint.position and event.hash != checkpoint.head_hash:
        problems.append(f"the event is the checkpoint's head, but the checkpoint's head hash is {checkpoint.head_hash}")
    try:
        path = [bytes.fromhex(step) for step in proof.audit_path]
        reached = root_from_path(proof.leaf_index, proof.tree_size, bytes.fromhex(event.hash), path)
    except ValueError:
        reached = None
    if reached is None or reached.hex() != checkpoint.merkle_root:
        problems.append(f"the audit path does not lead to the checkpoint's Merkle root {checkpoint.merkle_root}")
    return problems
