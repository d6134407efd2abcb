"""What a command does to a secretary project: ``decide(state, command, ctx) -> list[Event]`` (pure).

    new ──apply 立项──▶ reviewing 立项审核 ──approve──▶ implementing 实施中 ──evaluate──▶ evaluated 已评价
                          │  ▲ return (退回修改), at most ``max_revision_rounds`` times     │
                          │  └── revise                                                    ├─promote─▶ promoted 典型推广
                          └─reject──▶ rejected 不予立项                                    └─close───▶ closed 已结项

Review rounds: the panel may return an application at most ``projects.max_revision_rounds`` times
(default 3); after that it must approve or reject (不予立项) the application as it stands. Rejection is
allowed in any review round.

Year-end evaluation (年终评价) good / medium / poor with a satisfaction share: a satisfaction below
``min_satisfaction`` makes the result poor (群众满意度否决). The evaluation is recorded as the
secretary's duty-review record (述职评议, ``DutyReviewRecorded``). A poor result raises a sanction
proposal (rung ``poor_rung``, default 提醒谈话) that someone with a ``sanction_approvers`` role
decides (``DecideSanction``) by its ``decide_by``, or it lapses. A good project may be promoted as a
model (典型推广); otherwise it is closed (结项).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.decider import Context
from domain.errors import InvalidCommand, NotAllowedInStage
from domain.policy import Policy
from domain.project.commands import (
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    Command,
    CompleteMilestone,
    EvaluateProject,
    PromoteProject,
    RecordProgress,
    RejectApplication,
    ReturnApplication,
    ReviseApplication,
    SubmitQuarterlyReport,
)
from domain.project.events import (
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationRevised,
    DutyReviewRecorded,
    Event,
    MilestoneCompleted,
    ProgressRecorded,
    ProjectApplied,
    ProjectClosed,
    ProjectEvaluated,
    ProjectPromoted,
    QuarterlyReportSubmitted,
    SanctionDecided,
    SanctionProposed,
)
from domain.project.permissions import authorize, require_stage
from domain.project.state import (
    MAX_PROJECT_ID,
    Application,
    ApplicationStatus,
    Milestone,
    MilestoneState,
    ProjectState,
    Rating,
    project_id_for,
)
from domain.project.timing import owner_and_supervisors, quarter_start, report_dues, tick
from domain.proposals import DecideSanction, choose_proposal
from domain.timeutil import deadline_instant, local

# --------------------------------------------------------------------------- application and review


def _application(a: ApplicationInput, now: datetime, policy: Policy) -> Application:
    ids = [m.id for m in a.milestones]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"duplicate milestone ids: {', '.join(duplicates)}")
    final = deadline_instant(a.deadline, policy.deadline_time_of_day)
    if final <= now:
        raise InvalidCommand(f"the final deadline {final.isoformat()} is not in the future")
    milestones = []
    for m in a.milestones:
        deadline = deadline_instant(m.deadline, policy.deadline_time_of_day)
        if deadline <= now:
            raise InvalidCommand(f"milestone {m.id} deadline {deadline.isoformat()} is not in the future")
        if deadline > final:
            raise InvalidCommand(f"milestone {m.id} is due after the project's final deadline")
        milestones.append(Milestone(id=m.id, description=m.description, deadline=deadline))
    return Application(
        title=a.title, problem=a.problem, goals=a.goals, measures=a.measures, milestones=milestones, deadline=final
    )


def _apply(state: ProjectState, c: ApplyProject, ctx: Context) -> list[Event]:
    application = _application(c.application, ctx.now, ctx.policy)
    if local(application.deadline).year > c.year + 1:
        raise InvalidCommand(f"the final deadline lies beyond the project year {c.year}")
    project_id = project_id_for(c.level, c.org_code, c.year, c.actor.id if c.per_person else None)
    if len(project_id) > MAX_PROJECT_ID:
        raise InvalidCommand(
            f"org_code: the project id {project_id!r} would be {len(project_id)} characters, more than {MAX_PROJECT_ID}: "
            "use a shorter organization code or person id"
        )
    return [
        ProjectApplied(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            project_id=project_id,
            level=c.level,
            org_code=c.org_code,
            org_name=c.org_name,
            region=c.region,
            year=c.year,
            owner=c.actor.id,
            application=application,
        )
    ]


def _revise(state: ProjectState, c: ReviseApplication, ctx: Context) -> list[Event]:
    if state.application_status != ApplicationStatus.RETURNED:
        raise NotAllowedInStage("the application is awaiting review; it can be revised after it is returned")
    application = _application(c.application, ctx.now, ctx.policy)
    return [ApplicationRevised(**ctx.stamp(c), round=state.round + 1, application=application, note=c.note)]


def _require_awaiting_review(state: ProjectState) -> None:
    if state.application_status != ApplicationStatus.SUBMITTED:
        raise NotAllowedInStage("the application was returned and awaits the owner's revision")


def _return(state: ProjectState, c: ReturnApplication, ctx: Context) -> list[Event]:
    _require_awaiting_review(state)
    limit = ctx.policy.projects.max_revision_rounds
    if state.revision_rounds >= limit:
        raise NotAllowedInStage(
            f"the application has been returned {state.revision_rounds} time(s), the policy's limit: approve or reject it"
        )
    return [
        ApplicationReturned(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            round=state.round,
            returns=state.revision_rounds + 1,
            limit=limit,
            comments=c.comments,
            recipients=[state.owner],
        )
    ]


def _approve(state: ProjectState, c: ApproveApplication, ctx: Context) -> list[Event]:
    _require_awaiting_review(state)
    dues = report_dues(state.year, ctx.now, ctx.policy, ctx.calendar)
    years = {state.year, state.year + 1}
    return [
        ApplicationApproved(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            round=state.round,
            comments=c.comments,
            reports_due=dues,
            recipients=[state.owner],
            calendar=ctx.calendar.sources(years) if dues else None,
        )
    ]


def _reject(state: ProjectState, c: RejectApplication, ctx: Context) -> list[Event]:
    _require_awaiting_review(state)
    return [ApplicationRejected(**ctx.stamp(c), round=state.round, comments=c.comments, recipients=[state.owner])]


# --------------------------------------------------------------------------- implementation


def _known_milestone(state: ProjectState, milestone_id: str) -> MilestoneState:
    milestone = state.milestone(milestone_id)
    if milestone is None:
        known = ", ".join(m.id for m in state.milestones)
        raise InvalidCommand(f"unknown milestone {milestone_id!r}; this project has: {known}")
    return milestone


def _progress(state: ProjectState, c: RecordProgress, ctx: Context) -> list[Event]:
    if c.milestone_id is not None:
        _known_milestone(state, c.milestone_id)
    return [ProgressRecorded(**ctx.stamp(c), note=c.note, milestone_id=c.milestone_id, evidence=c.evidence)]


def _complete(state: ProjectState, c: CompleteMilestone, ctx: Context) -> list[Event]:
    milestone = _known_milestone(state, c.milestone_id)
    if milestone.done:
        raise NotAllowedInStage(f"milestone {c.milestone_id} is already done")
    late = ctx.now > milestone.deadline
    return [MilestoneCompleted(**ctx.stamp(c), milestone_id=c.milestone_id, note=c.note, evidence=c.evidence, late=late)]


def _report(state: ProjectState, c: SubmitQuarterlyReport, ctx: Context) -> list[Event]:
    report = state.report(c.quarter)
    if report is None:
        owed = ", ".join(f"Q{r.quarter}" for r in state.reports) or "none"
        raise InvalidCommand(f"no report is owed for Q{c.quarter}; this project owes: {owed}")
    if report.submitted_at is not None:
        raise NotAllowedInStage(f"the Q{c.quarter} report was already submitted")
    if ctx.now < quarter_start(state.year, c.quarter):
        raise NotAllowedInStage(f"Q{c.quarter} of {state.year} has not begun")
    late = ctx.now > report.due
    return [QuarterlyReportSubmitted(**ctx.stamp(c), quarter=c.quarter, note=c.note, due=report.due, late=late)]


# --------------------------------------------------------------------------- evaluation, sanctions, closing


def _evaluate(state: ProjectState, c: EvaluateProject, ctx: Context) -> list[Event]:
    assert state.application is not None and state.level is not None
    now, policy = ctx.now, ctx.policy
    open_milestones = [m.id for m in state.milestones if not m.done]
    if open_milestones and now < state.application.deadline:
        raise NotAllowedInStage(
            f"milestones still open ({', '.join(open_milestones)}) and the final deadline "
            f"{local(state.application.deadline):%Y-%m-%d %H:%M} has not passed"
        )
    rules = policy.projects
    rating = Rating.POOR if c.satisfaction < rules.min_satisfaction else c.rating
    done = sum(m.done for m in state.milestones)
    total = len(state.milestones)
    events: list[Event] = [
        ProjectEvaluated(
            **ctx.stamp(c),
            policy_version=policy.version,
            rating=rating,
            given_rating=c.rating,
            satisfaction=c.satisfaction,
            min_satisfaction=rules.min_satisfaction,
            comments=c.comments,
            milestones_done=done,
            milestones_total=total,
        ),
        DutyReviewRecorded(
            **ctx.stamp(c),
            policy_version=policy.version,
            secretary=state.owner,
            project_id=state.project_id,
            level=state.level,
            org_code=state.org_code,
            org_name=state.org_name,
            region=state.region,
            year=state.year,
            title=state.application.title,
            rating=rating,
            satisfaction=c.satisfaction,
            evaluator=c.actor.id,
            milestones_done=done,
            milestones_total=total,
            milestones_overdue=sum(m.overdue or m.late for m in state.milestones),
            reports_on_time=sum(r.submitted_at is not None and not r.late for r in state.reports),
            reports_late=sum(r.submitted_at is not None and r.late for r in state.reports),
            reports_missing=sum(r.submitted_at is None and r.due < now for r in state.reports),  # past due only
            urges=state.urges_sent,
            revision_rounds=state.revision_rounds,
            comments=c.comments,
        ),
    ]
    if rating == Rating.POOR:
        reason = (
            f"年终评价为差（满意度 {c.satisfaction:.0%}）"
            if c.rating == Rating.POOR
            else f"满意度 {c.satisfaction:.0%} 低于 {rules.min_satisfaction:.0%}，评价为差"
        )
        events.append(
            SanctionProposed(
                **ctx.stamp(c),
                policy_version=policy.version,
                proposal_id=f"{state.project_id}-S{len(state.proposals) + 1}",
                rung=rules.poor_rung,
                reason=reason,
                decide_by=ctx.calendar.shift(now, rules.decide_within),
                subject=state.owner,
                recipients=list(policy.supervisors) or [c.actor.id],
            )
        )
    return events


def _require_settled(state: ProjectState) -> None:
    pending = state.pending_proposals()
    if pending:
        raise NotAllowedInStage(f"decide the pending sanction proposal first: {', '.join(p.proposal_id for p in pending)}")


def _promote(state: ProjectState, c: PromoteProject, ctx: Context) -> list[Event]:
    assert state.evaluation is not None
    if state.evaluation.rating != Rating.GOOD:
        raise NotAllowedInStage(f"only a project rated good is promoted as a model (this one: {state.evaluation.rating.value})")
    _require_settled(state)
    return [ProjectPromoted(**ctx.stamp(c), note=c.note, recipients=owner_and_supervisors(state, ctx.policy))]


def _close(state: ProjectState, c: CloseProject, ctx: Context) -> list[Event]:
    _require_settled(state)
    return [ProjectClosed(**ctx.stamp(c), note=c.note)]


def _decide_sanction(state: ProjectState, c: DecideSanction, ctx: Context) -> list[Event]:
    # Where the shared rule reads a command otherwise, refuse as projects always have: an empty id is
    # an unknown one, and a rung with nothing pending at that rung is "nothing pending".
    if c.proposal_id == "":
        raise InvalidCommand("unknown sanction proposal ''")
    if c.proposal_id is None and c.rung is not None and not any(p.rung == c.rung for p in state.pending_proposals()):
        raise NotAllowedInStage("no sanction proposal is pending")
    proposal = choose_proposal(state.proposals, c.proposal_id, c.rung, c.measure_id)
    recipients = owner_and_supervisors(state, ctx.policy)
    return [
        SanctionDecided(
            **ctx.stamp(c),
            proposal_id=proposal.proposal_id,
            rung=proposal.rung,
            decision=c.decision,
            comment=c.comment,
            recipients=recipients,
        )
    ]


_HANDLERS: dict[str, Callable[[ProjectState, Any, Context], list[Event]]] = {
    "ApplyProject": _apply,
    "ReviseApplication": _revise,
    "ReturnApplication": _return,
    "ApproveApplication": _approve,
    "RejectApplication": _reject,
    "RecordProgress": _progress,
    "CompleteMilestone": _complete,
    "SubmitQuarterlyReport": _report,
    "EvaluateProject": _evaluate,
    "PromoteProject": _promote,
    "CloseProject": _close,
    "DecideSanction": _decide_sanction,
    "Tick": tick,
}


def decide(state: ProjectState, command: Command, ctx: Context) -> list[Event]:
    """The events that ``command`` produces now, or a DomainError saying why not."""
    require_stage(state, command.type)
    authorize(state, command, ctx.policy)
    return _HANDLERS[command.type](state, command, ctx)
