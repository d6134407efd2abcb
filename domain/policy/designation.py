"""The ``designation`` section of the policy (认定): quotas per domain or pooled, rounding, direct
criteria, category standards (分类标准, with 一票否决 items), the steps of the designation (认定程序).
domain.designation applies the list rules; domain.campaign the steps. docs/designation.md explains each."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from domain.actors import Role
from domain.directory import Level, OrgClass, OrgDomain, parse_domain
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
    VETO = "veto"  # 一票否决: a veto item of the organization's category standard occurred
    STANDARD = "standard"  # 分类标准得分低于认定线
    INSPECTION = "inspection"  # 督查（明察暗访等）发现问题，移交认定
    STAR_DOWNGRADED = "star_downgraded"  # 评星定级：年中因否决事项降星（docs/rating.md）


_CODE = r"^[A-Za-z0-9_.-]{1,64}$"


class ScoredItem(BaseModel):
    """One item of a standard (a category standard's, a star standard's): a point item scores 0…points; a
    veto item (一票否决情形) is a situation that occurred or did not."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=_CODE)
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(default="", max_length=200)
    points: float = Field(default=0, ge=0, le=1000)
    veto: bool = False


def parse_domains(value: Any) -> Any:
    """A standard's ``domains`` in Chinese or English (农村 / village)."""
    if isinstance(value, list):
        return [parse_domain(v) if isinstance(v, str) else v for v in value]
    return value


def unique_codes(items: list[Any], where: str = "") -> None:
    """Refuse a standard listing an item code twice (``ValueError`` naming them)."""
    codes = [i.code for i in items]
    doubled = sorted({c for c in codes if codes.count(c) > 1})
    if doubled:
        raise ValueError(f"{where}item codes listed twice: {', '.join(doubled)}")


class StandardItem(ScoredItem):
    """One item of a category standard (e.g. 三有一化's 有场所办事): a veto item recorded as occurred (是/1)
    designates directly and classes 三类."""

    category: str | None = None  # the problem category a veto opens the case with (else categories.veto)


class ClassLines(BaseModel):
    """分类定级 from a standard's total: ≥ first → 一类, ≥ second → 二类, else 三类."""

    model_config = ConfigDict(extra="forbid")

    first: float = Field(ge=0)
    second: float = Field(ge=0)

    def of(self, total: float) -> OrgClass:
        if total >= self.first:
            return OrgClass.FIRST
        if total >= self.second:
            return OrgClass.SECOND
        return OrgClass.THIRD


class CategoryStandard(BaseModel):
    """A standard of its own for some domains (e.g. 社区 by 三有一化): items with points and veto items,
    the line below which an organization is designated directly, and the lines of the 分类 result."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)  # e.g. 三有一化
    domains: list[OrgDomain] = Field(min_length=1)
    label: str = Field(default="", max_length=64)  # what its designees are called, e.g. 三有一化薄弱社区党组织
    items: list[StandardItem] = Field(min_length=1)
    designate_below: float | None = Field(default=None, ge=0)  # total below this → 直接认定 (None: off)
    classes: ClassLines | None = None  # None: the 分类 result is the imported class (类别)

    _domains = field_validator("domains", mode="before")(parse_domains)

    @field_validator("items")
    @classmethod
    def _unique_items(cls, value: list[StandardItem]) -> list[StandardItem]:
        unique_codes(value)
        return value

    @property
    def full_points(self) -> float:
        return sum(i.points for i in self.items if not i.veto)


# Who may ever record a designation step (each step's ``roles`` narrows it).
STEP_ROLES = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER, Role.TOWNSHIP_SECRETARY})


class DesignationStep(BaseModel):
    """One step of the designation procedure (e.g. 县级领导遍访 → 乡镇党委摸排 → 联席会诊 → 常委会审定):
    recorded on the campaign by a verified person holding one of ``roles``, with notes."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    zh: str = Field(min_length=1, max_length=64)
    en: str = Field(default="", max_length=64)
    roles: list[Role] = Field(min_length=1)

    @field_validator("roles")
    @classmethod
    def _step_roles(cls, value: list[Role]) -> list[Role]:
        wrong = [r.value for r in value if r not in STEP_ROLES]
        if wrong:
            allowed = ", ".join(sorted(r.value for r in STEP_ROLES))
            raise ValueError(f"roles: {', '.join(wrong)} may not record a designation step (one of {allowed})")
        return value


DEFAULT_REASON_CATEGORIES: dict[ReasonCode, str] = {
    ReasonCode.RANKING: "weak_leadership",
    ReasonCode.STAR_BELOW: "weak_leadership",
    ReasonCode.SECRETARY_VACANT: "secretary_unfit",
    ReasonCode.FLAGGED: "governance",
    ReasonCode.THIRD_CLASS: "weak_leadership",
    ReasonCode.VETO: "weak_leadership",
    ReasonCode.STANDARD: "weak_leadership",
    ReasonCode.INSPECTION: "governance",
    ReasonCode.STAR_DOWNGRADED: "weak_leadership",
}


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
    # per_domain: each domain ranked on its own with shares[domain]; pooled: one ranking of every
    # organization of pooled_domains (None: all domains) with one quota of pooled_share (全区后10%).
    pooling: Literal["per_domain", "pooled"] = "per_domain"
    pooled_share: float = Field(default=0.10, ge=0, le=1)
    pooled_domains: list[OrgDomain] | None = None
    # What a designee of a domain is called on the list, e.g. {community: 三有一化薄弱社区党组织}
    # (default: 软弱涣散党组织); a category standard's label wins for its domains.
    labels: dict[OrgDomain, str] = Field(default_factory=dict)
    # Category standards (分类标准): at most one per domain.
    standards: list[CategoryStandard] = Field(default_factory=list)
    # Organizations whose inspection findings were referred to the designation (督查移交) are designated.
    inspection: bool = True
    # Organizations whose star level was lowered by a veto event (降星, pdca rating veto) in the assessed
    # year's or the previous year's rating are designated.
    star_downgraded: bool = True
    # The designation procedure: steps recorded in this order before the list can be approved (empty:
    # a supervisor approves directly, as before).
    steps: list[DesignationStep] = Field(default_factory=list)
    ranked_levels: list[Level] = Field(default_factory=lambda: list(Level))
    direct_consumes_quota: bool = False
    # Direct criteria; null switches one off.
    star_below: int | None = Field(default=3, ge=2, le=5)
    secretary_vacant_for: Days | None = timedelta(days=180)
    flagged: bool = True
    flag_codes: list[str] | None = None  # None: any flag counts
    third_class: bool = False
    # Problem category (policy.problem_categories key) each reason opens the case with; a reason not
    # listed takes its default here.
    categories: dict[ReasonCode, str] = Field(default_factory=lambda: dict(DEFAULT_REASON_CATEGORIES))

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {parse_domain(k): v for k, v in value.items()}
        return value

    @field_validator("pooled_domains", mode="before")
    @classmethod
    def _pooled_domains(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [parse_domain(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("standards")
    @classmethod
    def _one_standard_per_domain(cls, value: list[CategoryStandard]) -> list[CategoryStandard]:
        seen: dict[OrgDomain, str] = {}
        for standard in value:
            for domain in standard.domains:
                if domain in seen:
                    raise ValueError(f"standards: domain {domain.value} has two standards ({seen[domain]}, {standard.name})")
                seen[domain] = standard.name
        return value

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, value: list[DesignationStep]) -> list[DesignationStep]:
        codes = [s.code for s in value]
        doubled = sorted({c for c in codes if codes.count(c) > 1})
        if doubled:
            raise ValueError(f"steps: codes listed twice: {', '.join(doubled)}")
        return value

    def standard_for(self, domain: OrgDomain) -> CategoryStandard | None:
        return next((s for s in self.standards if domain in s.domains), None)

    def label_for(self, domain: OrgDomain) -> str:
        standard = self.standard_for(domain)
        if standard is not None and standard.label:
            return standard.label
        return self.labels.get(domain, "软弱涣散党组织")

    def in_pool(self, domain: OrgDomain) -> bool:
        """Whether ``domain`` is ranked in the pooled ranking (pooling: pooled)."""
        return self.pooled_domains is None or domain in self.pooled_domains

    def step(self, code: str) -> DesignationStep | None:
        return next((s for s in self.steps if s.code == code), None)

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

    def quota(self, pool: int, domain: OrgDomain | None) -> int:
        """The documented rounding rule, in exact decimal arithmetic (``domain`` None: the pooled quota)."""
        if pool < self.min_pool:
            return 0
        share = self.pooled_share if domain is None else self.share_for(domain)
        exact = Decimal(pool) * Decimal(str(share))
        mode = {"ceil": ROUND_CEILING, "floor": ROUND_FLOOR, "half_up": ROUND_HALF_UP}[self.rounding]
        return min(pool, int(exact.quantize(Decimal(1), rounding=mode)))

    def category_for(self, code: ReasonCode) -> str:
        return self.categories.get(code) or DEFAULT_REASON_CATEGORIES.get(code, "other")
