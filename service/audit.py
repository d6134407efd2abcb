"""The audit trail and its database: verify the hash chain, rebuild the ledgers, migrate the schema,
schedule the daily verification. Database errors are the ``Deps``' (a schema not migrated yet is
``Refused``, a database that cannot be reached ``Unavailable``)."""

from __future__ import annotations

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
