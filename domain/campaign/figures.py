"""What the Check and Act steps see over the campaign's cases (computed with reports.figures)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field


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
