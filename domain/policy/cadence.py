"""The ``cadence`` section of the policy (月督导、季观摩、半年通报): when the supervision schedules run.
domain.cadence chooses and words what each one says."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.actors import Role


class CadenceKind(StrEnum):
    MONTHLY_DIGEST = "monthly_digest"  # 月督导
    QUARTERLY_REVIEW = "quarterly_review"  # 季观摩
    HALF_YEAR_BULLETIN = "half_year_bulletin"  # 半年通报


class CadenceEntry(BaseModel):
    """One schedule: the months, day of month and Beijing time it runs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    months: list[int] = Field(min_length=1)
    day: int = Field(ge=1, le=28)  # ≤ 28 so every month has the day
    hour: int = Field(default=9, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)

    @model_validator(mode="after")
    def _check(self) -> CadenceEntry:
        if any(not 1 <= m <= 12 for m in self.months) or len(set(self.months)) != len(self.months):
            raise ValueError("months must be distinct numbers from 1 to 12")
        self.months = sorted(self.months)
        return self


class CadencePolicy(BaseModel):
    """Policy section; every number a local setting."""

    model_config = ConfigDict(extra="forbid")

    # 月督导: the 5th of every month, 09:00 — after the month's progress reports are in.
    monthly_digest: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=list(range(1, 13)), day=5))
    # 季观摩: the 10th of the month after each quarter.
    quarterly_review: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=[1, 4, 7, 10], day=10))
    # 半年通报: 15 July (first half) and 15 January (second half, with the year-end summary).
    half_year_bulletin: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=[1, 7], day=15))
    # The monthly digest lists measures falling due within this many days.
    look_ahead_days: int = Field(default=30, ge=1, le=180)
    # The quarterly list names this many organizations at each end.
    review_list_size: int = Field(default=5, ge=1, le=50)
    # A scheduled run whose day is not a working day (weekend, public holiday) runs on the next working
    # day at the same time (顺延), by the working-day calendar (docs/calendar.md); false: on the day itself.
    working_days_only: bool = True
    # Who is told when the policy names no ``supervisors``: every active person in the people directory
    # (`pdca person list`) with one of these roles — so a fresh stack without a policy file tells someone.
    recipient_roles: list[Role] = Field(default_factory=lambda: [Role.SUPERVISOR], min_length=1)

    def entry(self, kind: CadenceKind) -> CadenceEntry:
        entry: CadenceEntry = getattr(self, kind.value)
        return entry
