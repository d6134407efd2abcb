"""Secretary projects (书记项目、委员项目、支部项目) as a decider. Pure: no I/O, no clock, no Temporal.

    decide(state, command, now, policy, calendar) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                                   total, never refuses
    next_wakeup(state, policy, calendar) -> datetime | None         when the clock next matters

Each year a Party secretary (or a committee member, or a branch) takes on one hard governance
problem: "年初领题、年中解题、年末结题".

    new ──apply 立项──▶ reviewing 立项审核 ──approve──▶ implementing 实施中 ──evaluate──▶ evaluated 已评价
                          │  ▲ return (退回修改), at most ``max_revision_rounds`` times     │
                          │  └── revise                                                    ├─promote─▶ promoted 典型推广
                          └─reject──▶ rejected 不予立项                                    └─close───▶ closed 已结项

Review rounds: the panel may return an application at most ``projects.max_revision_rounds``
times (default 3). Once that many returns are used up, a further return is refused: the panel must
approve or reject (不予立项) the application as it stands. Rejection is allowed in any review round.

Implementation: milestones with deadlines (a reminder ``milestone_reminder_lead`` before, an overdue
notice at the deadline), a progress ledger, and quarterly progress reports due
``report_due_after`` (e.g. 10 working days) after each quarter of the project year ends. A report
still missing ``report_reminder_after`` its due date triggers a reminder (提醒), then up to
``urge_count`` 催办 notices, each ``urge_interval`` after the previous notice, and no more.

Year-end evaluation (年终评价) good / medium / poor with a satisfaction share: a satisfaction below
``min_satisfaction`` makes the result poor (群众满意度否决). The evaluation is recorded as the
secretary's duty-review record (述职评议, ``DutyReviewRecorded``). A poor result raises a sanction
proposal (``SanctionProposed``, rung ``poor_rung``, default 提醒谈话) that someone with a
``sanction_approvers`` role decides (``DecideSanction``: approved / dismissed) by its ``decide_by``,
or it lapses. A good project may be promoted as a model (典型推广); otherwise it is closed (结项).

Every notice (reminders, 催办, overdue, evaluation due, lapse) is delivered at a working moment:
``calendar.next_working_moment(due, policy.working_hours)`` (unless ``notice_window: any_time``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
)

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.errors import (
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.rungs import ProposalStatus, Rung, SanctionDecision
from domain.timeutil import SHANGHAI, deadline_instant, local, reject_naive_deadline
from domain.workcal import Offset, WorkCalendar

if TYPE_CHECKING:  # domain.policy imports this module (ProjectPolicy): no runtime import back
    from domain.policy import Policy

KIND = "project"
PREFIX = "proj-"


class Level(StrEnum):
    SECRETARY = "secretary"  # 书记项目
    COMMITTEE_MEMBER = "committee_member"  # 委员项目
    BRANCH = "branch"  # 支部项目


class Stage(StrEnum):
    NEW = "new"  # 未立项
    REVIEWING = "reviewing"  # 立项审核
    IMPLEMENTING = "implementing"  # 实施中
    EVALUATED = "evaluated"  # 已评价
    PROMOTED = "promoted"  # 典型推广
    CLOSED = "closed"  # 已结项
    REJECTED = "rejected"  # 不予立项


TERMINAL = frozenset({Stage.PROMOTED, Stage.CLOSED, Stage.REJECTED})


class ApplicationStatus(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"  # 待审核
    RETURNED = "returned"  # 退回修改
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 不予立项


class Rating(StrEnum):
    GOOD = "good"  # 好
    MEDIUM = "medium"  # 较好/一般
    POOR = "poor"  # 差


_RATING_ORDER = {Rating.GOOD: 2, Rating.MEDIUM: 1, Rating.POOR: 0}




def project_id_for(level: Level | str, org_code: str, year: int) -> str:
    """One project per level, organization and year: ``proj-secretary-V001-2027``."""
    return f"{PREFIX}{Level(level).value}-{org_code}-{year}"


# --------------------------------------------------------------------------- policy


class ProjectPolicy(BaseModel):
    """The ``projects`` section of the policy; every number a local setting (docs/projects.md)."""

    model_config = ConfigDict(extra="forbid")

    # How many times the review panel may return an application for revision (退回修改). After that,
    # a further return is refused: approve or reject (不予立项).
    max_revision_rounds: int = Field(default=3, ge=0, le=10)
    # Who applies, revises, reports (the project owner is the applicant); who reviews; who evaluates;
    # who promotes or closes. Separation of duties: owner ≠ reviewer ≠ evaluator.
    applicant_roles: list[Role] = Field(
        default_factory=lambda: [Role.BRANCH_SECRETARY, Role.TOWNSHIP_SECRETARY, Role.FIRST_SECRETARY]
    )
    reviewer_roles: list[Role] = Field(default_factory=lambda: [Role.TOWNSHIP_SECRETARY, Role.SUPERVISOR, Role.COUNTY_LEADER])
    evaluator_roles: list[Role] = Field(default_factory=lambda: [Role.SUPERVISOR, Role.COUNTY_LEADER])
    closer_roles: list[Role] = Field(default_factory=lambda: [Role.SUPERVISOR])
    # Quarterly progress reports (季度进展报告): which quarters of the project year, due how long
    # after the quarter ends. Quarters that end before the approval are not required.
    report_quarters: list[int] = Field(default_factory=lambda: [1, 2, 3, 4])
    report_due_after: Offset = "10wd"
    # A report still missing this long after its due date gets a reminder (提醒), then up to
    # ``urge_count`` 催办 notices, each ``urge_interval`` after the previous notice.
    report_reminder_after: Offset = "1wd"
    urge_count: int = Field(default=3, ge=0, le=10)
    urge_interval: Offset = "5wd"
    # A reminder this long before each milestone deadline (None: no reminder).
    milestone_reminder_lead: Offset | None = "5wd"
    # Year-end evaluation: a satisfaction share below this makes the result poor (满意度否决).
    min_satisfaction: float = Field(default=0.6, ge=0, le=1)
    # A poor result proposes this sanction rung (default 提醒谈话), decided within ``decide_within``.
    poor_rung: Rung = Rung.REMINDER_TALK
    decide_within: Offset = "10wd"

    @field_validator("report_quarters")
    @classmethod
    def _quarters(cls, value: list[int]) -> list[int]:
        if any(q not in (1, 2, 3, 4) for q in value):
            raise ValueError("quarters are 1, 2, 3 or 4")
        return sorted(set(value))


# --------------------------------------------------------------------------- inputs


class _Input(BaseModel):
    """What people type: unknown keys are refused so a misspelt field is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


DeadlineInput = Annotated[AwareDatetime | date, Field(union_mode="left_to_right")]


_reject_naive = reject_naive_deadline


class MilestoneInput(_Input):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field(min_length=1)
    deadline: DeadlineInput

    @field_validator("deadline", mode="before")
    @classmethod
    def _naive(cls, value: object) -> object:
        return _reject_naive(value)


class ApplicationInput(_Input):
    """The 立项 application: the problem, goals, measures, milestones and the final deadline."""

    title: str = Field(min_length=1)
    problem: str = Field(min_length=1)
    goals: list[str] = Field(min_length=1)
    measures: list[str] = Field(min_length=1)
    milestones: list[MilestoneInput] = Field(min_length=1)
    deadline: DeadlineInput

    @field_validator("deadline", mode="before")
    @classmethod
    def _naive(cls, value: object) -> object:
        return _reject_naive(value)


# --------------------------------------------------------------------------- commands


class _Command(_Input):
    actor: Actor


class ApplyProject(_Command):
    """立项申请. The acting secretary becomes the project's owner."""

    type: Literal["ApplyProject"] = "ApplyProject"
    level: Level
    org_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    application: ApplicationInput


class ReviseApplication(_Command):
    type: Literal["ReviseApplication"] = "ReviseApplication"
    application: ApplicationInput
    note: str = ""


class ReturnApplication(_Command):
    type: Literal["ReturnApplication"] = "ReturnApplication"
    comments: str = Field(min_length=1)


class ApproveApplication(_Command):
    type: Literal["ApproveApplication"] = "ApproveApplication"
    comments: str = ""


class RejectApplication(_Command):
    type: Literal["RejectApplication"] = "RejectApplication"
    comments: str = Field(min_length=1)


class RecordProgress(_Command):
    """进展台账: one entry of the progress ledger, optionally about a milestone."""

    type: Literal["RecordProgress"] = "RecordProgress"
    note: str = Field(min_length=1)
    milestone_id: str | None = None
    evidence: list[str] = Field(default_factory=list)


class CompleteMilestone(_Command):
    type: Literal["CompleteMilestone"] = "CompleteMilestone"
    milestone_id: str
    note: str = ""
    evidence: list[str] = Field(default_factory=list)


class SubmitQuarterlyReport(_Command):
    type: Literal["SubmitQuarterlyReport"] = "SubmitQuarterlyReport"
    quarter: int = Field(ge=1, le=4)
    note: str = Field(min_length=1)


class EvaluateProject(_Command):
    """年终评价: good / medium / poor with the satisfaction share (0–1)."""

    type: Literal["EvaluateProject"] = "EvaluateProject"
    rating: Rating
    satisfaction: float = Field(ge=0, le=1)
    comments: str = ""


class PromoteProject(_Command):
    type: Literal["PromoteProject"] = "PromoteProject"
    note: str = ""


class CloseProject(_Command):
    type: Literal["CloseProject"] = "CloseProject"
    note: str = ""


class DecideSanction(_Command):
    """Approve or dismiss a pending sanction proposal, named by id or by rung (or the only one pending)."""

    type: Literal["DecideSanction"] = "DecideSanction"
    proposal_id: str | None = None
    rung: Rung | None = None
    decision: SanctionDecision
    comment: str = ""


class Tick(_Command):
    """The clock: emit whatever reminders, 催办, overdue notices and lapses are due now."""

    type: Literal["Tick"] = "Tick"
    actor: Actor = SYSTEM_ACTOR


Command = Annotated[
    ApplyProject | ReviseApplication | ReturnApplication | ApproveApplication | RejectApplication | RecordProgress | CompleteMilestone | SubmitQuarterlyReport | EvaluateProject | PromoteProject | CloseProject | DecideSanction | Tick,
    Field(discriminator="type"),
]

# --------------------------------------------------------------------------- events


class _Event(BaseModel):
    at: AwareDatetime
    actor: str
    policy_version: str | None = None


class Milestone(BaseModel):
    id: str
    description: str
    deadline: AwareDatetime


class Application(BaseModel):
    title: str
    problem: str
    goals: list[str]
    measures: list[str]
    milestones: list[Milestone]
    deadline: AwareDatetime


class ProjectApplied(_Event):
    type: Literal["ProjectApplied"] = "ProjectApplied"
    project_id: str
    level: Level
    org_code: str
    org_name: str
    region: str
    year: int
    owner: str
    round: int = 1
    application: Application


class ApplicationRevised(_Event):
    type: Literal["ApplicationRevised"] = "ApplicationRevised"
    round: int
    application: Application
    note: str = ""


class ApplicationReturned(_Event):
    type: Literal["ApplicationReturned"] = "ApplicationReturned"
    round: int
    returns: int  # returns so far, this one included
    limit: int  # the policy's max_revision_rounds
    comments: str
    recipients: list[str]


class ReportDue(BaseModel):
    quarter: int
    due: AwareDatetime


class ApplicationApproved(_Event):
    type: Literal["ApplicationApproved"] = "ApplicationApproved"
    round: int
    comments: str = ""
    reports_due: list[ReportDue]
    recipients: list[str]
    calendar: str | None = None  # the calendar facts the due dates were counted on


class ApplicationRejected(_Event):
    type: Literal["ApplicationRejected"] = "ApplicationRejected"
    round: int
    comments: str
    recipients: list[str]


class ProgressRecorded(_Event):
    type: Literal["ProgressRecorded"] = "ProgressRecorded"
    note: str
    milestone_id: str | None = None
    evidence: list[str] = Field(default_factory=list)


class MilestoneCompleted(_Event):
    type: Literal["MilestoneCompleted"] = "MilestoneCompleted"
    milestone_id: str
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    late: bool = False


class MilestoneReminderSent(_Event):
    type: Literal["MilestoneReminderSent"] = "MilestoneReminderSent"
    milestone_id: str
    deadline: AwareDatetime
    lead: str
    recipients: list[str]


class MilestoneOverdue(_Event):
    type: Literal["MilestoneOverdue"] = "MilestoneOverdue"
    milestone_id: str
    deadline: AwareDatetime
    recipients: list[str]


class QuarterlyReportSubmitted(_Event):
    type: Literal["QuarterlyReportSubmitted"] = "QuarterlyReportSubmitted"
    quarter: int
    note: str
    due: AwareDatetime
    late: bool


class ReportReminderSent(_Event):
    """A quarterly report is missing after its due date: the first notice (提醒)."""

    type: Literal["ReportReminderSent"] = "ReportReminderSent"
    quarter: int
    due: AwareDatetime
    recipients: list[str]
    scheduled: AwareDatetime | None = None  # the working moment it was due; the next 催办 counts from it


class ReportUrged(_Event):
    """催办: the ``urge``-th of at most ``of`` urging notices for a missing quarterly report."""

    type: Literal["ReportUrged"] = "ReportUrged"
    quarter: int
    due: AwareDatetime
    urge: int
    of: int
    recipients: list[str]
    scheduled: AwareDatetime | None = None  # the working moment it was due; the next 催办 counts from it


class EvaluationDue(_Event):
    """The final deadline passed: the year-end evaluation (结题评价) is due."""

    type: Literal["EvaluationDue"] = "EvaluationDue"
    deadline: AwareDatetime
    recipients: list[str]


class ProjectEvaluated(_Event):
    type: Literal["ProjectEvaluated"] = "ProjectEvaluated"
    rating: Rating  # the result (after the satisfaction floor)
    given_rating: Rating  # what the evaluator gave
    satisfaction: float
    min_satisfaction: float
    comments: str = ""
    milestones_done: int
    milestones_total: int


class DutyReviewRecorded(_Event):
    """述职评议 record: the project's result as it enters the secretary's annual duty-report review."""

    type: Literal["DutyReviewRecorded"] = "DutyReviewRecorded"
    secretary: str  # the owner's actor id
    project_id: str
    level: Level
    org_code: str
    org_name: str
    region: str
    year: int
    title: str
    rating: Rating
    satisfaction: float
    evaluator: str
    milestones_done: int
    milestones_total: int
    milestones_overdue: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    urges: int  # 催办 notices received
    revision_rounds: int
    comments: str = ""


class SanctionProposed(_Event):
    type: Literal["SanctionProposed"] = "SanctionProposed"
    proposal_id: str
    rung: Rung
    reason: str
    decide_by: AwareDatetime
    subject: str  # whom the sanction concerns (the owner)
    recipients: list[str]  # who must decide


class SanctionDecided(_Event):
    type: Literal["SanctionDecided"] = "SanctionDecided"
    proposal_id: str
    rung: Rung
    decision: SanctionDecision
    comment: str = ""
    recipients: list[str]


class SanctionLapsed(_Event):
    type: Literal["SanctionLapsed"] = "SanctionLapsed"
    proposal_id: str
    rung: Rung
    recipients: list[str]


class ProjectPromoted(_Event):
    type: Literal["ProjectPromoted"] = "ProjectPromoted"
    note: str = ""
    recipients: list[str]


class ProjectClosed(_Event):
    type: Literal["ProjectClosed"] = "ProjectClosed"
    note: str = ""


Event = Annotated[
    ProjectApplied | ApplicationRevised | ApplicationReturned | ApplicationApproved | ApplicationRejected | ProgressRecorded | MilestoneCompleted | MilestoneReminderSent | MilestoneOverdue | QuarterlyReportSubmitted | ReportReminderSent | ReportUrged | EvaluationDue | ProjectEvaluated | DutyReviewRecorded | SanctionProposed | SanctionDecided | SanctionLapsed | ProjectPromoted | ProjectClosed,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS = frozenset(
    {
        "ApplicationReturned",
        "ApplicationApproved",
        "ApplicationRejected",
        "MilestoneReminderSent",
        "MilestoneOverdue",
        "ReportReminderSent",
        "ReportUrged",
        "EvaluationDue",
        "SanctionProposed",
        "SanctionDecided",
        "SanctionLapsed",
        "ProjectPromoted",
    }
)

# --------------------------------------------------------------------------- state


class MilestoneState(Milestone):
    done: bool = False
    done_at: AwareDatetime | None = None
    late: bool = False
    reminded: bool = False
    overdue: bool = False


class ReportState(ReportDue):
    submitted_at: AwareDatetime | None = None
    late: bool = False
    note: str = ""
    reminded: bool = False
    urges: int = 0
    # When the reminder or the latest 催办 was due (its scheduled working moment, not the timer's
    # actual firing a few milliseconds later, so the series never drifts past the end of a working day).
    last_notice_at: AwareDatetime | None = None


class ProgressEntry(BaseModel):
    at: AwareDatetime
    by: str
    note: str
    milestone_id: str | None = None
    evidence: list[str] = Field(default_factory=list)


class ReviewEntry(BaseModel):
    round: int
    decision: Literal["returned", "approved", "rejected"]
    by: str
    at: AwareDatetime
    comments: str = ""


class SanctionProposal(BaseModel):
    proposal_id: str
    rung: Rung
    reason: str
    proposed_at: AwareDatetime
    decide_by: AwareDatetime
    status: ProposalStatus = ProposalStatus.PENDING
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    comment: str = ""


class Evaluation(BaseModel):
    rating: Rating
    given_rating: Rating
    satisfaction: float
    by: str
    at: AwareDatetime
    comments: str = ""


class ProjectState(BaseModel):
    project_id: str = ""
    version: int = 0
    stage: Stage = Stage.NEW
    stage_since: AwareDatetime | None = None
    level: Level | None = None
    org_code: str = ""
    org_name: str = ""
    region: str = ""
    year: int = 0
    owner: str = ""
    application: Application | None = None
    application_status: ApplicationStatus = ApplicationStatus.NONE
    round: int = 0
    revision_rounds: int = 0  # returns so far
    reviews: list[ReviewEntry] = Field(default_factory=list)
    applied_at: AwareDatetime | None = None
    approved_at: AwareDatetime | None = None
    milestones: list[MilestoneState] = Field(default_factory=list)
    progress: list[ProgressEntry] = Field(default_factory=list)
    reports: list[ReportState] = Field(default_factory=list)
    evaluation_due_sent: bool = False
    evaluation: Evaluation | None = None
    proposals: list[SanctionProposal] = Field(default_factory=list)
    closed_at: AwareDatetime | None = None
    note: str = ""
    policy_version: str | None = None

    def milestone(self, milestone_id: str) -> MilestoneState | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    def report(self, quarter: int) -> ReportState | None:
        return next((r for r in self.reports if r.quarter == quarter), None)

    def pending_proposals(self) -> list[SanctionProposal]:
        return [p for p in self.proposals if p.status == ProposalStatus.PENDING]

    @property
    def reviewers(self) -> list[str]:
        return list(dict.fromkeys(r.by for r in self.reviews))

    @property
    def urges_sent(self) -> int:
        return sum(r.urges for r in self.reports)

    @property
    def overdue(self) -> bool:
        """An overdue milestone, or a quarterly report that was chased and is still missing."""
        return any(m.overdue and not m.done for m in self.milestones) or any(
            r.reminded and r.submitted_at is None for r in self.reports
        )

    def next_deadline(self) -> datetime | None:
        """The earliest open milestone deadline or unsubmitted report due date (while implementing)."""
        if self.stage != Stage.IMPLEMENTING:
            return None
        moments = [m.deadline for m in self.milestones if not m.done] + [r.due for r in self.reports if r.submitted_at is None]
        return min(moments) if moments else None


INITIAL_STATE = ProjectState()

# --------------------------------------------------------------------------- permissions

_REVIEW = frozenset({Stage.REVIEWING})
_LIVE = frozenset({Stage.IMPLEMENTING, Stage.EVALUATED})
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "ApplyProject": frozenset({Stage.NEW}),
    "ReviseApplication": _REVIEW,
    "ReturnApplication": _REVIEW,
    "ApproveApplication": _REVIEW,
    "RejectApplication": _REVIEW,
    "RecordProgress": frozenset({Stage.IMPLEMENTING}),
    "CompleteMilestone": frozenset({Stage.IMPLEMENTING}),
    "SubmitQuarterlyReport": frozenset({Stage.IMPLEMENTING}),
    "EvaluateProject": frozenset({Stage.IMPLEMENTING}),
    "PromoteProject": frozenset({Stage.EVALUATED}),
    "CloseProject": frozenset({Stage.EVALUATED}),
    "DecideSanction": _LIVE,
    "Tick": frozenset(Stage),
}
# Which policy list of roles each command needs (projects.<field>, or the policy's top level).
_ROLE_SOURCE: dict[str, str] = {
    "ApplyProject": "applicant_roles",
    "ReviseApplication": "applicant_roles",
    "RecordProgress": "applicant_roles",
    "CompleteMilestone": "applicant_roles",
    "SubmitQuarterlyReport": "applicant_roles",
    "ReturnApplication": "reviewer_roles",
    "ApproveApplication": "reviewer_roles",
    "RejectApplication": "reviewer_roles",
    "EvaluateProject": "evaluator_roles",
    "PromoteProject": "closer_roles",
    "CloseProject": "closer_roles",
    "DecideSanction": "sanction_approvers",  # top-level policy, shared with rectification
}


def roles_allowed(kind: str, policy: Policy) -> frozenset[Role]:
    if kind == "Tick":
        return frozenset({Role.SYSTEM})
    source = _ROLE_SOURCE[kind]
    if source == "sanction_approvers":
        return frozenset(policy.sanction_approvers)
    return frozenset(getattr(policy.projects, source))


def _authorize(state: ProjectState, command: _Command, kind: str, policy: Policy) -> None:
    actor = command.actor
    allowed_roles = roles_allowed(kind, policy)
    if not actor.has_any(allowed_roles):
        allowed = ", ".join(sorted(allowed_roles))
        raise PermissionDenied(f"{actor.id} has none of the roles allowed to {kind}: {allowed}")
    org_code = command.org_code if isinstance(command, ApplyProject) else state.org_code
    region = command.region if isinstance(command, ApplyProject) else state.region
    if not actor.may_act_on(org_code, region):
        raise PermissionDenied(f"{actor.id} may not act on organization {org_code} ({region})")
    # Separation of duties: owner ≠ reviewer ≠ evaluator; the owner decides nothing about the project.
    if kind == "ReviseApplication" and actor.id != state.owner:
        raise SeparationOfDuties(f"only the project owner {state.owner} may revise the application")
    if kind in _VERB and actor.id == state.owner:
        raise SeparationOfDuties(f"{actor.id} owns this project and cannot {_VERB[kind]} it")
    if kind == "EvaluateProject" and actor.id in state.reviewers:
        raise SeparationOfDuties(f"{actor.id} reviewed the application and cannot evaluate the project")


_VERB = {
    "ReturnApplication": "review",
    "ApproveApplication": "review",
    "RejectApplication": "review",
    "EvaluateProject": "evaluate",
    "PromoteProject": "promote",
    "CloseProject": "close",
    "DecideSanction": "decide a sanction on",
}

# --------------------------------------------------------------------------- decide


def decide(state: ProjectState, command: Command, now: datetime, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    """The events that ``command`` produces now, or a DomainError saying why not."""
    kind = command.type
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")
    _authorize(state, command, kind, policy)
    base = {"at": now, "actor": command.actor.id}
    return _DECIDERS[kind](state, command, base, policy, calendar)


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


def _apply(state: ProjectState, c: ApplyProject, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    application = _application(c.application, base["at"], policy)
    if local(application.deadline).year > c.year + 1:
        raise InvalidCommand(f"the final deadline lies beyond the project year {c.year}")
    return [
        ProjectApplied(
            **base,
            policy_version=policy.version,
            project_id=project_id_for(c.level, c.org_code, c.year),
            level=c.level,
            org_code=c.org_code,
            org_name=c.org_name,
            region=c.region,
            year=c.year,
            owner=c.actor.id,
            application=application,
        )
    ]


def _revise(state: ProjectState, c: ReviseApplication, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    if state.application_status != ApplicationStatus.RETURNED:
        raise NotAllowedInStage("the application is awaiting review; it can be revised after it is returned")
    application = _application(c.application, base["at"], policy)
    return [ApplicationRevised(**base, round=state.round + 1, application=application, note=c.note)]


def _require_awaiting_review(state: ProjectState) -> None:
    if state.application_status != ApplicationStatus.SUBMITTED:
        raise NotAllowedInStage("the application was returned and awaits the owner's revision")


def _return(state: ProjectState, c: ReturnApplication, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _require_awaiting_review(state)
    limit = policy.projects.max_revision_rounds
    if state.revision_rounds >= limit:
        raise NotAllowedInStage(
            f"the application has been returned {state.revision_rounds} time(s), the policy's limit: approve or reject it"
        )
    return [
        ApplicationReturned(
            **base,
            policy_version=policy.version,
            round=state.round,
            returns=state.revision_rounds + 1,
            limit=limit,
            comments=c.comments,
            recipients=[state.owner],
        )
    ]


def _quarter_end(year: int, quarter: int) -> date:
    first_of_next = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first_of_next - timedelta(days=1)


def _quarter_start(year: int, quarter: int) -> datetime:
    return datetime(year, 3 * quarter - 2, 1, tzinfo=SHANGHAI)


def report_dues(year: int, approved_at: datetime, policy: Policy, calendar: WorkCalendar) -> list[ReportDue]:
    """The quarterly reports a project approved at ``approved_at`` owes, with their due moments."""
    dues = []
    for quarter in policy.projects.report_quarters:
        end = datetime.combine(_quarter_end(year, quarter), policy.deadline_time_of_day, tzinfo=SHANGHAI)
        if end <= approved_at:
            continue  # the quarter ended before the project started
        due = calendar.shift(end, policy.projects.report_due_after).astimezone(UTC)
        dues.append(ReportDue(quarter=quarter, due=due))
    return dues


def _approve(state: ProjectState, c: ApproveApplication, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _require_awaiting_review(state)
    dues = report_dues(state.year, base["at"], policy, calendar)
    years = {state.year, state.year + 1}
    return [
        ApplicationApproved(
            **base,
            policy_version=policy.version,
            round=state.round,
            comments=c.comments,
            reports_due=dues,
            recipients=[state.owner],
            calendar=calendar.sources(years) if dues else None,
        )
    ]


def _reject(state: ProjectState, c: RejectApplication, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _require_awaiting_review(state)
    return [ApplicationRejected(**base, round=state.round, comments=c.comments, recipients=[state.owner])]


def _known_milestone(state: ProjectState, milestone_id: str) -> MilestoneState:
    milestone = state.milestone(milestone_id)
    if milestone is None:
        known = ", ".join(m.id for m in state.milestones)
        raise InvalidCommand(f"unknown milestone {milestone_id!r}; this project has: {known}")
    return milestone


def _progress(state: ProjectState, c: RecordProgress, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    if c.milestone_id is not None:
        _known_milestone(state, c.milestone_id)
    return [ProgressRecorded(**base, note=c.note, milestone_id=c.milestone_id, evidence=c.evidence)]


def _complete(state: ProjectState, c: CompleteMilestone, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    milestone = _known_milestone(state, c.milestone_id)
    if milestone.done:
        raise NotAllowedInStage(f"milestone {c.milestone_id} is already done")
    late = base["at"] > milestone.deadline
    return [MilestoneCompleted(**base, milestone_id=c.milestone_id, note=c.note, evidence=c.evidence, late=late)]


def _report(state: ProjectState, c: SubmitQuarterlyReport, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    report = state.report(c.quarter)
    if report is None:
        owed = ", ".join(f"Q{r.quarter}" for r in state.reports) or "none"
        raise InvalidCommand(f"no report is owed for Q{c.quarter}; this project owes: {owed}")
    if report.submitted_at is not None:
        raise NotAllowedInStage(f"the Q{c.quarter} report was already submitted")
    if base["at"] < _quarter_start(state.year, c.quarter):
        raise NotAllowedInStage(f"Q{c.quarter} of {state.year} has not begun")
    now: datetime = base["at"]
    return [QuarterlyReportSubmitted(**base, quarter=c.quarter, note=c.note, due=report.due, late=now > report.due)]


def _evaluate(state: ProjectState, c: EvaluateProject, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    assert state.application is not None and state.level is not None
    now: datetime = base["at"]
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
            **base,
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
            **base,
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
                **base,
                policy_version=policy.version,
                proposal_id=f"{state.project_id}-S{len(state.proposals) + 1}",
                rung=rules.poor_rung,
                reason=reason,
                decide_by=calendar.shift(now, rules.decide_within),
                subject=state.owner,
                recipients=list(policy.supervisors) or [c.actor.id],
            )
        )
    return events


def _require_settled(state: ProjectState) -> None:
    pending = state.pending_proposals()
    if pending:
        raise NotAllowedInStage(f"decide the pending sanction proposal first: {', '.join(p.proposal_id for p in pending)}")


def _promote(state: ProjectState, c: PromoteProject, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    assert state.evaluation is not None
    if state.evaluation.rating != Rating.GOOD:
        raise NotAllowedInStage(f"only a project rated good is promoted as a model (this one: {state.evaluation.rating.value})")
    _require_settled(state)
    recipients = list(dict.fromkeys([state.owner, *policy.supervisors]))
    return [ProjectPromoted(**base, note=c.note, recipients=recipients)]


def _close(state: ProjectState, c: CloseProject, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _require_settled(state)
    return [ProjectClosed(**base, note=c.note)]


def _decide_sanction(state: ProjectState, c: DecideSanction, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    pending = state.pending_proposals()
    if c.proposal_id is not None:
        chosen = [p for p in state.proposals if p.proposal_id == c.proposal_id]
        if not chosen:
            raise InvalidCommand(f"unknown sanction proposal {c.proposal_id!r}")
        if chosen[0].status != ProposalStatus.PENDING:
            raise NotAllowedInStage(f"proposal {c.proposal_id} is already {chosen[0].status.value}")
    else:
        chosen = [p for p in pending if c.rung is None or p.rung == c.rung]
        if not chosen:
            raise NotAllowedInStage("no sanction proposal is pending")
        if len(chosen) > 1:
            raise InvalidCommand(f"several proposals are pending: name one of {', '.join(p.proposal_id for p in chosen)}")
    proposal = chosen[0]
    recipients = list(dict.fromkeys([state.owner, *policy.supervisors]))
    return [
        SanctionDecided(
            **base, proposal_id=proposal.proposal_id, rung=proposal.rung, decision=c.decision, comment=c.comment, recipients=recipients
        )
    ]


def _deliver(moment: datetime, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a notice due at ``moment`` goes out: the next working moment (or exactly then)."""
    if policy.notice_window == "any_time":
        return moment
    return calendar.next_working_moment(moment, policy.working_hours)


def _notice_moments(state: ProjectState, policy: Policy, calendar: WorkCalendar) -> list[tuple[datetime, str, object]]:
    """Every pending timer notice as (delivery moment, kind, subject), from the state alone."""
    rules = policy.projects
    pending: list[tuple[datetime, str, object]] = []
    if state.stage == Stage.IMPLEMENTING:
        assert state.application is not None
        for m in state.milestones:
            if m.done:
                continue
            if not m.overdue:
                if rules.milestone_reminder_lead and not m.reminded:
                    before = calendar.shift(m.deadline, "-" + rules.milestone_reminder_lead)
                    moment = _deliver(before, policy, calendar)
                    if moment < m.deadline:
                        pending.append((moment, "milestone_reminder", m))
                pending.append((_deliver(m.deadline, policy, calendar), "milestone_overdue", m))
        for r in state.reports:
            if r.submitted_at is not None:
                continue
            if not r.reminded:
                pending.append((_deliver(calendar.shift(r.due, rules.report_reminder_after), policy, calendar), "report_reminder", r))
            elif r.urges < rules.urge_count:
                assert r.last_notice_at is not None
                pending.append((_deliver(calendar.shift(r.last_notice_at, rules.urge_interval), policy, calendar), "report_urge", r))
        if not state.evaluation_due_sent:
            pending.append((_deliver(state.application.deadline, policy, calendar), "evaluation_due", None))
    if state.stage in _LIVE:
        for p in state.pending_proposals():
            pending.append((_deliver(p.decide_by, policy, calendar), "sanction_lapse", p))
    return pending


def _tick(state: ProjectState, c: Tick, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    now: datetime = base["at"]
    rules = policy.projects
    events: list[Event] = []
    supervisors = list(policy.supervisors)
    if not (policy.notice_window == "any_time" or calendar.may_notify(now, policy.working_hours)):
        return events  # a Tick catching up at night or on a holiday waits for the next working moment
    for moment, kind, subject in _notice_moments(state, policy, calendar):
        if moment > now:
            continue
        if kind == "milestone_reminder":
            assert isinstance(subject, MilestoneState)
            if now >= subject.deadline:
                continue  # the overdue notice says it all
            events.append(
                MilestoneReminderSent(
                    **base,
                    policy_version=policy.version,
                    milestone_id=subject.id,
                    deadline=subject.deadline,
                    lead=rules.milestone_reminder_lead or "",
                    recipients=[state.owner],
                )
            )
        elif kind == "milestone_overdue":
            assert isinstance(subject, MilestoneState)
            events.append(
                MilestoneOverdue(
                    **base,
                    policy_version=policy.version,
                    milestone_id=subject.id,
                    deadline=subject.deadline,
                    recipients=list(dict.fromkeys([state.owner, *supervisors])),
                )
            )
        elif kind == "report_reminder":
            assert isinstance(subject, ReportState)
            events.append(
                ReportReminderSent(
                    **base,
                    policy_version=policy.version,
                    quarter=subject.quarter,
                    due=subject.due,
                    recipients=[state.owner],
                    scheduled=moment,
                )
            )
        elif kind == "report_urge":
            assert isinstance(subject, ReportState)
            events.append(
                ReportUrged(
                    **base,
                    policy_version=policy.version,
                    quarter=subject.quarter,
                    due=subject.due,
                    urge=subject.urges + 1,
                    of=rules.urge_count,
                    recipients=list(dict.fromkeys([state.owner, *supervisors])),
                    scheduled=moment,
                )
            )
        elif kind == "evaluation_due":
            assert state.application is not None
            events.append(
                EvaluationDue(
                    **base,
                    policy_version=policy.version,
                    deadline=state.application.deadline,
                    recipients=supervisors or [state.owner],
                )
            )
        elif kind == "sanction_lapse":
            assert isinstance(subject, SanctionProposal)
            events.append(
                SanctionLapsed(
                    **base,
                    proposal_id=subject.proposal_id,
                    rung=subject.rung,
                    recipients=list(dict.fromkeys([*supervisors, state.owner])),
                )
            )
    return events


_DECIDERS = {
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
    "Tick": _tick,
}

# --------------------------------------------------------------------------- timers


def next_wakeup(state: ProjectState, policy: Policy, calendar: WorkCalendar, now: datetime | None = None) -> datetime | None:
    """The earliest moment at which ``Tick`` could produce an event, or None if no timer is needed.

    With ``now``, a notice that fell due while nobody ticked is due at the next working moment from
    ``now`` (``Tick`` sends nothing outside working time), and a milestone reminder that could then only
    go out after its deadline is dropped — as ``Tick`` decides, so a workflow never wakes to nothing."""
    moments = []
    for moment, kind, subject in _notice_moments(state, policy, calendar):
        if now is not None and moment <= now:
            working = policy.notice_window == "any_time" or calendar.may_notify(now, policy.working_hours)
            moment = now if working else _deliver(now, policy, calendar)
            if kind == "milestone_reminder" and isinstance(subject, MilestoneState) and moment >= subject.deadline:
                continue
        moments.append(moment)
    return min(moments) if moments else None


# --------------------------------------------------------------------------- evolve


def evolve(state: ProjectState, event: Event) -> ProjectState:
    """Fold one event into the state. Never refuses: events are facts."""
    s = state.model_copy(deep=True)
    s.version += 1
    if event.policy_version:
        s.policy_version = event.policy_version
    match event:
        case ProjectApplied():
            s.project_id = event.project_id
            s.stage = Stage.REVIEWING
            s.level = event.level
            s.org_code, s.org_name, s.region, s.year = event.org_code, event.org_name, event.region, event.year
            s.owner = event.owner
            s.application = event.application
            s.application_status = ApplicationStatus.SUBMITTED
            s.round = event.round
            s.applied_at = event.at
            s.milestones = [MilestoneState(**m.model_dump()) for m in event.application.milestones]
        case ApplicationRevised():
            s.application = event.application
            s.application_status = ApplicationStatus.SUBMITTED
            s.round = event.round
            s.milestones = [MilestoneState(**m.model_dump()) for m in event.application.milestones]
        case ApplicationReturned():
            s.application_status = ApplicationStatus.RETURNED
            s.revision_rounds = event.returns
            s.reviews.append(ReviewEntry(round=event.round, decision="returned", by=event.actor, at=event.at, comments=event.comments))
        case ApplicationApproved():
            s.stage = Stage.IMPLEMENTING
            s.application_status = ApplicationStatus.APPROVED
            s.approved_at = event.at
            s.reports = [ReportState(**r.model_dump()) for r in event.reports_due]
            s.reviews.append(ReviewEntry(round=event.round, decision="approved", by=event.actor, at=event.at, comments=event.comments))
        case ApplicationRejected():
            s.stage = Stage.REJECTED
            s.application_status = ApplicationStatus.REJECTED
            s.closed_at = event.at
            s.reviews.append(ReviewEntry(round=event.round, decision="rejected", by=event.actor, at=event.at, comments=event.comments))
        case ProgressRecorded():
            s.progress.append(ProgressEntry(at=event.at, by=event.actor, note=event.note, milestone_id=event.milestone_id, evidence=event.evidence))
        case MilestoneCompleted():
            m = _milestone(s, event.milestone_id)
            m.done, m.done_at, m.late = True, event.at, event.late
            s.progress.append(ProgressEntry(at=event.at, by=event.actor, note=event.note or "完成", milestone_id=m.id, evidence=event.evidence))
        case MilestoneReminderSent():
            _milestone(s, event.milestone_id).reminded = True
        case MilestoneOverdue():
            _milestone(s, event.milestone_id).overdue = True
        case QuarterlyReportSubmitted():
            r = _report_of(s, event.quarter)
            r.submitted_at, r.late, r.note = event.at, event.late, event.note
        case ReportReminderSent():
            r = _report_of(s, event.quarter)
            r.reminded, r.last_notice_at = True, event.scheduled or event.at
        case ReportUrged():
            r = _report_of(s, event.quarter)
            r.urges, r.last_notice_at = event.urge, event.scheduled or event.at
        case EvaluationDue():
            s.evaluation_due_sent = True
        case ProjectEvaluated():
            s.stage = Stage.EVALUATED
            s.evaluation = Evaluation(
                rating=event.rating,
                given_rating=event.given_rating,
                satisfaction=event.satisfaction,
                by=event.actor,
                at=event.at,
                comments=event.comments,
            )
        case DutyReviewRecorded():
            pass  # a record for the 述职评议; the evaluation above already holds its facts
        case SanctionProposed():
            s.proposals.append(
                SanctionProposal(
                    proposal_id=event.proposal_id, rung=event.rung, reason=event.reason, proposed_at=event.at, decide_by=event.decide_by
                )
            )
        case SanctionDecided():
            p = _proposal(s, event.proposal_id)
            p.status = ProposalStatus(event.decision.value)
            p.decided_by, p.decided_at, p.comment = event.actor, event.at, event.comment
        case SanctionLapsed():
            _proposal(s, event.proposal_id).status = ProposalStatus.LAPSED
        case ProjectPromoted():
            s.stage = Stage.PROMOTED
            s.closed_at, s.note = event.at, event.note
        case ProjectClosed():
            s.stage = Stage.CLOSED
            s.closed_at, s.note = event.at, event.note
    if s.stage != state.stage:
        s.stage_since = event.at
    return s


def _milestone(state: ProjectState, milestone_id: str) -> MilestoneState:
    m = state.milestone(milestone_id)
    if m is None:
        raise ValueError(f"event refers to unknown milestone {milestone_id}")
    return m


def _report_of(state: ProjectState, quarter: int) -> ReportState:
    r = state.report(quarter)
    if r is None:
        raise ValueError(f"event refers to a report not owed: Q{quarter}")
    return r


def _proposal(state: ProjectState, proposal_id: str) -> SanctionProposal:
    p = next((p for p in state.proposals if p.proposal_id == proposal_id), None)
    if p is None:
        raise ValueError(f"event refers to unknown proposal {proposal_id}")
    return p


def fold(events: list[Event], state: ProjectState = INITIAL_STATE) -> ProjectState:
    for event in events:
        state = evolve(state, event)
    return state


def outcome_of(state: ProjectState) -> str | None:
    """The project's outcome code for ledgers: promoted / closed / rejected, or None while open."""
    return state.stage.value if state.stage in TERMINAL else None

