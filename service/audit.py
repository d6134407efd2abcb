"""The audit trail and its database: verify the hash chain, rebuild the ledgers, migrate the schema,
schedule the daily verification. Database errors are the ``Deps``' (a schema not migrated yet is
``Refused``, a database that cannot be reached ``Unavailable``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from service.bootstrap import Deps
from service.errors import Refused
from store.eventlog import VerifyReport


def verify(deps: Deps, digest_file: Path | None = None) -> VerifyReport:
    """Walk the hash chain; when it is intact and ``digest_file`` is given, write the head digest there
    (``<position> <hash>``) to anchor it outside the database. A file that cannot be written is ``Refused``."""
    report = deps.reading(lambda _engine: deps.audit_log.verify())
    if digest_file and report.ok:
        try:
            digest_file.write_text(f"{report.head_position} {report.head_hash}\n", encoding="utf-8")
        except OSError as error:
            raise Refused(f"cannot write the digest to {digest_file}: {error.strerror or error}") from None
    return report


def rebuild(deps: Deps) -> int:
    """Rebuild every projection (case ledger, measure and problem ledgers, projects, campaigns) from the
    log; the number of streams (cases, projects and campaigns) whose ledgers were rebuilt."""
    from store.projections import reset_projections

    return deps.reading(lambda _engine: deps.audit_log.rebuild_projections(reset_projections))


def migrate(deps: Deps) -> str:
    """Create or upgrade the audit database schema; the database's URL, password masked."""
    from store.db import display_url
    from store.migrate import upgrade

    with deps.database(create=True) as engine:
        upgrade(engine)
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
