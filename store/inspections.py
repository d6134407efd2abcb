"""Inspections (明察暗访、专项抽查、观摩): the projection of ``insp-`` streams and the reads others use.

    referred_to_designation(engine, year) -> {org_code: ["insp-2027-001/F2: 明察暗访发现…", …]}
        the findings referred to ``year``'s designation as direct criteria (the designation reads them)
    findings_of(engine, org_code=None, status=None) -> list[InspectionFinding]
    inspection_summaries(engine, year=None, stage=None) -> list[InspectionSummary]
    next_number(engine, year) -> int      the next free inspection number of the year

The projection folds with the inspection decider inside the append transaction, incrementally
(store/incremental.py), like the project ledgers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.inspection import DECIDER, VISIT_KIND_NAMES, FindingStatus, InspectionState, VisitKind, finding_reference
from store.incremental import Ledger, Rows, StreamProjection
from store.inspection_models import InspectionFinding, InspectionSummary
from store.models import AuditEvent

INSPECTION_TABLES = (InspectionSummary, InspectionFinding)


def _summary_row(state: InspectionState, last: AuditEvent) -> dict[str, Any]:
    count = {status: sum(f.status == status for f in state.findings) for status in FindingStatus}
    return {
        "year": state.year,
        "kind": state.kind.value if state.kind else "",
        "visited_on": state.visited_on,
        "announced": state.announced,
        "title": state.title,
        "inspector": state.inspector,
        "companions": json.dumps(state.companions, ensure_ascii=False),
        "org_codes": json.dumps([o.code for o in state.orgs], ensure_ascii=False),
        "region": state.region,
        "stage": state.stage.value,
        "findings_total": len(state.findings),
        "findings_open": count[FindingStatus.OPEN],
        "findings_to_case": count[FindingStatus.CASE],
        "findings_to_designation": count[FindingStatus.DESIGNATION],
        "findings_closed": count[FindingStatus.CLOSED],
        "recorded_at": state.recorded_at,
        "closed_at": state.closed_at,
        "last_event_at": last.recorded_at,
        "version": state.version,
        "position": last.position,
        "policy_version": state.policy_version,
    }


def _finding_rows(state: InspectionState) -> tuple[Rows]:
    return (
        {
            (f.finding_id,): {
                "org_code": f.org_code,
                "category": f.category,
                "description": f.description,
                "status": f.status.value,
                "case_id": f.case_id,
                "designation_year": f.designation_year,
                "note": f.note,
                "recorded_at": f.recorded_at,
                "disposed_at": f.disposed_at,
                "disposed_by": f.disposed_by,
            }
            for f in state.findings
        },
    )


# The inspection projector (store/incremental.py: only the new events are folded, only changed rows written).
INSPECTIONS: StreamProjection[InspectionState] = StreamProjection(
    DECIDER,
    InspectionSummary.__table__,  # type: ignore[attr-defined]
    "inspection_id",
    [Ledger(InspectionFinding.__table__, "inspection_id", ("finding_id",))],  # type: ignore[attr-defined]
    _summary_row,
    _finding_rows,
)


def project_inspections(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    INSPECTIONS(session, stream_id, rows)


def reset_inspection_projections(session: Session) -> None:
    for table in INSPECTION_TABLES:
        session.exec(delete(table))


# ----------------------------------------------------------------------------- reads


def referred_to_designation(engine: Engine, year: int) -> dict[str, list[str]]:
    """Org code → the findings referred to ``year``'s designation, each as ``insp-2027-001/F2: 明察暗访发现…``
    (in inspection and finding order). The designation reads these as direct criteria."""
    query = (
        select(InspectionFinding, InspectionSummary.kind)
        .join(InspectionSummary, col(InspectionSummary.inspection_id) == col(InspectionFinding.inspection_id))
        .where(InspectionFinding.status == FindingStatus.DESIGNATION.value, InspectionFinding.designation_year == year)
    )
    found: dict[str, list[tuple[str, int, str]]] = {}
    with Session(engine) as session:
        for finding, kind in session.exec(query):
            words = VISIT_KIND_NAMES.get(VisitKind(kind), kind) if kind else "检查"
            text = f"{finding_reference(finding.inspection_id, finding.finding_id)}: {words}发现{finding.description}"
            number = int(finding.finding_id.removeprefix("F")) if finding.finding_id.removeprefix("F").isdigit() else 0
            found.setdefault(finding.org_code, []).append((finding.inspection_id, number, text))
    return {org: [text for _, _, text in sorted(items)] for org, items in sorted(found.items())}


def findings_of(engine: Engine, org_code: str | None = None, status: str | None = None) -> list[InspectionFinding]:
    with Session(engine) as session:
        query = select(InspectionFinding).order_by(col(InspectionFinding.inspection_id), col(InspectionFinding.recorded_at))
        if org_code is not None:
            query = query.where(InspectionFinding.org_code == org_code)
        if status is not None:
            query = query.where(InspectionFinding.status == status)
        return list(session.exec(query))


def inspection_summaries(engine: Engine, year: int | None = None, stage: str | None = None) -> list[InspectionSummary]:
    with Session(engine) as session:
        query = select(InspectionSummary).order_by(InspectionSummary.inspection_id)
        if year is not None:
            query = query.where(InspectionSummary.year == year)
        if stage is not None:
            query = query.where(InspectionSummary.stage == stage)
        return list(session.exec(query))


def next_number(engine: Engine, year: int) -> int:
    """The number after the year's highest recorded one (1 for the year's first inspection)."""
    prefix = f"insp-{year}-"
    with Session(engine) as session:
        ids = session.exec(select(InspectionSummary.inspection_id).where(col(InspectionSummary.inspection_id).startswith(prefix)))
        numbers = [int(i.removeprefix(prefix)) for i in ids if i.removeprefix(prefix).isdigit()]
    return max(numbers, default=0) + 1
