"""Supervision policy: every number is a local setting, versioned, never hard-coded in rules.

The defaults below are one county's example; a policy file overrides any of them and its
``version`` is recorded on every event the policy shaped.
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from domain.cadence import CadencePolicy
from domain.designation import DesignationPolicy
from domain.memory import MemoryPolicy
from domain.project import ProjectPolicy
from domain.rungs import Rung  # noqa: F401  (re-exported: policy files name rungs)
from domain.timeutil import format_duration, parse_duration
from domain.workcal import WorkingHours

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


class Recipient(StrEnum):
    RESPONSIBLE = "responsible"  # 措施责任人
    LEADERS = "leaders"  # 包联领导
    SUPERVISORS = "supervisors"  # 组织部督导员


class Label(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str
    en: str


class EscalationStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rung: Rung
    after: Duration  # measured from the moment the measure fell overdue
    notify: list[Recipient] = Field(default_factory=lambda: [Recipient.RESPONSIBLE, Recipient.LEADERS])


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


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(default="default-2026.1", min_length=1)
    problem_categories: dict[str, Label] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    # A deadline given as a date falls due at this Beijing time on that date.
    deadline_time_of_day: time = time(18, 0)
    # Notices (reminders, 催办, escalations) are delivered only on workdays inside these Beijing hours.
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    # Reminders before each measure deadline (提前提醒).
    reminder_leads: list[Duration] = Field(default_factory=lambda: [timedelta(days=7), timedelta(days=1)])
    # After the overdue notice, these rungs fire once each, in order (逾期升级).
    escalation_ladder: list[EscalationStep] = Field(
        default_factory=lambda: [
            EscalationStep(rung=Rung.REMINDER_TALK, after=timedelta(days=7)),
            EscalationStep(
                rung=Rung.SUPERVISION_NOTICE,
                after=timedelta(days=21),
                notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS],
            ),
        ]
    )
    acceptance: AcceptancePolicy = Field(default_factory=AcceptancePolicy)
    # A failed acceptance reopens every measure with this much time to rework (整改不达标，限期重新整改).
    rework_period: Duration = timedelta(days=90)
    # Consolidation / observation period after a passed acceptance (巩固期).
    consolidation_period: Duration = timedelta(days=365)
    # Supervisors to notify of escalations and of the end of a consolidation period.
    supervisors: list[str] = Field(default_factory=list)
    # Designation of weak and lax organizations (认定): quotas per domain, direct criteria.
    designation: DesignationPolicy = Field(default_factory=DesignationPolicy)
    # Memory across years (连续两年、三年内两次…): rules producing sanction proposals.
    memory: MemoryPolicy = Field(default_factory=MemoryPolicy)
    # Secretary / committee-member / branch projects (书记项目).
    projects: ProjectPolicy = Field(default_factory=ProjectPolicy)
    # Supervision cadence (月督导、季观摩、半年通报) run by Temporal Schedules.
    cadence: CadencePolicy = Field(default_factory=CadencePolicy)

    @model_validator(mode="after")
    def _check(self) -> Policy:
        if any(lead <= timedelta(0) for lead in self.reminder_leads):
            raise ValueError("reminder_leads must be positive durations")
        if self.rework_period <= timedelta(0):
            raise ValueError("rework_period must be positive: a rework needs time before its deadline")
        if self.consolidation_period < timedelta(0):
            raise ValueError("consolidation_period must not be negative")
        afters = [step.after for step in self.escalation_ladder]
        if any(after < timedelta(0) for after in afters):
            raise ValueError("escalation_ladder 'after' must not be negative: rungs follow the deadline")
        if afters != sorted(afters):
            raise ValueError("escalation_ladder steps must be in increasing order of 'after'")
        rungs = [step.rung for step in self.escalation_ladder]
        if len(set(rungs)) != len(rungs):
            raise ValueError("each rung may appear once in escalation_ladder")
        if not self.problem_categories:
            raise ValueError("problem_categories must not be empty")
        return self

    def sorted_leads(self) -> list[timedelta]:
        """Reminder leads, longest first."""
        return sorted(set(self.reminder_leads), reverse=True)
