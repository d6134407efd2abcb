"""The ``designation`` section of the policy (认定): quotas per domain, rounding, direct criteria.
domain.designation applies it."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from domain.directory import Level, OrgDomain, parse_domain
from domain.timeutil import format_duration, parse_duration

Days = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


class ReasonCode(StrEnum):
    RANKING = "ranking"
    STAR_BELOW = "star_below"
    SECRETARY_VACANT = "secretary_vacant"
    FLAGGED = "flagged"
    THIRD_CLASS = "third_class"


class DesignationPolicy(BaseModel):
    """Policy section: quotas per domain, rounding, direct criteria (every number a local setting)."""

    model_config = ConfigDict(extra="forbid")

    # Campaign year Y ranks the assessment of year Y - offset (0: the year's own assessment).
    assessment_year_offset: int = Field(default=0, ge=0, le=1)
    # Bottom share per domain (倒排比例); other domains use default_share.
    shares: dict[OrgDomain, float] = Field(
        default_factory=lambda: {OrgDomain.VILLAGE: 0.10, OrgDomain.COMMUNITY: 0.05}
    )
    default_share: float = Field(default=0.05, ge=0, le=1)
    rounding: Literal["ceil", "floor", "half_up"] = "ceil"
    # A domain with fewer ranked organizations than this gets no ranking quota.
    min_pool: int = Field(default=10, ge=1)
    quota_scope: Literal["county", "region"] = "county"
    ranked_levels: list[Level] = Field(default_factory=lambda: list(Level))
    direct_consumes_quota: bool = False
    # Direct criteria; null switches one off.
    star_below: int | None = Field(default=3, ge=2, le=5)
    secretary_vacant_for: Days | None = timedelta(days=180)
    flagged: bool = True
    flag_codes: list[str] | None = None  # None: any flag counts
    third_class: bool = False
    # Problem category (policy.problem_categories key) each reason opens the case with.
    categories: dict[ReasonCode, str] = Field(
        default_factory=lambda: {
            ReasonCode.RANKING: "weak_leadership",
            ReasonCode.STAR_BELOW: "weak_leadership",
            ReasonCode.SECRETARY_VACANT: "secretary_unfit",
            ReasonCode.FLAGGED: "governance",
            ReasonCode.THIRD_CLASS: "weak_leadership",
        }
    )

    @field_validator("shares", mode="before")
    @classmethod
    def _shares(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {parse_domain(k): v for k, v in value.items()}
        return value

    @field_validator("shares")
    @classmethod
    def _share_range(cls, value: dict[OrgDomain, float]) -> dict[OrgDomain, float]:
        for domain, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(f"shares.{domain.value} must be between 0 and 1, not {share}")
        return value

    def share_for(self, domain: OrgDomain) -> float:
        return self.shares.get(domain, self.default_share)

    def quota(self, pool: int, domain: OrgDomain) -> int:
        """The documented rounding rule, in exact decimal arithmetic."""
        if pool < self.min_pool:
            return 0
        exact = Decimal(pool) * Decimal(str(self.share_for(domain)))
        mode = {"ceil": ROUND_CEILING, "floor": ROUND_FLOOR, "half_up": ROUND_HALF_UP}[self.rounding]
        return min(pool, int(exact.quantize(Decimal(1), rounding=mode)))

    def category_for(self, code: ReasonCode) -> str:
        return self.categories.get(code, "other")
