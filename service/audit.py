"""The audit trail and its database: verify the hash chain against the signed checkpoints, take a
checkpoint, prove one event's inclusion, rebuild the ledgers, migrate the schema, schedule the daily
verification. Database errors are the ``Deps``' (a schema not migrated yet is ``Refused``, a database that
cannot be reached ``Unavailable``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from domain.audit.checkpoint import InclusionProof, proof_problems
from domain.identity import TrustedKey
from service.bootstrap import Deps
from service.errors import Refused
from settings import get_settings
from store.checkpoints import (
    AnchoredReport,
    Anchoring,
    CheckpointError,
    CheckpointTaken,
    audit_public_key_file,
    build_proof,
    read_public_key,
    take_checkpoint,
    trusted_audit_keys,
    verify_anchored,
)


def anchoring(deps: Deps) -> Anchoring:
    """Where checkpoints go and the audit key that signs them, from the settings."""
    settings = deps.settings
    return Anchoring(
        checkpoint_dir=settings.checkpoints_path,
        key_dir=settings.audit_key_path,
        algorithm=settings.signature_algorithm,
        webhook=settings.checkpoint_webhook,
    )


def _keys(deps: Deps, key_files: Sequence[Path]) -> dict[str, TrustedKey]:
    try:
        return trusted_audit_keys(deps.settings.audit_key_path, key_files)
    except CheckpointError as error:
        raise Refused(str(error)) from None


def verify(
    deps: Deps,
    checkpoint_dirs: Sequence[Path] = (),
    key_files: Sequence[Path] = (),
    require_checkpoint: bool = False,
) -> AnchoredReport:
    """Walk the hash chain and every stream's versions, and check every checkpoint found in
    PDCA_CHECKPOINT_DIR and ``checkpoint_dirs`` (copies held elsewhere): signed by a trusted audit key
    (``key_files``, else the keys in PDCA_AUDIT_KEY_DIR), the log still reaching its position with the
    same head hash and Merkle root. ``require_checkpoint``: a log with events but no good checkpoint fails."""
    keys = _keys(deps, key_files)
    directories = [deps.settings.checkpoints_path, *checkpoint_dirs]
    return deps.reading(lambda _engine: verify_anchored(deps.audit_log, directories, keys, require_checkpoint=require_checkpoint))


def checkpoint(deps: Deps, checkpoint_dirs: Sequence[Path] = ()) -> CheckpointTaken:
    """Verify (as ``verify``, against the checkpoints so far) and, when all is well, sign the chain head
    into a new checkpoint file in PDCA_CHECKPOINT_DIR (and POST it to PDCA_CHECKPOINT_WEBHOOK if set).
    A failed verification comes back with no checkpoint; an empty log is ``Refused``."""

    def take(_engine: object) -> CheckpointTaken:
        try:
            return take_checkpoint(deps.audit_log, anchoring(deps), checkpoint_dirs)
        except CheckpointError as error:
            raise Refused(str(error)) from None

    taken = deps.reading(take)
    if taken.report.ok and taken.report.head_position == 0:
        raise Refused("the audit log is empty: nothing to anchor yet")
    return taken


def prove(deps: Deps, position: int, out: Path | None = None, checkpoint_dirs: Sequence[Path] = ()) -> InclusionProof:
    """An inclusion proof of the event at ``position`` against the newest checkpoint anchoring it,
    written to ``out`` when given."""
    keys = _keys(deps, ())
    directories = [deps.settings.checkpoints_path, *checkpoint_dirs]

    def build(_engine: object) -> InclusionProof:
        try:
            return build_proof(deps.audit_log, position, directories, keys)
        except CheckpointError as error:
            raise Refused(str(error)) from None

    proof = deps.reading(build)
    if out is not None:
        try:
            out.write_text(json.dumps(proof.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise Refused(f"cannot write the proof to {out}: {error.strerror or error}") from None
    return proof


@dataclass
class ProofCheck:
    """``pdca audit check-proof``: an inclusion proof checked offline (no database)."""

    file: str
    position: int | None = None
    stream_id: str | None = None
    version: int | None = None
    event_type: str | None = None
    checkpoint_position: int | None = None
    checkpoint_time: str | None = None
    key_id: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_proof(file: Path, key_files: Sequence[Path] = (), key_dir: Path | None = None) -> ProofCheck:
    """Check the proof in ``file`` with the audit public keys in ``key_files`` (else the trusted ones in
    ``key_dir``, PDCA_AUDIT_KEY_DIR): the checkpoint's signature, the event's hash, its audit path to the checkpoint's root."""
    from pydantic import ValidationError

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise Refused(f"cannot read {file}: {error.strerror or error}") from None
    except ValueError as error:
        raise Refused(f"{file} is not JSON: {error}") from None
    try:
        proof = InclusionProof.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise Refused(f"{file} is not an audit inclusion proof: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    try:
        keys = trusted_audit_keys(key_dir or get_settings().audit_key_path, key_files)
    except CheckpointError as error:
        raise Refused(str(error)) from None
    event, cp = proof.event, proof.checkpoint
    return ProofCheck(
        file=str(file),
        position=event.position,
        stream_id=event.stream_id,
        version=event.version,
        event_type=event.event_type,
        checkpoint_position=cp.position,
        checkpoint_time=cp.time,
        key_id=cp.key_id,
        problems=proof_problems(proof, keys),
    )


def rebuild(deps: Deps) -> int:
    """Rebuild every projection (case ledger, measure and problem ledgers, projects, campaigns) from the
    log; the number of streams (cases, projects and campaigns) whose ledgers were rebuilt."""
    from store.projections import reset_projections

    return deps.reading(lambda _engine: deps.audit_log.rebuild_projections(reset_projections))


def migrate(deps: Deps, app_role: str | None = None) -> str:
    """Create or upgrade the audit database schema as ``deps``' role (on PostgreSQL the owner: build
    ``deps`` with ``settings.migration_url``), then grant ``app_role`` (else PDCA_DATABASE_APP_ROLE) least
    privilege (store/privileges.py); the database's URL, password masked. An app role that could still
    switch the protection off, or a role that may not migrate, is ``Refused``."""
    from settings.errors import InputError
    from store.db import display_url
    from store.migrate import upgrade

    role = app_role or deps.settings.database_app_role
    try:
        with deps.database(create=True) as engine:
            upgrade(engine, app_role=role)
    except InputError as error:  # SchemaBehind, LeastPrivilegeError
        raise Refused(error.message) from None
    return display_url(deps.database_url)


async def schedule_verification(deps: Deps, hour: int = 2) -> bool:
    """The daily hash-chain verification Schedule at ``hour``:00 Beijing time: True if created, False
    if it existed."""
    from service.schedules import ensure_audit_verification

    return await ensure_audit_verification(await deps.client(), deps.task_queue, hour, timeout=deps.timeout)


@dataclass
class SignatureReport:
    """``pdca audit verify --signatures``: every personal signature in the log, checked offline."""

    checked: int = 0  # events that carry a personal signature
    problems: list[str] = field(default_factory=list)  # "<stream> v<version> <type>: what is wrong"

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_signatures(deps: Deps) -> SignatureReport:
    """Check every event's personal signature against the key the people directory registered for the
    person who acted (by fingerprint): the digest is the signed document's, the signature verifies, the
    document names this stream, and the key is one the directory registered to that person."""
    from domain.errors import DomainError
    from domain.identity import PersonalSignature
    from domain.identity.signatures import verify_command_signature
    from service.signin import read_directory

    report = SignatureReport()
    people = read_directory(deps).people  # every key each person ever registered

    def check(_engine: object) -> None:
        log = deps.audit_log
        position = 0
        while True:
            rows = log.read_all(after_position=position)
            if not rows:
                break
            for row in rows:
                position = row.position
                proof = json.loads(row.payload).get("proof")
                signature = (proof or {}).get("signature")
                if not signature:
                    continue
                report.checked += 1
                where = f"{row.stream_id} v{row.version} {row.event_type}"
                try:
                    parsed = PersonalSignature.model_validate(signature)
                    document = parsed.document or {}
                    if document.get("stream") != row.stream_id:
                        report.problems.append(f"{where}: the signed command names stream {document.get('stream')!r}")
                        continue
                    person = people.get(row.actor)
                    key = next((k for k in person.keys if k.fingerprint == parsed.key), None) if person else None
                    if key is None:
                        report.problems.append(f"{where}: key {parsed.key} is not registered to {row.actor} in the people directory")
                        continue
                    verify_command_signature(parsed, document, key, row.actor)
                except DomainError as error:
                    report.problems.append(f"{where}: {error.message}")
                except ValueError as error:
                    report.problems.append(f"{where}: malformed signature ({error})")

    deps.reading(check)
    return report


@dataclass
class AuditKey:
    """``pdca audit key``: the audit public key that signs new checkpoints (copy it off the host)."""

    kid: str
    alg: str
    public: str
    file: str


def audit_key(deps: Deps) -> AuditKey:
    """The current audit public key in PDCA_AUDIT_KEY_DIR, created (PDCA_SIGNATURE_ALGORITHM) if there is none."""
    try:
        path = audit_public_key_file(deps.settings.audit_key_path, deps.settings.signature_algorithm)
        key = read_public_key(path)
    except CheckpointError as error:
        raise Refused(str(error)) from None
    return AuditKey(kid=key.kid, alg=key.alg, public=key.public, file=str(path))
