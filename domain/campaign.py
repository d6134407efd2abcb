"""The annual campaign (年度整顿工作): the committee-level PDCA loop over a region's cases, as a decider.

    decide(state, command, now, policy) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                         total, never refuses

One campaign per region and year, stream ``camp-{region}-{year}`` (see ``campaign_id_for``):

    Plan   OpenCampaign, ApproveDesignation (a supervisor approves the designees; approving again
           amends: organizations already approved are skipped, never duplicated)
    Do     CasesStarted (the workflow starts each approved case as a child rectification workflow and
           records, batch by batch, which case ids it started and which already existed)
    Check  CheckRecorded (a snapshot of the figures over the campaign's cases, when they changed)
    Act    YearClosed (the year-end summary: on-time rate, carried-over cases, upgrades), then
           OutcomesRecorded (the write-back to the organizations' history that next year's
           designation and memory rules read)

Pure: no I/O, no clock (``now`` is given), no Temporal.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain import rectification
from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.errors import DomainError, InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.policy import Policy
from domain.rectification import OpenCase, case_id_for
from domain.timeutil import SHANGHAI
from domain.workcal import WorkCalendar

KIND = "campaign"
PREFIX = "camp-"
ALL_REGIONS = "all"  # the token of a county-wide campaign (no --region): every region of the directory
_SPACE = re.compile(r"\s+")


def region_token(region: str | None) -> str:
    """The id-safe form of a region name, used in the stream / workflow id.

    Temporal workflow ids are any UTF-8 string (up to 1 000 bytes by default) and the audit log's
    stream ids are up to 128 characters of any text, so a region name is used as it is — Chinese
    included (``camp-城关镇-2026``). Only whitespace is normalised: leading/trailing spaces are dropped
    and inner runs of whitespace become one ``_``. No region (the whole county) is ``all``.
    """
    if region is None or not region.strip():
        return ALL_REGIONS
    return _SPACE.sub("_", region.strip())


def campaign_id_for(region: str | None, year: int) -> str:
    return f"{PREFIX}{region_token(region)}-{year}"


class CampaignStage(StrEnum):
    NEW = "new"  # not opened
    OPEN = "open"  # 已启动: opened, waiting for the designation list to be approved
    RUNNING = "running"  # 推进中: approved; cases are started, checked monthly
    CLOSED = "closed"  # 年度总结: the year is closed and summarised


class StartStatus(StrEnum):
    PENDING = "pending"  # approved, not started yet
    STARTED = "started"  # started by this campaign
    EXISTING = "existing"  # the case already existed (opened by hand, or a retried start): counted, not duplicated


class CampaignSettings(BaseModel):
    """How the campaign workflow paces itself; given with the workflow input (defaults are sane for a county)."""

    model_config = ConfigDict(extra="forbid")

    # Do: children started per batch, and the pause between batches (rate limit on the Temporal frontend).
    start_batch_size: int = Field(default=50, ge=1, le=500)
    batch_pause: timedelta = timedelta(seconds=2)
    # Continue-as-new after this many children started in one run (far below the 2 000 pending-children
    # limit: a running child counts as pending for its parent run even with ParentClosePolicy.ABANDON).
    continue_as_new_after_starts: int = Field(default=500, ge=1, le=1500)
    # Check: the first day of every month at this Beijing time (月督导), and on `refresh`.
    check_time: time = time(8, 0)
    # Act: the year closes itself at this Beijing time on 31 December (unless closed earlier by hand).
    year_end_time: time = time(18, 0)
    auto_close: bool = True
    # Approval payloads are sent in chunks of this many designees (each chunk an amending approval).
    approval_chunk: int = Field(default=200, ge=1, le=1000)


# --------------------------------------------------------------------------- figures (Check)


class ProjectCounts(BaseModel):
    total: int = 0
    by_stage: dict[str, int] = Field(default_factory=dict)
    ratings: dict[str, int] = Field(default_factory=dict)
    overdue_milestones: int = 0
    models_promoted: int = 0


class CampaignFigures(BaseModel):
    """What the Check step sees over the campaign's cases (computed with reports.figures)."""

    as_of: AwareDatetime
    cases: int = 0  # case rows found (cases that exist in the audit log)
    by_stage: dict[str, int] = Field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = Field(default_factory=dict)  # township → stage → n
    overdue_cases: int = 0
    overdue_measures: int = 0
    escalations: int = 0
    sanction_proposals: int = 0
    closed: int = 0
    upgraded: int = 0
    carried_over: int = 0
    measures_total: int = 0
    measures_done: int = 0
    measures_due: int = 0
    measures_on_time: int = 0
    on_time_rate: float | None = None
    carried_over_cases: list[str] = Field(default_factory=list)
    upgraded_cases: list[str] = Field(default_factory=list)
    org_upgrades: list[str] = Field(default_factory=list)  # org codes whose star/class rose this year
    projects: ProjectCounts | None = None

    def same_as(self, other: CampaignFigures | None) -> bool:
        """Equal apart from the moment they were taken."""
        return other is not None and self.model_dump(exclude={"as_of"}) == other.model_dump(exclude={"as_of"})


class YearEndSummary(BaseModel):
    year: int
    region: str | None
    designated: int
    started: int
    existing: int
    on_time_rate: float | None
    carried_over: list[str]  # case ids not closed by the year's end
    upgraded: list[str]  # case ids closed with outcome upgraded (晋位升级)
    org_upgrades: list[str]  # org codes whose star rating or class rose
    figures: CampaignFigures


# --------------------------------------------------------------------------- commands


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor


class OpenCampaign(_Command):
    type: Literal["OpenCampaign"] = "OpenCampaign"
    region: str | None = None
    year: int = Field(ge=2000, le=2100)


class ApproveDesignation(_Command):
    """The designation list, approved by a supervisor: one opening command per designated organization."""

    type: Literal["ApproveDesignation"] = "ApproveDesignation"
    designees: list[OpenCase] = Field(min_length=1)
    note: str = ""


class RecordStarts(_Command):
    """Issued by the workflow after a batch of child starts: which approved cases now run."""

    type: Literal["RecordStarts"] = "RecordStarts"
    actor: Actor = SYSTEM_ACTOR
    started: list[str] = Field(default_factory=list)
    existing: list[str] = Field(default_factory=list)


class RecordCheck(_Command):
    type: Literal["RecordCheck"] = "RecordCheck"
    actor: Actor = SYSTEM_ACTOR
    figures: CampaignFigures


class CloseYear(_Command):
    """Act: close the year. People send it without figures; the workflow adds the final figures."""

    type: Literal["CloseYear"] = "CloseYear"
    note: str = ""
    figures: CampaignFigures | None = None


class RecordOutcomes(_Command):
    """Issued by the workflow once the outcomes were written back to the organizations' history."""

    type: Literal["RecordOutcomes"] = "RecordOutcomes"
    actor: Actor = SYSTEM_ACTOR
    organizations: int = Field(ge=0)


Command = Annotated[
    Union[OpenCampaign, ApproveDesignation, RecordStarts, RecordCheck, CloseYear, RecordOutcomes],
    Field(discriminator="type"),
]
# Commands people may send through the workflow's `command` Update; the rest come from the workflow.
PEOPLE_COMMANDS = frozenset({"ApproveDesignation", "CloseYear"})

# --------------------------------------------------------------------------- events


class _Event(BaseModel):
    at: AwareDatetime
    actor: str
    policy_version: str | None = None


class CampaignOpened(_Event):
    type: Literal["CampaignOpened"] = "CampaignOpened"
    campaign_id: str
    region: str | None
    year: int


class DesignationApproved(_Event):
    type: Literal["DesignationApproved"] = "DesignationApproved"
    round: int
    designees: list[OpenCase]  # only organizations not approved before
    skipped: list[str] = Field(default_factory=list)  # org codes already approved (amending never duplicates)
    note: str = ""


class CasesStarted(_Event):
    type: Literal["CasesStarted"] = "CasesStarted"
    batch: int
    started: list[str]
    existing: list[str]


class CheckRecorded(_Event):
    type: Literal["CheckRecorded"] = "CheckRecorded"
    figures: CampaignFigures


class YearClosed(_Event):
    type: Literal["YearClosed"] = "YearClosed"
    summary: YearEndSummary
    note: str = ""


class OutcomesRecorded(_Event):
    type: Literal["OutcomesRecorded"] = "OutcomesRecorded"
    organizations: int


Event = Annotated[
    Union[CampaignOpened, DesignationApproved, CasesStarted, CheckRecorded, YearClosed, OutcomesRecorded],
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS: frozenset[str] = frozenset()  # a campaign notifies nobody itself; its cases do

# --------------------------------------------------------------------------- state


class CampaignCase(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    basis: str  # ranking | direct
    round: int  # the approval round that added it
    status: StartStatus = StartStatus.PENDING


class CampaignState(BaseModel):
    stage: CampaignStage = CampaignStage.NEW
    campaign_id: str = ""
    region: str | None = None
    year: int = 0
    version: int = 0
    opened_at: datetime | None = None
    approvals: int = 0
    cases: dict[str, CampaignCase] = Field(default_factory=dict)  # by case id, in approval order
    pending: list[OpenCase] = Field(default_factory=list)  # approved, not yet started
    batches: int = 0
    checks: int = 0
    last_check: CampaignFigures | None = None
    summary: YearEndSummary | None = None
    closed_at: datetime | None = None
    outcomes_recorded: bool = False
    policy_version: str | None = None

    def count(self, status: StartStatus) -> int:
        return sum(1 for c in self.cases.values() if c.status == status)

    @property
    def started(self) -> int:
        """Cases running because of this campaign: started by it, or found already started."""
        return self.count(StartStatus.STARTED) + self.count(StartStatus.EXISTING)


INITIAL_STATE = CampaignState()

_SUPERVISORS = frozenset({Role.SUPERVISOR})
_SYSTEM = frozenset({Role.SYSTEM})
ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "OpenCampaign": _SUPERVISORS,
    "ApproveDesignation": _SUPERVISORS,
    "RecordStarts": _SYSTEM,
    "RecordCheck": _SUPERVISORS | _SYSTEM,
    "CloseYear": _SUPERVISORS | _SYSTEM,
    "RecordOutcomes": _SYSTEM,
}
ALLOWED_STAGES: dict[str, frozenset[CampaignStage]] = {
    "OpenCampaign": frozenset({CampaignStage.NEW}),
    "ApproveDesignation": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "RecordStarts": frozenset({CampaignStage.RUNNING}),
    "RecordCheck": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "CloseYear": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "RecordOutcomes": frozenset({CampaignStage.CLOSED}),
}


def _authorize(state: CampaignState, command: _Command) -> None:
    kind = command.type  # type: ignore[attr-defined]
    actor = command.actor
    if not actor.has_any(ROLES_ALLOWED[kind]):
        allowed = ", ".join(sorted(ROLES_ALLOWED[kind]))
        raise PermissionDenied(f"{actor.id} has none of the roles allowed to {kind}: {allowed}")
    region = command.region if isinstance(command, OpenCampaign) else state.region
    if region is None:
        if "*" not in actor.scope:
            raise PermissionDenied(f"{actor.id} may not act on a county-wide campaign (scope {','.join(actor.scope)})")
    elif not actor.may_act_on("", region):
        raise PermissionDenied(f"{actor.id} may not act on region {region}")


# --------------------------------------------------------------------------- decide


def decide(state: CampaignState, command: Command, now: datetime, policy: Policy) -> list[Event]:
    kind = command.type
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in campaign stage {state.stage.value}")
    _authorize(state, command)
    base = {"at": now, "actor": command.actor.id}
    if isinstance(command, OpenCampaign):
        return [
            CampaignOpened(
                **base,
                campaign_id=campaign_id_for(command.region, command.year),
                region=command.region.strip() if command.region and command.region.strip() else None,
                year=command.year,
            )
        ]
    if isinstance(command, ApproveDesignation):
        return _approve(state, command, base, now, policy)
    if isinstance(command, RecordStarts):
        return _starts(state, command, base)
    if isinstance(command, RecordCheck):
        if command.figures.same_as(state.last_check):
            return []
        return [CheckRecorded(**base, figures=command.figures)]
    if isinstance(command, CloseYear):
        return _close(state, command, base)
    if isinstance(command, RecordOutcomes):
        if state.outcomes_recorded:
            return []
        return [OutcomesRecorded(**base, organizations=command.organizations)]
    raise InvalidCommand(f"unknown campaign command {kind}")  # pragma: no cover


def _approve(state: CampaignState, c: ApproveDesignation, base: dict, now: datetime, policy: Policy) -> list[Event]:
    seen: set[str] = set()
    fresh: list[OpenCase] = []
    skipped: list[str] = []
    for open_case in c.designees:
        if open_case.org_code in seen:
            raise InvalidCommand(f"organization {open_case.org_code} is listed twice in the designation")
        seen.add(open_case.org_code)
        if open_case.year != state.year:
            raise InvalidCommand(f"{open_case.org_code}: case year {open_case.year} is not the campaign year {state.year}")
        if state.region is not None and open_case.region != state.region:
            raise InvalidCommand(f"{open_case.org_code}: region {open_case.region} is not the campaign's region {state.region}")
        if case_id_for(open_case.org_code, state.year) in state.cases:
            skipped.append(open_case.org_code)
            continue
        # The case itself must be one the rectification rules accept (categories, roles, scope).
        try:
            rectification.decide(rectification.INITIAL_STATE, open_case, now, policy, WorkCalendar())  # opening uses no calendar
        except DomainError as error:
            raise type(error)(f"{open_case.org_code}: {error.message}") from None
        fresh.append(open_case)
    if not fresh:
        return []  # everything already approved: amending with nothing new changes nothing
    return [
        DesignationApproved(
            **base, policy_version=policy.version, round=state.approvals + 1, designees=fresh, skipped=skipped, note=c.note
        )
    ]


def _starts(state: CampaignState, c: RecordStarts, base: dict) -> list[Event]:
    pending = {case_id_for(o.org_code, o.year) for o in state.pending}
    both = set(c.started) & set(c.existing)
    if both:
        raise InvalidCommand(f"cases reported both started and existing: {sorted(both)}")
    unknown = [cid for cid in [*c.started, *c.existing] if cid not in pending]
    if unknown:
        raise InvalidCommand(f"cases not pending a start: {unknown[:5]}")
    if not c.started and not c.existing:
        return []
    return [CasesStarted(**base, batch=state.batches + 1, started=list(c.started), existing=list(c.existing))]


def _close(state: CampaignState, c: CloseYear, base: dict) -> list[Event]:
    if state.pending:
        raise NotAllowedInStage(f"{len(state.pending)} approved cases are still being started; close the year after they run")
    figures = c.figures or state.last_check or CampaignFigures(as_of=base["at"])
    summary = YearEndSummary(
        year=state.year,
        region=state.region,
        designated=len(state.cases),
        started=state.count(StartStatus.STARTED),
        existing=state.count(StartStatus.EXISTING),
        on_time_rate=figures.on_time_rate,
        carried_over=list(figures.carried_over_cases),
        upgraded=list(figures.upgraded_cases),
        org_upgrades=list(figures.org_upgrades),
        figures=figures,
    )
    return [YearClosed(**base, summary=summary, note=c.note)]


# --------------------------------------------------------------------------- evolve


def evolve(state: CampaignState, event: Event) -> CampaignState:
    s = state.model_copy(deep=False)
    s.version = state.version + 1
    if isinstance(event, CampaignOpened):
        s.stage = CampaignStage.OPEN
        s.campaign_id, s.region, s.year, s.opened_at = event.campaign_id, event.region, event.year, event.at
    elif isinstance(event, DesignationApproved):
        s.stage = CampaignStage.RUNNING
        s.approvals = event.round
        s.policy_version = event.policy_version or s.policy_version
        s.cases = dict(state.cases)
        s.pending = [*state.pending, *event.designees]
        for o in event.designees:
            cid = case_id_for(o.org_code, o.year)
            s.cases[cid] = CampaignCase(
                case_id=cid, org_code=o.org_code, org_name=o.org_name, region=o.region, basis=o.basis.kind.value, round=event.round
            )
    elif isinstance(event, CasesStarted):
        s.batches = event.batch
        s.cases = dict(state.cases)
        done = set(event.started) | set(event.existing)
        for cid in event.started:
            s.cases[cid] = s.cases[cid].model_copy(update={"status": StartStatus.STARTED})
        for cid in event.existing:
            s.cases[cid] = s.cases[cid].model_copy(update={"status": StartStatus.EXISTING})
        s.pending = [o for o in state.pending if case_id_for(o.org_code, o.year) not in done]
    elif isinstance(event, CheckRecorded):
        s.checks = state.checks + 1
        s.last_check = event.figures
    elif isinstance(event, YearClosed):
        s.stage = CampaignStage.CLOSED
        s.summary = event.summary
        s.last_check = event.summary.figures
        s.closed_at = event.at
    elif isinstance(event, OutcomesRecorded):
        s.outcomes_recorded = True
    return s


def fold(events: list[Event], state: CampaignState = INITIAL_STATE) -> CampaignState:
    for event in events:
        state = evolve(state, event)
    return state


# --------------------------------------------------------------------------- the clock


def year_end_at(year: int, settings: CampaignSettings) -> datetime:
    """31 December of the campaign year at ``year_end_time`` Beijing, as UTC."""
    return datetime.combine(date(year, 12, 31), settings.year_end_time, tzinfo=SHANGHAI).astimezone(timezone.utc)


def next_check_at(after: datetime, settings: CampaignSettings) -> datetime:
    """The first monthly check (1st of a month at ``check_time`` Beijing) strictly after ``after``."""
    local = after.astimezone(SHANGHAI)
    candidate = datetime.combine(date(local.year, local.month, 1), settings.check_time, tzinfo=SHANGHAI)
    while candidate <= local:
        year, month = (candidate.year + 1, 1) if candidate.month == 12 else (candidate.year, candidate.month + 1)
        candidate = datetime.combine(date(year, month, 1), settings.check_time, tzinfo=SHANGHAI)
    return candidate.astimezone(timezone.utc)


def next_batch(state: CampaignState, settings: CampaignSettings) -> list[OpenCase]:
    return state.pending[: settings.start_batch_size]


# --------------------------------------------------------------------------- words


def describe(event: Event, lang: str = "zh") -> str:
    """One line about an event, for histories and logs."""
    zh = lang == "zh"
    if isinstance(event, CampaignOpened):
        where = event.region or ("全县" if zh else "county-wide")
        return f"{event.year}年度 {where}" if zh else f"{event.year}, {where}"
    if isinstance(event, DesignationApproved):
        extra = (f"，已在名单中 {len(event.skipped)} 个" if zh else f", {len(event.skipped)} already approved") if event.skipped else ""
        return (f"第{event.round}次批准，新增 {len(event.designees)} 个党组织{extra}" if zh
                else f"approval #{event.round}: {len(event.designees)} organizations added{extra}")
    if isinstance(event, CasesStarted):
        return (f"第{event.batch}批：启动 {len(event.started)} 个，已存在 {len(event.existing)} 个" if zh
                else f"batch {event.batch}: {len(event.started)} started, {len(event.existing)} already existed")
    if isinstance(event, CheckRecorded):
        f = event.figures
        rate = "—" if f.on_time_rate is None else f"{f.on_time_rate:.0%}"
        return (f"案件 {f.cases}，逾期 {f.overdue_cases}，销号 {f.closed}，按期完成率 {rate}" if zh
                else f"cases {f.cases}, overdue {f.overdue_cases}, closed {f.closed}, on time {rate}")
    if isinstance(event, YearClosed):
        s = event.summary
        rate = "—" if s.on_time_rate is None else f"{s.on_time_rate:.0%}"
        return (f"认定 {s.designated}，按期完成率 {rate}，结转 {len(s.carried_over)}，晋位升级 {len(s.upgraded)}" if zh
                else f"designated {s.designated}, on time {rate}, carried over {len(s.carried_over)}, upgraded {len(s.upgraded)}")
    if isinstance(event, OutcomesRecorded):
        return f"写回 {event.organizations} 个党组织的年度记录" if zh else f"outcomes written back for {event.organizations} organizations"
    return event.type  # pragma: no cover


def render(event: Event, stream_id: str, org_name: str = "", lang: str = "zh") -> str:
    """The kind registry's render function. A campaign sends no notices; histories show this line."""
    return describe(event, lang)


def kind():  # type: ignore[no-untyped-def]
    """This stream kind, for the registry in domain/kinds.py."""
    from domain.kinds import Kind

    return Kind(KIND, PREFIX, EVENT_ADAPTER, NOTICE_EVENTS, render)
