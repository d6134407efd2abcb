"""Signed checkpoints of the audit chain head, kept outside the database (docs/security.md, "Tamper matrix").

    $PDCA_CHECKPOINT_DIR/checkpoint-<position, 12 digits>-<UTC time, µs>-<head hash, 12>.json
        one checkpoint (domain/audit/checkpoint.py), mode 0600, never overwritten (created O_EXCL)
    $PDCA_AUDIT_KEY_DIR/<kid>.key, <kid>.pub.json, <kid>.retired
        the audit key, laid out as the credential authority's (store/keys.py: directory 0700, private 0600)
        but a key of its own: whoever can issue credentials cannot sign checkpoints, and the reverse

A checkpoint only helps where the database's owner cannot rewrite it: PDCA_CHECKPOINT_DIR belongs on other
storage (another mount, a WORM bucket, a copy collected elsewhere), and ``PDCA_CHECKPOINT_WEBHOOK`` sends
each new checkpoint to a second place as it is taken.

``verify_anchored`` walks the chain once (``AuditLog.verify``) and checks every checkpoint found on the way:
its signature (a trusted audit public key), that the log still reaches its position (else: truncated), and
that the event at its position has its head hash and the Merkle root over 1..position is its root (else:
rewritten). ``take_checkpoint`` signs the head only after that verification passed. ``build_proof``: an
inclusion proof of one event against the newest checkpoint, checkable offline (``proof_problems``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from domain.audit.chain import GENESIS_HASH
from domain.audit.checkpoint import Checkpoint, InclusionProof, ProofEvent, make_checkpoint, parse_checkpoint, signature_problem
from domain.audit.merkle import EMPTY_ROOT, Accumulator, inclusion_proof, root
from domain.identity import TrustedKey
from domain.identity.algorithms import SIGNATURES, unb64
from settings.urls import resolved_problem
from store.db import format_utc
from store.eventlog import AuditLog, VerifyReport, VersionBreak
from store.keys import KeyStore, KeyStoreError, private_directory
from store.models import AuditEvent

CHECKPOINT_GLOB = "checkpoint-*.json"
WEBHOOK_TIMEOUT = 10.0


class CheckpointError(Exception):
    """A checkpoint or an audit key that cannot be read, written or used."""


@dataclass(frozen=True)
class Anchoring:
    """Where checkpoints go and which key signs them (settings: PDCA_CHECKPOINT_DIR, PDCA_AUDIT_KEY_DIR,
    PDCA_SIGNATURE_ALGORITHM for a new key, PDCA_CHECKPOINT_WEBHOOK)."""

    checkpoint_dir: Path
    key_dir: Path
    algorithm: str = "ed25519"
    webhook: str | None = None


# ----------------------------------------------------------------------------- audit keys


def trusted_audit_keys(key_dir: Path, key_files: Sequence[Path] = ()) -> dict[str, TrustedKey]:
    """The audit public keys to check signatures with, by key id: the ``key_files`` when given (copies
    held elsewhere: an attacker on the database host can replace the key directory), else every key in
    ``key_dir`` that is not retired."""
    if key_files:
        keys = [read_public_key(path) for path in key_files]
    else:
        try:
            keys = KeyStore(key_dir).trusted().keys
        except KeyStoreError as error:
            raise CheckpointError(f"audit keys in {key_dir}: {error}") from None
    return {key.kid: key for key in keys}


def read_public_key(path: Path) -> TrustedKey:
    """An audit public key file (``<kid>.pub.json``: kid, alg, public)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"audit public key {path} cannot be read: {getattr(error, 'strerror', None) or error}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("kid", "alg", "public")):
        raise CheckpointError(f"{path} is not an audit public key file (kid, alg, public)")
    if data["alg"] not in SIGNATURES:
        raise CheckpointError(f"audit public key {path}: unknown algorithm {data['alg']!r}")
    try:
        unb64(data["public"])
    except ValueError:
        raise CheckpointError(f"audit public key {path}: the key is not base64url") from None
    return TrustedKey(kid=data["kid"], alg=data["alg"], public=data["public"])


def audit_public_key_file(key_dir: Path, algorithm: str = "ed25519") -> Path:
    """The current audit key's public file (to copy elsewhere for ``--key``), creating the key if none."""
    store = KeyStore(key_dir)
    try:
        kid = store.ensure(algorithm)
    except (KeyStoreError, OSError) as error:
        raise CheckpointError(f"audit keys in {key_dir}: {error}") from None
    return key_dir / f"{kid}.pub.json"


# ----------------------------------------------------------------------------- checkpoint files


def checkpoint_name(checkpoint: Checkpoint) -> str:
    stamp = checkpoint.recorded.strftime("%Y%m%dT%H%M%S.%fZ")
    return f"checkpoint-{checkpoint.position:012d}-{stamp}-{checkpoint.head_hash[:12]}.json"


def checkpoint_text(checkpoint: Checkpoint) -> str:
    return json.dumps(checkpoint.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def write_checkpoint(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` under its own name, atomically and never over another file: the text goes to
    a temporary file (0600) that is fsynced, then hard-linked to the final name (fails if it exists)."""
    if not directory.exists():
        private_directory(directory)
    path = directory / checkpoint_name(checkpoint)
    fd, temporary = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)  # O_EXCL, 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(checkpoint_text(checkpoint))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise CheckpointError(f"checkpoint {path} exists already") from None
        except OSError:  # a file system without hard links: exclusive create, then the text
            _write_exclusive(path, checkpoint_text(checkpoint))
    finally:
        Path(temporary).unlink(missing_ok=True)
    _fsync_directory(directory)
    return path


def _write_exclusive(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(f"checkpoint {path} exists already") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def checkpoint_files(directories: Sequence[Path]) -> list[Path]:
    """Every ``checkpoint-*.json`` in ``directories`` (not recursive; a directory that does not exist
    has none), each file once, in name order (position, then time)."""
    seen: dict[Path, Path] = {}
    for directory in directories:
        if directory.is_dir():
            for path in directory.glob(CHECKPOINT_GLOB):
                seen.setdefault(path.resolve(), path)
    return sorted(seen.values(), key=lambda p: (p.name, str(p)))


def load_checkpoint(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        return parse_checkpoint(data)
    except ValueError as error:
        raise CheckpointError(str(error)) from None


def post_checkpoint(url: str, checkpoint: Checkpoint, timeout: float = WEBHOOK_TIMEOUT) -> str | None:
    """POST the checkpoint as JSON to ``url`` (http or https); None when the receiver took it (2xx),
    else what went wrong. Never raises: a copy sent elsewhere is a second anchor, not a precondition."""
    problem = resolved_problem(url)  # the channels' rules: no metadata, loopback or private address unless allowed
    if problem:
        return problem
    try:
        response = httpx.post(url, content=checkpoint_text(checkpoint), headers={"Content-Type": "application/json"}, timeout=timeout)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if not response.is_success:
        return f"HTTP {response.status_code}"
    return None


# ----------------------------------------------------------------------------- verification


@dataclass
class CheckpointFinding:
    """One checkpoint file as verification found it. ``kind``: ``anchored`` (good), ``unreadable``,
    ``signature`` (bad or unknown key), ``truncated`` (the log ends before its position), ``rewritten``
    (another hash or Merkle root at its position), ``unchecked`` (the chain breaks before its position)."""

    file: str
    position: int | None
    ok: bool
    kind: str
    problem: str | None = None


@dataclass
class AnchoredReport:
    """The chain's verification (the fields of ``VerifyReport``) and the checkpoints'.

    ``ok``: the chain is intact, every stream's versions are contiguous, every checkpoint found checks
    out, and — with ``require_checkpoint`` — at least one does when the log has events."""

    ok: bool
    checked: int
    head_position: int
    head_hash: str
    bad_position: int | None = None
    reason: str | None = None
    version_break: VersionBreak | None = None
    checkpoints_checked: int = 0
    anchored_position: int = 0  # the newest position a good checkpoint anchors
    not_anchored: int = 0  # events after it
    missing_checkpoint: bool = False  # events, but no good checkpoint found
    require_checkpoint: bool = False
    merkle_root: str | None = None  # over 1..head_position, when the chain is intact
    checkpoints: list[CheckpointFinding] = field(default_factory=list)

    @property
    def chain_ok(self) -> bool:
        return self.bad_position is None

    @property
    def chain_intact(self) -> bool:
        return self.bad_position is None or (self.version_break is not None and self.bad_position == self.version_break.position)

    @property
    def failed_checkpoints(self) -> list[CheckpointFinding]:
        return [finding for finding in self.checkpoints if not finding.ok]


def verify_anchored(
    audit_log: AuditLog,
    directories: Sequence[Path],
    keys: dict[str, TrustedKey],
    *,
    require_checkpoint: bool = False,
    batch: int = 1000,
) -> AnchoredReport:
    """Walk the chain once and check every checkpoint in ``directories`` against it (see the module doc)."""
    findings: list[CheckpointFinding] = []
    at: dict[int, list[tuple[CheckpointFinding, Checkpoint]]] = {}
    for path in checkpoint_files(directories):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            findings.append(CheckpointFinding(str(path), None, False, "unreadable", str(error)))
            continue
        problem = signature_problem(checkpoint, keys)
        finding = CheckpointFinding(str(path), checkpoint.position, problem is None, "signature" if problem else "anchored", problem)
        findings.append(finding)
        if problem is None:
            at.setdefault(checkpoint.position, []).append((finding, checkpoint))

    def rewritten(finding: CheckpointFinding, problem: str) -> None:
        finding.ok, finding.kind, finding.problem = False, "rewritten", problem

    for finding, checkpoint in at.get(0, []):
        if checkpoint.head_hash != GENESIS_HASH or checkpoint.merkle_root != EMPTY_ROOT.hex():
            rewritten(finding, "a checkpoint of the empty log must have the genesis hash and the empty root")

    accumulator = Accumulator()

    def on_row(position: int, row_hash: str) -> None:
        accumulator.add(bytes.fromhex(row_hash))
        for finding, checkpoint in at.get(position, ()):
            if row_hash != checkpoint.head_hash:
                rewritten(
                    finding, f"the event at position {position} has hash {row_hash}, the checkpoint anchors {checkpoint.head_hash}"
                )
            elif accumulator.root().hex() != checkpoint.merkle_root:
                computed = accumulator.root().hex()
                rewritten(
                    finding, f"the Merkle root over events 1..{position} is {computed}, the checkpoint's is {checkpoint.merkle_root}"
                )

    chain = audit_log.verify(batch, on_row)
    for position, anchored in at.items():
        if position <= chain.head_position:
            continue
        for finding, _ in anchored:
            finding.ok = False
            if chain.chain_intact:
                finding.kind = "truncated"
                finding.problem = f"the checkpoint anchors position {position}, but the log ends at {chain.head_position}"
            else:
                finding.kind = "unchecked"
                finding.problem = f"not checked: the chain breaks at position {chain.bad_position}, before {position}"
    return anchored_report(chain, findings, accumulator, require_checkpoint)


def anchored_report(
    chain: VerifyReport, findings: list[CheckpointFinding], accumulator: Accumulator, require_checkpoint: bool
) -> AnchoredReport:
    good = [f.position for f in findings if f.ok and f.position is not None]
    anchored = max(good, default=0)
    missing = chain.head_position > 0 and not any(position > 0 for position in good)
    ok = chain.ok and all(f.ok for f in findings) and not (require_checkpoint and missing)
    intact = chain.chain_intact
    return AnchoredReport(
        ok=ok,
        checked=chain.checked,
        head_position=chain.head_position,
        head_hash=chain.head_hash,
        bad_position=chain.bad_position,
        reason=chain.reason,
        version_break=chain.version_break,
        checkpoints_checked=len(findings),
        anchored_position=anchored,
        not_anchored=max(0, chain.head_position - anchored),
        missing_checkpoint=missing,
        require_checkpoint=require_checkpoint,
        merkle_root=accumulator.root().hex() if intact and accumulator.size == chain.head_position else None,
        checkpoints=findings,
    )


# ----------------------------------------------------------------------------- taking a checkpoint


@dataclass
class CheckpointTaken:
    report: AnchoredReport  # the verification that came first
    checkpoint: Checkpoint | None = None  # None: the verification failed, or the log is empty
    file: str | None = None
    webhook_error: str | None = None  # the copy sent to PDCA_CHECKPOINT_WEBHOOK did not arrive


def sign_head(
    anchoring: Anchoring, position: int, head_hash: str, merkle_root: str, now: datetime | None = None
) -> tuple[Checkpoint, Path]:
    """Sign and write a checkpoint of the given head with the audit key (created on first use)."""
    store = KeyStore(anchoring.key_dir)
    try:
        store.ensure(anchoring.algorithm)
        key = store.signing_key()
    except (KeyStoreError, OSError) as error:
        raise CheckpointError(f"audit keys in {anchoring.key_dir}: {error}") from None
    checkpoint = make_checkpoint(position, head_hash, merkle_root, now or datetime.now(UTC), key.kid, key.alg, key.private)
    try:
        path = write_checkpoint(anchoring.checkpoint_dir, checkpoint)
    except OSError as error:
        raise CheckpointError(f"cannot write a checkpoint to {anchoring.checkpoint_dir}: {error.strerror or error}") from None
    return checkpoint, path


def take_checkpoint(
    audit_log: AuditLog,
    anchoring: Anchoring,
    extra_directories: Sequence[Path] = (),
    now: datetime | None = None,
) -> CheckpointTaken:
    """Verify the chain against every checkpoint (``anchoring.checkpoint_dir`` and ``extra_directories``),
    and only when all is well sign its head. An empty log has nothing to anchor. The webhook, when set,
    gets a copy; its failure is reported, never raised."""
    keys = trusted_audit_keys(anchoring.key_dir)
    report = verify_anchored(audit_log, [anchoring.checkpoint_dir, *extra_directories], keys)
    taken = CheckpointTaken(report)
    if not report.ok or report.head_position == 0 or report.merkle_root is None:
        return taken
    checkpoint, path = sign_head(anchoring, report.head_position, report.head_hash, report.merkle_root, now)
    taken.checkpoint, taken.file = checkpoint, str(path)
    if anchoring.webhook:
        taken.webhook_error = post_checkpoint(anchoring.webhook, checkpoint)
    return taken


# ----------------------------------------------------------------------------- inclusion proofs


def proof_event(row: AuditEvent) -> ProofEvent:
    return ProofEvent(
        position=row.position,
        event_id=row.event_id,
        stream_id=row.stream_id,
        version=row.version,
        event_type=row.event_type,
        actor=row.actor,
        policy_version=row.policy_version,
        recorded_at=format_utc(row.recorded_at),
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def newest_checkpoint(directories: Sequence[Path], keys: dict[str, TrustedKey], at_least: int) -> tuple[Path, Checkpoint] | None:
    """The checkpoint with the highest position ≥ ``at_least`` (then the latest time) whose signature checks."""
    best: tuple[Path, Checkpoint] | None = None
    for path in checkpoint_files(directories):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError:
            continue
        if checkpoint.position < at_least or signature_problem(checkpoint, keys):
            continue
        if best is None or (checkpoint.position, checkpoint.time) > (best[1].position, best[1].time):
            best = (path, checkpoint)
    return best


def build_proof(
    audit_log: AuditLog, position: int, directories: Sequence[Path], keys: dict[str, TrustedKey], batch: int = 1000
) -> InclusionProof:
    """An inclusion proof of the event at ``position`` against the newest checkpoint that anchors it."""
    if position < 1:
        raise CheckpointError("positions start at 1")
    newest = newest_checkpoint(directories, keys, position)
    if newest is None:
        raise CheckpointError(f"no checkpoint anchors position {position} yet: take one (`pdca audit checkpoint`) and try again")
    path, checkpoint = newest
    leaves: list[bytes] = []
    target: AuditEvent | None = None
    after = 0
    while after < checkpoint.position:
        rows = audit_log.read_all(after, min(batch, checkpoint.position - after))
        if not rows:
            break
        for row in rows:
            if row.position != len(leaves) + 1:
                raise CheckpointError(f"position {len(leaves) + 1} is missing from the log: run `pdca audit verify`")
            leaves.append(bytes.fromhex(row.hash))
            if row.position == position:
                target = row
        after = rows[-1].position
    if len(leaves) < checkpoint.position or target is None:
        raise CheckpointError(
            f"the log ends at {len(leaves)}, but checkpoint {path} anchors {checkpoint.position}: run `pdca audit verify`"
        )
    if leaves[-1].hex() != checkpoint.head_hash or root(leaves).hex() != checkpoint.merkle_root:
        raise CheckpointError(f"the log no longer matches checkpoint {path}: run `pdca audit verify`")
    audit_path = [step.hex() for step in inclusion_proof(leaves, position - 1)]
    return InclusionProof(
        event=proof_event(target),
        leaf_index=position - 1,
        tree_size=checkpoint.position,
        audit_path=audit_path,
        checkpoint=checkpoint,
    )
