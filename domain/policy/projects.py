"""The ``projects`` section of the policy (书记项目): every number a local setting (docs/projects.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.actors import Role
from domain.rungs import Rung
from domain.workcal import Offset

ProjectLevel = Literal["secretary", "committee_member", "branch"]


def _secretary_level_roles() -> dict[ProjectLevel, list[Role]]:
    return {"secretary": [Role.BRANCH_SECRETARY, Role.TOWNSHIP_SECRETARY, Role.FIRST_SECRETARY]}


class ProjectPolicy(BaseModel):
    """The ``projects`` section of the policy; every number a local setting (docs/projects.md)."""

    model_config = ConfigDict(extra="forbid")

    # How many times the review panel may return an application for revision (退回修改). After that,
    # a further return is refused: approve or reject (不予立项).
    max_revision_rounds: int = Field(default=3, ge=0, le=10)
    # Who applies, revises, reports (the project owner is the applicant); who reviews; who evaluates;
    # who promotes or closes. Separation of duties: owner ≠ reviewer ≠ evaluator.
    applicant_roles: list[Role] = Field(
        default_factory=lambda: [Role.BRANCH_SECRETARY, Role.TOWNSHIP_SECRETARY, Role.FIRST_SECRETARY, Role.COMMITTEE_MEMBER]
    )
    # Who may lead (apply for) a project of each level, on top of ``applicant_roles``: the 书记项目 is the
    # secretary's (one per organization and year); a 委员项目 or 支部项目 may be led by any applicant role,
    # one per person (several per organization and year). A level left out: ``applicant_roles`` alone.
    level_roles: dict[ProjectLevel, list[Role]] = Field(default_factory=lambda: _secretary_level_roles())
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
