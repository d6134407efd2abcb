"""Supervision policy: every number is a local setting, versioned, never hard-coded in rules.

The defaults below are one county's example; a policy file overrides any of them and its
``version`` is recorded on every event the policy shaped. docs/policy.md explains every key.

A leaf: the policy imports no feature module (rectification, project, designation, memory, cadence);
its sections live beside it (``domain.policy.projects``, ``.memory``, ``.designation``, ``.cadence``)
and the features import them from here.
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from domain.actors import Role
from domain.policy.cadence import CadencePolicy
from domain.policy.designation import DesignationPolicy
from domain.policy.memory import MemoryPolicy
from domain.policy.projects import ProjectPolicy
from domain.policy.rating import RatingPolicy
from domain.rungs import Rung as Rung  # re-exported: policy files name rungs
from domain.timeutil import format_duration, parse_duration
from domain.workcal import Offset, WorkingHours, offset_length

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


class Recipient(StrEnum):
    RESPONSIBLE = "responsible"  # 措施责任人
    LEADERS = "leaders"  # 包联领导
    SUPERVISORS = "supervisors"  # 组织部督导员
    SUPERIOR = "superior"  # 上级党组织（乡镇党委）负责人, from ``superiors``


class Label(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str
    en: str


# The sanction rungs (问责处理): by default they are proposals a person approves or dismisses.
SANCTION_RUNGS = frozenset({Rung.ADMONISHMENT_TALK, Rung.PERSONNEL_ADJUSTMENT})


class EscalationStep(BaseModel):
    """One rung of the ladder (问责阶梯), fired once per measure while it stays overdue.

    ``after`` counts from the deadline (``"5wd"`` working days, or ``"7d"``/``"12h"`` calendar time);
    ``notify`` (alias ``targets``) names who is told; ``wording`` overrides the built-in text
    (placeholders: {org} {case} {measure} {deadline} {overdue_for} {rung}); ``proposal`` makes the rung a
    sanction proposal that someone with a ``sanction_approvers`` role approves or dismisses within
    ``decide_within``, after which the next rung fires early.
    """

    model_config = ConfigDict(extra="forbid")
    rung: Rung
    after: Offset
    notify: list[Recipient] = Field(
        default_factory=lambda: [Recipient.RESPONSIBLE, Recipient.LEADERS],
        validation_alias=AliasChoices("notify", "targets"),
    )
    wording: Label | None = None
    proposal: bool | None = None  # None: true for admonishment talk and personnel adjustment
    decide_within: Offset = "5wd"

    @property
    def is_proposal(self) -> bool:
        return self.rung in SANCTION_RUNGS if self.proposal is None else self.proposal


class AcceptancePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pass_score: float = Field(default=70.0, ge=0, le=100)
    # A case fails outright when the unsatisfied share of the public survey is above this.
    max_unsatisfied_share: float = Field(default=0.5, ge=0, le=1)


DEFAULT_CATEGORIES: dict[str, Label] = {
    "weak_leadership": Label(zh="班子软弱涣散、凝聚力不强", en="weak, divided leadership team"),
    "secretary_unfit": Label(zh="书记不胜任、长期缺职", en="secretary unfit or post vacant"),
    "organization_life": Label(zh="组织生活不正常、制度不落实", en="irregular organizational life"),
    "collective_economy": Label(zh="集体经济薄弱、发展思路不清", en="weak collective economy"),
    "governance": Label(zh="基层治理问题突出、矛盾纠纷集中", en="governance problems, disputes"),
    "mass_discontent": Label(zh="服务群众意识差、群众反映强烈", en="poor service, strong public complaints"),
    "discipline": Label(zh="违纪违法问题、村务不公开", en="discipline problems, opaque village affairs"),
    "other": Label(zh="其他问题", en="other"),
}


def default_ladder() -> list[EscalationStep]:
    """提醒 → 提醒谈话 → 发函督办 → 诫勉谈话（提议）→ 组织调整（提议）, in working days after the deadline."""
    return [
        EscalationStep(rung=Rung.REMINDER, after="1wd", notify=[Recipient.RESPONSIBLE]),
        EscalationStep(rung=Rung.REMINDER_TALK, after="5wd", notify=[Recipient.RESPONSIBLE, Recipient.LEADERS]),
        EscalationStep(
            rung=Rung.SUPERVISION_NOTICE,
            after="10wd",
            notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS, Recipient.SUPERIOR],
        ),
        EscalationStep(
            rung=Rung.ADMONISHMENT_TALK,
            after="20wd",
            notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS],
            proposal=True,
            decide_within="5wd",
        ),
        EscalationStep(
            rung=Rung.PERSONNEL_ADJUSTMENT,
            after="40wd",
            notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS, Recipient.SUPERIOR],
            proposal=True,
            decide_within="10wd",
        ),
    ]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(default="default-2026.1", min_length=1)
    problem_categories: dict[str, Label] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    # A deadline given as a date falls due at this Beijing time on that date.
    deadline_time_of_day: time = time(18, 0)
    # Notices (reminders, 催办, escalations) are delivered only on workdays inside these Beijing hours.
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    # working_time: reminders, overdue notices, rungs and lapses wait for the next working moment
    # (workday per the calendar, inside working_hours). any_time: exactly when due (demos, tests).
    notice_window: Literal["working_time", "any_time"] = "working_time"
    # Reminders before each measure deadline (提前提醒): "5wd" working days, or "7d"/"12h" calendar time.
    reminder_leads: list[Offset] = Field(default_factory=lambda: ["5wd", "1wd"])
    # After the deadline, these rungs fire once each per measure, in order (逾期升级, 问责阶梯).
    escalation_ladder: list[EscalationStep] = Field(default_factory=default_ladder)
    # Roles that may approve or dismiss a sanction proposal (never the measure's responsible person).
    sanction_approvers: list[Role] = Field(default_factory=lambda: [Role.SUPERVISOR, Role.COUNTY_LEADER])
    # Roles that may pause, resume and extend deadlines (never the person who asked for it).
    deadline_approvers: list[Role] = Field(default_factory=lambda: [Role.SUPERVISOR, Role.COUNTY_LEADER])
    acceptance: AcceptancePolicy = Field(default_factory=AcceptancePolicy)
    # A failed acceptance reopens every measure with this much time to rework (整改不达标，限期重新整改).
    rework_period: Duration = timedelta(days=90)
    # Consolidation / observation period after a passed acceptance (巩固期).
    consolidation_period: Duration = timedelta(days=365)
    # 销号 waits until every approved 组织调整 / 诫勉谈话 of the case is recorded as carried out (RecordExecution).
    close_requires_execution: bool = True
    # Supervisors to notify of escalations, proposals and the end of a consolidation period.
    supervisors: list[str] = Field(default_factory=list)
    # The superior (上级党组织负责人) per region (township) for 发函督办; "*" for every other region.
    superiors: dict[str, list[str]] = Field(default_factory=dict)
    # Designation of weak and lax organizations (认定): quotas per domain, direct criteria.
    designation: DesignationPolicy = Field(default_factory=DesignationPolicy)
    # Memory across years (连续两年、三年内两次…): rules producing sanction proposals.
    memory: MemoryPolicy = Field(default_factory=MemoryPolicy)
    # Secretary / committee-member / branch projects (书记项目).
    projects: ProjectPolicy = Field(default_factory=ProjectPolicy)
    # Supervision cadence (月督导、季观摩、半年通报) run by Temporal Schedules.
    cadence: CadencePolicy = Field(default_factory=CadencePolicy)
    # The yearly star rating (评星定级): standards, gates, 公示 window (docs/rating.md).
    rating: RatingPolicy = Field(default_factory=RatingPolicy)

    @model_validator(mode="after")
    def _check(self) -> Policy:
        if any(offset_length(lead) <= timedelta(0) for lead in self.reminder_leads):
            raise ValueError("reminder_leads must be positive offsets (e.g. 5wd, 1wd, 12h)")
        if self.rework_period <= timedelta(0):
            raise ValueError("rework_period must be positive: a rework needs time before its deadline")
        if self.consolidation_period < timedelta(0):
            raise ValueError("consolidation_period must not be negative")
        afters = [offset_length(step.after) for step in self.escalation_ladder]
        if afters != sorted(afters):
            raise ValueError("escalation_ladder steps must be in increasing order of 'after'")
        rungs = [step.rung for step in self.escalation_ladder]
        if len(set(rungs)) != len(rungs):
            raise ValueError("each rung may appear once in escalation_ladder")
        if any(step.is_proposal and offset_length(step.decide_within) <= timedelta(0) for step in self.escalation_ladder):
            raise ValueError("decide_within must be positive for a proposal rung")
        if not self.sanction_approvers or not self.deadline_approvers:
            raise ValueError("sanction_approvers and deadline_approvers must name at least one role")
        if not self.problem_categories:
            raise ValueError("problem_categories must not be empty")
        return self

    def sorted_leads(self) -> list[str]:
        """Reminder leads, longest first (working days count 7/5 of a day for the ordering)."""
        return sorted(set(self.reminder_leads), key=offset_length, reverse=True)

    def step_after(self, rung: Rung) -> EscalationStep | None:
        """The ladder step following ``rung``, if any."""
        rungs = [s.rung for s in self.escalation_ladder]
        if rung not in rungs:
            return None
        index = rungs.index(rung) + 1
        return self.escalation_ladder[index] if index < len(self.escalation_ladder) else None

    def superiors_of(self, region: str) -> list[str]:
        return list(self.superiors.get(region) or self.superiors.get("*") or [])
