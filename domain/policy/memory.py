"""The ``memory`` section of the policy (历史记录规则): the cross-year rules, each with its rung and an
on/off switch. domain.memory evaluates them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.rungs import Rung


class Moment(StrEnum):
    DESIGNATION = "designation"  # 认定时
    ACCEPTANCE = "acceptance"  # 验收时


class RuleName(StrEnum):
    DESIGNATED_REPEATEDLY = "designated_repeatedly"
    FAILED_ACCEPTANCE = "failed_acceptance"
    LAST_PLACE = "last_place"


class MemoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    rung: Rung
    times: int = Field(default=2, ge=1)
    within_years: int = Field(default=3, ge=1, le=20)
    moments: list[Moment] = Field(default_factory=lambda: [Moment.DESIGNATION])
    same_secretary: bool = True

    @model_validator(mode="after")
    def _check(self) -> MemoryRule:
        if not self.moments:
            raise ValueError("moments must name at least one of: designation, acceptance")
        return self


class LastPlaceRule(MemoryRule):
    # 0 = literally last (rank == number ranked); 0.1 = inside the bottom 10 % of the ranking.
    bottom_share: float = Field(default=0.0, ge=0, lt=1)


class MemoryPolicy(BaseModel):
    """Policy section: the cross-year rules, each with its rung and an on/off switch."""

    model_config = ConfigDict(extra="forbid")

    designated_repeatedly: MemoryRule = Field(
        default_factory=lambda: MemoryRule(rung=Rung.ADMONISHMENT_TALK, times=2, within_years=2)
    )
    failed_acceptance: MemoryRule = Field(
        default_factory=lambda: MemoryRule(
            rung=Rung.PERSONNEL_ADJUSTMENT,
            times=2,
            within_years=3,
            moments=[Moment.DESIGNATION, Moment.ACCEPTANCE],
        )
    )
    last_place: LastPlaceRule = Field(
        default_factory=lambda: LastPlaceRule(rung=Rung.REMINDER_TALK, times=2, within_years=3)
    )

    def rules(self) -> list[tuple[RuleName, MemoryRule]]:
        return [
            (RuleName.DESIGNATED_REPEATEDLY, self.designated_repeatedly),
            (RuleName.FAILED_ACCEPTANCE, self.failed_acceptance),
            (RuleName.LAST_PLACE, self.last_place),
        ]
