"""Star ratings (评星定级): the projection of ``star-`` streams and the reads others use.

    project_ratings(session, stream_id, rows)       the rating_summary row, and the decided level written
                                                    to the organization's year in the directory (star)
    rating_facts(engine, org_code, year)            what a rating opens with (the workflow reads it)
    source_org(engine, source)                      the organization a case or inspection finding concerns
    rating_summaries(engine, year=, region=, ...)   rows of the ledger
    downgraded(engine, year)                        org code → the reasons a level of ``year`` was lowered

The projection folds with the rating decider inside the append transaction, incrementally
(store/incremental.py), like the inspection ledger.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.directory import OrgDomain
from domain.rating import DECIDER, RatingState
from store.directory import Directory, write_outcome
from store.incremental import StreamProjection
from store.inspection_models import InspectionFinding
from store.models import AuditEvent, CaseSummary
from store.rating_models import RatingSummary

RATING_TABLES = (RatingSummary,)


def _summary_row(state: RatingState, last: AuditEvent) -> dict[str, Any]:
    own, review = state.self_assessment, state.review
    return {
        "org_code": state.org_code,
        "org_name": state.org_name,
        "region": state.region,
        "domain": state.domain.value if state.domain else None,
        "year": state.year,
        "stage": state.stage.value,
        "standard": state.standard,
        "self_total": own.total if own else None,
        "self_level": own.level if own else None,
        "review_total": review.total if review else None,
        "review_level": state.review_level,
        "approved_level": state.approved_level,
        "decided_level": state.decided_level,
        "level": state.level,
        "previous_level": state.previous_level,
        "upgrade_level": state.upgrade_level,
        "upgrade_cases": json.dumps(state.upgrade_cases, ensure_ascii=False),
        "veto_items": json.dumps(sorted(state.vetoed), ensure_ascii=False),
        "downgrades": state.downgrades,
        "returns": state.returns,
        "objections": len(state.objections),
        "objections_open": len(state.open_objections()),
        "publicity_ends": state.publicity_ends,
        "decided_at": state.decided_at,
        "opened_at": state.opened_at,
        "last_event_at": last.recorded_at,
        "version": state.version,
        "position": last.position,
        "policy_version": state.policy_version,
    }


RATINGS: StreamProjection[RatingState] = StreamProjection(
    DECIDER,
    RatingSummary.__table__,  # type: ignore[attr-defined]
    "rating_id",
    [],
    _summary_row,
    lambda state: (),
)
# the events after which the rating's level is the organization's star level of its year (store.directory)
WRITE_BACK_EVENTS = frozenset({"RatingDecided", "VetoEventRecorded"})


def project_ratings(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    RATINGS(session, stream_id, rows)
    if DECIDER.owns(stream_id) and any(row.event_type in WRITE_BACK_EVENTS for row in rows):
        summary = session.get(RatingSummary, stream_id)
        if summary is not None and summary.level is not None:
            # the directory's star of the year is the decided level: the designation reads it (star_below)
            write_outcome(session.connection(), summary.org_code, summary.year, star=summary.level)


def reset_rating_projections(session: Session) -> None:
    for table in RATING_TABLES:
        session.exec(delete(table))


# ----------------------------------------------------------------------------- what a rating opens with


class RatingFacts(BaseModel):
    """What the directory and the audit log hold for an organization's rating of a year (``found`` False:
    the organization is not in the directory)."""

    found: bool
    name: str = ""
    region: str = ""
    domain: OrgDomain | None = None
    previous_level: int | None = None  # last year's star (the directory's, whether imported or rated)
    upgrade_cases: list[str] = Field(default_factory=list)  # cases closed 晋位升级 since last year
    open_cases: list[str] = Field(default_factory=list)  # the rating year's own cases (designated that year)


def rating_facts(engine: Engine, org_code: str, year: int) -> RatingFacts:
    directory = Directory(engine)
    org = directory.organization(org_code)
    if org is None:
        return RatingFacts(found=False)
    previous = next((a.star for a in directory.assessments(year=year - 1, org_code=org_code)), None)
    with Session(engine) as session:
        cases = list(session.exec(select(CaseSummary).where(CaseSummary.org_code == org_code, CaseSummary.kind == "rectification")))
    upgrade = sorted(
        c.case_id
        for c in cases
        if c.stage == "closed" and c.outcome == "upgraded" and c.closed_at is not None and c.closed_at.year >= year - 1
    )
    own = sorted(c.case_id for c in cases if c.year == year)
    return RatingFacts(
        found=True, name=org.name, region=org.region, domain=org.domain, previous_level=previous, upgrade_cases=upgrade, open_cases=own
    )


def source_org(engine: Engine, source: str) -> str:
    """The organization a veto event's source concerns: a case (``rect-…``) or an inspection finding
    (``insp-2027-001/F2``); "" when the audit log's ledgers hold no such source."""
    with Session(engine) as session:
        if source.startswith("rect-"):
            case = session.get(CaseSummary, source)
            return case.org_code if case is not None else ""
        if source.startswith("insp-") and "/" in source:
            inspection_id, _, finding_id = source.partition("/")
            finding = session.get(InspectionFinding, (inspection_id, finding_id))
            return finding.org_code if finding is not None else ""
    return ""


# ----------------------------------------------------------------------------- reads


def rating_summaries(
    engine: Engine, *, year: int | None = None, region: str | None = None, stage: str | None = None, org_code: str | None = None
) -> list[RatingSummary]:
    with Session(engine) as session:
        query = select(RatingSummary).order_by(col(RatingSummary.region), col(RatingSummary.org_code), col(RatingSummary.year))
        if year is not None:
            query = query.where(RatingSummary.year == year)
        if region is not None:
            query = query.where(RatingSummary.region == region)
        if stage is not None:
            query = query.where(RatingSummary.stage == stage)
        if org_code is not None:
            query = query.where(RatingSummary.org_code == org_code)
        return list(session.exec(query))


def downgraded(engine: Engine, years: Sequence[int]) -> dict[str, list[str]]:
    """Org code → the ratings of ``years`` whose decided level a veto event lowered (降星), each as
    ``star-V001-2027: 降星 4→1（discipline）``, for the designation (ReasonCode.STAR_DOWNGRADED)."""
    found: dict[str, list[str]] = {}
    with Session(engine) as session:
        query = (
            select(RatingSummary)
            .where(col(RatingSummary.year).in_(sorted(set(years))), col(RatingSummary.downgrades) > 0)
            .order_by(col(RatingSummary.org_code), col(RatingSummary.year))
        )
        for row in session.exec(query):
            items = "、".join(json.loads(row.veto_items))
            found.setdefault(row.org_code, []).append(f"{row.rating_id}: 降星 {row.decided_level}→{row.level}（{items}）")
    return found


def veto_sources(engine: Engine, year: int) -> dict[str, list[str]]:
    """Rating id → sources recorded since its level was decided that count as a veto (``pdca rating
    sync``): the organization's rectification cases opened after the decision, and its inspection
    findings referred to a designation after it (列入认定). Only ratings in dynamic management (rated) are
    considered; sources already recorded on a rating are listed too (service.ratings.sync skips them)."""
    found: dict[str, list[str]] = {}
    with Session(engine) as session:
        rated = list(session.exec(select(RatingSummary).where(RatingSummary.year == year, RatingSummary.stage == "rated")))
        for row in rated:
            if row.decided_at is None:
                continue
            cases = session.exec(
                select(CaseSummary.case_id).where(
                    CaseSummary.org_code == row.org_code, CaseSummary.kind == "rectification", col(CaseSummary.opened_at) > row.decided_at
                )
            )
            findings = session.exec(
                select(InspectionFinding).where(
                    InspectionFinding.org_code == row.org_code,
                    InspectionFinding.status == "designation",
                    col(InspectionFinding.disposed_at) > row.decided_at,
                )
            )
            sources = sorted(cases) + [f"{f.inspection_id}/{f.finding_id}" for f in findings]
            if sources:
                found[row.rating_id] = sources
    return found
