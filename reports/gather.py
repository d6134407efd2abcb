"""Data gathering for reports: read the audit database (projections and the log), no rules.

Cases are re-folded from their audit events up to ``as_of`` with the domain's own ``evolve``, so a
bulletin "as of 30 June" shows each case as it stood then even when it is printed in November, and
each measure gets the time it was completed (``completed_at``), which the projections do not keep.
The time that counts is the event's own ``at`` (the workflow's clock), not ``recorded_at``.

The same fold (``trail_case``) keeps what the case's state forgets: every acceptance round with its
verdict (得分不达标 / 群众满意度否决), every rework order (限期重新整改), each measure's original
deadline and every move of it (rework, extension, pause), and the whole progress history of each
measure (every report and completion: when, who, note, evidence) — a rework re-plans the measures and
the state starts them again from nothing, the ledgers do not — and the adjustments carried out
(``AdjustmentExecuted``: 组织调整 / 诫勉谈话 executed) and the inspection findings taken in
(``FindingsRecorded``).

Secretary projects come from the ``project_summary`` projection and directory assessments from the
directory's ``assessment`` table, read through ``store.queries`` like every other table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from store import queries
from store import ratings as ratings_store
from store.models import AuditEvent


class CaseRow(BaseModel):
    """A case as it stood at ``as_of``: the attributes of ``store.models.CaseSummary``, plus what the
    fold counts over the case's whole life (acceptance rounds, failures by reason, reworks …)."""

    case_id: str
    kind: str = "rectification"
    org_code: str
    org_name: str
    region: str
    year: int
    stage: str
    cycle: int = 1
    measures_total: int = 0
    measures_done: int = 0
    overdue_measures: int = 0
    escalations: int = 0
    sanction_proposals: int = 0  # proposals raised (诫勉谈话, 组织调整 …), whatever their status
    sanctions_pending: int = 0  # of which still awaiting a decision at as_of
    overdue: bool = False
    next_due: datetime | None = None
    outcome: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    last_event_at: datetime | None = None
    acceptance_rounds: int = 0  # 验收轮次: every AcceptanceRecorded, all cycles
    acceptances_passed: int = 0
    failed_score: int = 0  # 得分不达标
    failed_satisfaction: int = 0  # 群众满意度否决
    reworks: int = 0  # 限期重新整改: every ReworkOrdered
    executions: int = 0  # adjustments carried out (AdjustmentExecuted)
    findings: int = 0  # inspection findings taken into the case (FindingsRecorded, one per finding)


class MeasureRow(BaseModel):
    """A measure of a case's current plan at ``as_of``, with when it was completed."""

    case_id: str
    measure_id: str
    cycle: int
    description: str
    problems: str
    responsible: str
    deadline: datetime
    done: bool
    completed_at: datetime | None = None
    completed_by: str | None = None
    overdue: bool = False  # the overdue notice fired and the measure is still open
    progress_reports: int = 0  # every progress report on the measure, reworks included
    reminders: str = ""
    escalations: str = ""
    original_deadline: datetime | None = None  # the deadline of the approved plan, before any move
    deadline_changes: int = 0  # moves since: rework orders, extensions, resumed pauses
    reworks: int = 0
    partners: str = ""  # pairing parties on the measure (Measure.partners), comma-separated


class AcceptanceRow(BaseModel):
    """One acceptance round (验收) as recorded."""

    case_id: str
    cycle: int
    round: int
    at: datetime
    by: str
    score: float
    unsatisfied_share: float
    verdict: str
    pass_score: float | None = None
    max_unsatisfied_share: float | None = None
    comments: str = ""
    rework_deadline: datetime | None = None  # the rework ordered with a failed round


class DeadlineMove(BaseModel):
    kind: str  # rework | extension | pause
    at: datetime
    by: str
    old_deadline: datetime | None = None
    new_deadline: datetime
    reason: str = ""

    def describe(self, lang: str = "zh") -> str:
        """``2026-06-20 重新整改 2026-05-29 24:00 → 2026-07-20 10:00`` (Beijing time)."""
        from i18n import label

        old = _stamp(self.old_deadline) or "-"
        return f"{_stamp(self.at)[:10]} {label('ledger.move.' + self.kind, lang)} {old} → {_stamp(self.new_deadline)}"


class ProgressRow(BaseModel):
    """One report on a measure: a progress report (进展) or its completion (完成)."""

    case_id: str
    measure_id: str
    cycle: int
    rework_round: int = 0  # 0: the first implementation; n: after the n-th rework order
    kind: str  # progress | completed
    at: datetime
    by: str
    note: str = ""
    evidence: str = ""  # the references given, "; "-separated
    files: str = ""  # uploaded evidence files by name, "; "-separated

    def describe(self, lang: str = "zh") -> str:
        """``2026-03-20 10:00 完成 chen.branch：已完成［证据：会议记录］`` (Beijing time)."""
        from i18n import label

        extra = "; ".join(x for x in (self.evidence, self.files) if x)
        colon, (left, right) = ("：", ("［", "］")) if lang == "zh" else (": ", (" [", "]"))
        head = f"{_stamp(self.at)} {label('ledger.report.' + self.kind, lang)} {self.by}{colon}{self.note}"
        return head + (f"{left}{label('ledger.evidence', lang)}{colon}{extra}{right}" if extra else "")


class ExecutionRow(BaseModel):
    """An adjustment carried out (AdjustmentExecuted): 组织调整 or 诫勉谈话 done, by whom, when."""

    case_id: str
    proposal_id: str = ""
    rung: str = ""
    action: str = ""
    executed_on: date | None = None
    at: datetime
    by: str
    new_secretary: str | None = None
    previous_secretary: str | None = None


class FindingRow(BaseModel):
    """A finding taken into the case as a problem (FindingsRecorded)."""

    case_id: str
    source: str = ""
    finding_id: str = ""
    category: str = ""
    description: str = ""
    at: datetime
    by: str


class RatingRow(BaseModel):
    """One star rating of the report's year as it stood at ``as_of`` (folded from its audit events)."""

    rating_id: str
    org_code: str
    org_name: str
    region: str
    stage: str
    level: int | None = None
    previous_level: int | None = None
    downgrades: int = 0
    upgrade_level: int | None = None


class ReportData(BaseModel):
    year: int
    region: str | None = None
    as_of: datetime
    cases: list[CaseRow] = Field(default_factory=list)
    measures: list[MeasureRow] = Field(default_factory=list)
    acceptances: list[AcceptanceRow] = Field(default_factory=list)
    executions: list[ExecutionRow] = Field(default_factory=list)
    findings: list[FindingRow] = Field(default_factory=list)
    projects: list[dict[str, Any]] = Field(default_factory=list)
    projects_available: bool = False
    assessments: list[tuple[str, int, int | None, Any]] | None = None
    ratings: list[RatingRow] = Field(default_factory=list)  # the year's star ratings (评星定级) as of ``as_of``


@dataclass
class _MeasureTrail:
    """What a measure went through in one cycle, beyond its current state."""

    original_deadline: datetime | None = None
    moves: list[DeadlineMove] = field(default_factory=list)
    reworks: int = 0
    reports: list[ProgressRow] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    rungs: list[str] = field(default_factory=list)
    completed: tuple[datetime, str | None] | None = None


@dataclass
class CaseTrail:
    """A case folded up to a moment, with its history: what ``trail_case`` returns."""

    case: CaseRow
    measures: list[MeasureRow]  # the current plan's, only once approved (what reports count)
    ledger: list[MeasureRow]  # every measure of every cycle's plan, approved or not (the ledger's)
    acceptances: list[AcceptanceRow]
    progress: list[ProgressRow]
    executions: list[ExecutionRow]
    findings: list[FindingRow]
    moves: dict[tuple[int, str], list[DeadlineMove]] = field(default_factory=dict)  # (cycle, measure id) -> moves
    problems: list[Any] = field(default_factory=list)  # the case's problems (domain Problem), every cycle


def _stamp(moment: datetime | None) -> str:
    from domain.timeutil import SHANGHAI

    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _name(value: Any) -> str:
    return str(getattr(value, "value", value))


def trail_case(case_id: str, rows: Sequence[AuditEvent], as_of: datetime | None = None) -> CaseTrail | None:
    """Fold a rectification stream's events with ``at <= as_of`` (all of them when None), keeping the
    case's history; None when the case did not exist yet.

    ``measures``: those of the current plan once approved — a plan still under review (or returned)
    commits nobody to its deadlines yet, so its measures are neither due nor overdue in a report.
    ``ledger``: the measures of every cycle (a relapse starts a new cycle) and of a plan under review.
    """
    from domain.rectification import EVENT_ADAPTER, INITIAL_STATE, evolve
    from domain.rectification.events import ReworkOrdered
    from store.projections import summary_fields

    state = INITIAL_STATE
    trails: dict[tuple[int, str], _MeasureTrail] = {}
    retired: list[tuple[Any, Any]] = []  # (measure state, cycle) of cycles a relapse closed
    acceptances: list[AcceptanceRow] = []
    executions: list[ExecutionRow] = []
    findings: list[FindingRow] = []
    reworks = 0  # 限期重新整改 orders, every cycle
    last_at = None

    def trail(measure_id: str) -> _MeasureTrail:
        return trails.setdefault((state.cycle, measure_id), _MeasureTrail())

    for row in rows:
        event = EVENT_ADAPTER.validate_json(row.payload)
        if as_of is not None and event.at > as_of:
            break  # streams are in version order and a case's clock only moves forward
        reworks += isinstance(event, ReworkOrdered)
        before = state
        state = evolve(state, event)
        if state.cycle != before.cycle:  # a relapse (or findings in consolidation) opened a new cycle
            retired += [(m, before.cycle) for m in before.measures]
        last_at = event.at
        _observe(event, state, case_id, trail, acceptances, executions, findings)
        for m in state.measures:
            t = trail(m.id)
            if m.done and t.completed is None:
                t.completed = (event.at, m.completed_by)
            elif not m.done:
                t.completed = None
    if state.version == 0:
        return None
    fields = summary_fields(state)
    failed = [a for a in acceptances if a.verdict != "passed"]
    case = CaseRow(
        case_id=case_id,
        org_code=state.org_code,
        org_name=state.org_name,
        region=state.region,
        year=state.year,
        stage=str(fields["stage"]),
        cycle=state.cycle,
        measures_total=int(fields["measures_total"]),
        measures_done=int(fields["measures_done"]),
        overdue_measures=int(fields["overdue_measures"]),
        escalations=sum(len(t.rungs) for t in trails.values()),
        sanction_proposals=len(getattr(state, "proposals", [])),
        sanctions_pending=len(state.pending_proposals()) if hasattr(state, "pending_proposals") else 0,
        overdue=bool(fields["overdue"]),
        next_due=fields["next_due"],
        outcome=fields["outcome"],
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        last_event_at=last_at,
        acceptance_rounds=len(acceptances),
        acceptances_passed=len(acceptances) - len(failed),
        failed_score=sum(a.verdict == "failed_score" for a in failed),
        failed_satisfaction=sum(a.verdict == "failed_satisfaction" for a in failed),
        reworks=reworks,
        executions=len(executions),
        findings=len(findings),
    )

    def measure_row(m: Any, cycle: int) -> MeasureRow:
        t = trails.get((cycle, m.id), _MeasureTrail())
        completed = t.completed if m.done else None
        return MeasureRow(
            case_id=case_id,
            measure_id=m.id,
            cycle=cycle,
            description=m.description,
            problems=",".join(m.problems),
            responsible=m.responsible,
            deadline=m.deadline,
            done=m.done,
            completed_at=completed[0] if completed else None,
            completed_by=m.completed_by,
            overdue=m.overdue and not m.done,
            progress_reports=sum(r.kind == "progress" for r in t.reports),
            reminders=",".join(t.reminders),
            escalations=",".join(dict.fromkeys(t.rungs)),
            original_deadline=t.original_deadline or m.deadline,
            deadline_changes=len(t.moves),
            reworks=t.reworks,
            partners=",".join(getattr(m, "partners", None) or []),
        )

    current = [measure_row(m, state.cycle) for m in state.measures]
    approved = str(state.plan_status) == "approved"
    progress = sorted((r for t in trails.values() for r in t.reports), key=lambda r: (r.at, r.measure_id))
    return CaseTrail(
        case=case,
        measures=current if approved else [],
        ledger=[measure_row(m, cycle) for m, cycle in retired] + current,
        acceptances=acceptances,
        progress=progress,
        executions=executions,
        findings=findings,
        moves={key: t.moves for key, t in trails.items() if t.moves},
        problems=list(state.problems),
    )


def _observe(
    event: Any,
    state: Any,
    case_id: str,
    trail: Callable[[str], _MeasureTrail],
    acceptances: list[AcceptanceRow],
    executions: list[ExecutionRow],
    findings: list[FindingRow],
) -> None:
    """Keep what ``event`` (already folded into ``state``) adds to the case's history."""
    from domain.rectification.events import (
        AcceptanceRecorded,
        AdjustmentExecuted,
        DeadlineExtended,
        EscalationRaised,
        FindingsRecorded,
        MeasureCompleted,
        MeasuresResumed,
        PlanApproved,
        ProgressReported,
        ReminderSent,
        ReworkOrdered,
        SanctionProposed,
    )

    match event:
        case EscalationRaised() | SanctionProposed() if event.measure_id:
            # a rework re-plans the measures and clears their state, but what fired before it happened
            trail(event.measure_id).rungs.append(_name(event.rung))
        case PlanApproved():
            for m in state.measures:
                t = trail(m.id)
                if t.original_deadline is None:
                    t.original_deadline = m.deadline
        case ProgressReported() | MeasureCompleted():
            trail(event.measure_id).reports.append(
                ProgressRow(
                    case_id=case_id, measure_id=event.measure_id, cycle=state.cycle, rework_round=state.rework_round,
                    kind="progress" if isinstance(event, ProgressReported) else "completed", at=event.at, by=event.actor,
                    note=event.note, evidence="; ".join(event.evidence), files="; ".join(f.name for f in event.files),
                )
            )
        case ReminderSent():
            trail(event.measure_id).reminders.extend(event.covers)
        case AcceptanceRecorded():
            acceptances.append(
                AcceptanceRow(
                    case_id=case_id, cycle=state.cycle, round=event.round, at=event.at, by=event.actor, score=event.score,
                    unsatisfied_share=event.unsatisfied_share, verdict=_name(event.verdict), pass_score=event.pass_score,
                    max_unsatisfied_share=event.max_unsatisfied_share, comments=event.comments,
                )
            )
        case ReworkOrdered():
            if acceptances:
                acceptances[-1].rework_deadline = event.deadline
            for m in state.measures:
                t = trail(m.id)
                old = t.moves[-1].new_deadline if t.moves else t.original_deadline
                t.moves.append(
                    DeadlineMove(
                        kind="rework", at=event.at, by=event.actor, old_deadline=old, new_deadline=event.deadline,
                        reason=f"rework {event.rework_round}",
                    )
                )
                t.reworks += 1
        case DeadlineExtended():
            trail(event.measure_id).moves.append(
                DeadlineMove(
                    kind="extension", at=event.at, by=event.actor, old_deadline=event.old_deadline,
                    new_deadline=event.new_deadline, reason=event.reason,
                )
            )
        case MeasuresResumed():
            for shift in event.shifts:
                trail(shift.measure_id).moves.append(
                    DeadlineMove(
                        kind="pause", at=event.at, by=event.actor, old_deadline=shift.old_deadline,
                        new_deadline=shift.new_deadline, reason=f"{shift.working_days}wd",
                    )
                )
        case AdjustmentExecuted():
            executions.append(
                ExecutionRow(
                    case_id=case_id, proposal_id=event.proposal_id, rung=_name(event.rung), action=event.action,
                    executed_on=event.executed_on, at=event.at, by=event.actor, new_secretary=event.new_secretary,
                    previous_secretary=event.previous_secretary,
                )
            )
        case FindingsRecorded():
            findings += [
                FindingRow(
                    case_id=case_id, source=event.source, finding_id=p.finding_id or p.id, category=p.category,
                    description=p.description, at=event.at, by=event.actor,
                )
                for p in event.problems
            ]


def fold_case(case_id: str, rows: Sequence[AuditEvent], as_of: datetime) -> tuple[CaseRow, list[MeasureRow]] | None:
    """The case and its approved plan's measures as of ``as_of`` (``trail_case`` without the history)."""
    found = trail_case(case_id, rows, as_of)
    return None if found is None else (found.case, found.measures)


def case_trails(engine: Engine, year: int | None = None, region: str | None = None, as_of: datetime | None = None) -> list[CaseTrail]:
    """Every case of ``year`` and ``region`` (None: all) folded up to ``as_of`` (None: everything), by case id."""
    ids = queries.case_ids(engine, year=year, region=region)
    found = (trail_case(case_id, rows, as_of) for case_id, rows in queries.read_streams(engine, ids).items())
    return [t for t in found if t is not None]


def gather(engine: Engine, year: int, as_of: datetime, region: str | None = None) -> ReportData:
    """Everything a bulletin or summary of ``year`` (and ``region``) needs, as of ``as_of``."""
    data = ReportData(year=year, region=region, as_of=as_of)
    for t in case_trails(engine, year, region, as_of):
        data.cases.append(t.case)
        data.measures.extend(t.measures)
        data.acceptances.extend(t.acceptances)
        data.executions.extend(t.executions)
        data.findings.extend(t.findings)
    data.projects_available, data.projects = read_projects(engine, year, region)
    data.assessments = read_assessments(engine)
    data.ratings = read_ratings(engine, year, as_of, region)
    return data


def read_ratings(engine: Engine, year: int, as_of: datetime, region: str | None = None) -> list[RatingRow]:
    """The star ratings of ``year`` (and ``region``), each folded from its audit events up to ``as_of``
    with the rating decider's ``evolve`` (a rating opened after ``as_of`` is left out)."""
    from domain import rating

    ids = [row.rating_id for row in ratings_store.rating_summaries(engine, year=year, region=region)]
    found = []
    for rating_id, rows in queries.read_streams(engine, ids).items():
        events = [rating.EVENT_ADAPTER.validate_json(row.payload) for row in rows]
        state = rating.fold(e for e in events if e.at <= as_of)
        if state.version == 0:
            continue
        found.append(
            RatingRow(
                rating_id=rating_id, org_code=state.org_code, org_name=state.org_name, region=state.region, stage=state.stage.value,
                level=state.level, previous_level=state.previous_level, downgrades=state.downgrades, upgrade_level=state.upgrade_level,
            )  # fmt: skip
        )
    return sorted(found, key=lambda r: (r.region, r.org_code))


# ----------------------------------------------------------------------------- other areas' tables


PROJECT_COLUMNS = (
    "project_id", "level", "org_code", "org_name", "region", "year", "owner", "stage", "revision_rounds",
    "milestones_total", "milestones_done", "overdue_milestones", "quarterly_reports", "urges_sent", "rating",
    "satisfaction", "outcome", "last_event_at",
)


def read_projects(engine: Engine, year: int | None = None, region: str | None = None) -> tuple[bool, list[dict[str, Any]]]:
    """Rows of ``project_summary`` (secretary projects) as dicts, by project id; the flag: the projection
    was read (always, since the table comes with the migrations)."""
    return True, [row.model_dump() for row in queries.project_summaries(engine, year=year, region=region)]


def read_assessments(engine: Engine) -> list[tuple[str, int, int | None, Any]] | None:
    """Directory assessments (org_code, year, star, org_class), every organization and year."""
    return list(queries.assessments(engine))


# ----------------------------------------------------------------------------- ledgers


_CASE_COLUMNS = ("org_code", "org_name", "region", "year")
_PROBLEM_COLUMNS = ("problem_id", "cycle", "category", "category_name", "description", "source", "finding_id")
_MEASURE_COLUMNS = (
    "measure_id", "cycle", "description", "problems", "responsible", "partners", "original_deadline", "deadline",
    "deadline_changes", "deadline_history", "reworks", "done", "completed_at", "completed_by", "overdue",
    "progress_reports", "last_report_at", "progress_history", "reminders", "escalations",
)
_PROGRESS_COLUMNS = ("measure_id", "cycle", "rework_round", "kind", "at", "by", "note", "evidence", "files")
_ACCEPTANCE_COLUMNS = (
    "cycle", "round", "at", "by", "score", "unsatisfied_share", "verdict", "pass_score", "max_unsatisfied_share",
    "rework_deadline", "comments",
)
_EXECUTION_COLUMNS = ("proposal_id", "rung", "action", "executed_on", "at", "by", "previous_secretary", "new_secretary")


def _ledger_row(row: Any, case: Any, columns: Sequence[str]) -> dict[str, Any]:
    """The case id, the case's named columns, then the row's named columns."""
    return {"case_id": row.case_id, **{c: getattr(case, c) for c in _CASE_COLUMNS}, **{c: getattr(row, c) for c in columns}}


def problem_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """问题台账: one row per problem of every case, every cycle, folded from the audit log: where it was
    found when not at designation (``source``: an inspection such as insp-2027-001, ``finding_id``)."""
    from domain.policy import Policy

    names = Policy().problem_categories  # the default taxonomy's names; unknown codes stay codes
    rows = []
    for t in case_trails(engine, year, region):
        for p in t.problems:
            known = names.get(p.category)
            row = {"case_id": t.case.case_id, **{c: getattr(t.case, c) for c in _CASE_COLUMNS}}
            row |= {
                "problem_id": p.id, "cycle": p.cycle, "category": p.category, "category_name": known.zh if known else p.category,
                "description": p.description, "source": getattr(p, "source", None), "finding_id": getattr(p, "finding_id", None),
            }
            rows.append(row)
    return rows


def measure_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """整改措施台账: one row per measure of every case's plans (each PDCA cycle's, approved or under review),
    folded from the audit log: the original and the current deadline with every move between them, the
    rework rounds the measure went through, and its whole progress history (one line per report)."""
    rows: list[dict[str, Any]] = []
    for t in case_trails(engine, year, region):
        reports_by: dict[tuple[int, str], list[ProgressRow]] = {}
        for p in t.progress:
            reports_by.setdefault((p.cycle, p.measure_id), []).append(p)
        for m in t.ledger:
            reports = reports_by.get((m.cycle, m.measure_id), [])
            row = _ledger_row(m, t.case, [c for c in _MEASURE_COLUMNS if c in MeasureRow.model_fields])
            row["last_report_at"] = reports[-1].at if reports else None
            row["progress_history"] = reports  # the ledger writes one line per report (ProgressRow.describe)
            row["deadline_history"] = t.moves.get((m.cycle, m.measure_id), [])
            rows.append({c: row[c] for c in ("case_id", *_CASE_COLUMNS, *_MEASURE_COLUMNS)})
    return rows


def progress_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """整改进展记录: one row per report on a measure (progress or completion), every cycle and rework round,
    in time order per case: when, who, note, evidence references, uploaded files."""
    return [_ledger_row(p, t.case, _PROGRESS_COLUMNS) for t in case_trails(engine, year, region) for p in t.progress]


def acceptance_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """验收记录: one row per acceptance round: score, dissatisfaction, verdict (验收通过 / 得分不达标 /
    群众满意度否决), the thresholds applied and the rework deadline a failed round set."""
    return [_ledger_row(a, t.case, _ACCEPTANCE_COLUMNS) for t in case_trails(engine, year, region) for a in t.acceptances]


def adjustment_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """组织调整/诫勉谈话执行台账: one row per adjustment carried out (``AdjustmentExecuted``)."""
    return [_ledger_row(e, t.case, _EXECUTION_COLUMNS) for t in case_trails(engine, year, region) for e in t.executions]


def project_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """书记项目台账: the named columns of each ``project_summary`` row, by project id."""
    return [{c: getattr(row, c) for c in PROJECT_COLUMNS} for row in queries.project_summaries(engine, year=year, region=region)]


LedgerReader = Callable[[Engine, "int | None", "str | None"], list[dict[str, Any]]]
LEDGER_READERS: dict[str, LedgerReader] = {
    "problems": problem_ledger,
    "measures": measure_ledger,
    "progress": progress_ledger,
    "acceptances": acceptance_ledger,
    "adjustments": adjustment_ledger,
    "projects": project_ledger,
}
