"""The organization directory (党组织名录): organizations, annual assessments, history. Pure.

    Organization   one grassroots Party organization (党委 / 党总支 / 党支部) in a domain and region
    Assessment     its annual assessment: score, rank, star rating (星级), class (一类/二类/三类)
    HistoryRecord  one organization-year as the memory rules read it: who was secretary, the rank and
                   how many were ranked, whether it was designated, how its acceptance went

Values arrive in Chinese or English (党支部 / branch, 农村 / village, 二类 / second); ``parse_*``
turns either into the enum and raises ``ValueError`` naming the accepted words.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.limits import MAX_ID, MAX_ITEMS, MAX_NAME, Cap

CODE_PATTERN = r"^[A-Za-z0-9_.-]+$"


class Level(StrEnum):
    COMMITTEE = "committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部


class OrgDomain(StrEnum):
    VILLAGE = "village"  # 农村
    COMMUNITY = "community"  # 社区
    ORGAN = "organ"  # 机关
    SCHOOL = "school"  # 学校
    ENTERPRISE = "enterprise"  # 企业
    SOCIAL_ORG = "social_org"  # 社会组织
    OTHER = "other"  # 其他


class OrgClass(StrEnum):
    FIRST = "first"  # 一类 (先进)
    SECOND = "second"  # 二类 (一般)
    THIRD = "third"  # 三类 (后进)


class AcceptanceResult(StrEnum):
    PASSED = "passed"  # 验收通过
    FAILED = "failed"  # 验收不合格


ZH_NAMES: dict[StrEnum, str] = {
    Level.COMMITTEE: "党委",
    Level.GENERAL_BRANCH: "党总支",
    Level.BRANCH: "党支部",
    OrgDomain.VILLAGE: "农村",
    OrgDomain.COMMUNITY: "社区",
    OrgDomain.ORGAN: "机关",
    OrgDomain.SCHOOL: "学校",
    OrgDomain.ENTERPRISE: "企业",
    OrgDomain.SOCIAL_ORG: "社会组织",
    OrgDomain.OTHER: "其他",
    OrgClass.FIRST: "一类",
    OrgClass.SECOND: "二类",
    OrgClass.THIRD: "三类",
    AcceptanceResult.PASSED: "通过",
    AcceptanceResult.FAILED: "不合格",
}

# Extra spellings people use in spreadsheets.
_ALIASES: dict[str, StrEnum] = {
    "党委": Level.COMMITTEE,
    "党工委": Level.COMMITTEE,
    "党总支部": Level.GENERAL_BRANCH,
    "总支": Level.GENERAL_BRANCH,
    "支部": Level.BRANCH,
    "村": OrgDomain.VILLAGE,
    "行政村": OrgDomain.VILLAGE,
    "城市社区": OrgDomain.COMMUNITY,
    "机关单位": OrgDomain.ORGAN,
    "事业单位": OrgDomain.ORGAN,
    "学校": OrgDomain.SCHOOL,
    "中小学": OrgDomain.SCHOOL,
    "非公企业": OrgDomain.ENTERPRISE,
    "国有企业": OrgDomain.ENTERPRISE,
    "两新组织": OrgDomain.SOCIAL_ORG,
    "一类": OrgClass.FIRST,
    "二类": OrgClass.SECOND,
    "三类": OrgClass.THIRD,
    "先进": OrgClass.FIRST,
    "一般": OrgClass.SECOND,
    "后进": OrgClass.THIRD,
    "合格": AcceptanceResult.PASSED,
    "通过": AcceptanceResult.PASSED,
    "验收通过": AcceptanceResult.PASSED,
    "不合格": AcceptanceResult.FAILED,
    "未通过": AcceptanceResult.FAILED,
    "验收不合格": AcceptanceResult.FAILED,
}


E = TypeVar("E", bound=StrEnum)


def _parse(enum: type[E], value: object) -> E:
    if isinstance(value, enum):
        return value
    text = str(value).strip()
    for member in enum:
        if text.lower() == member.value or text == ZH_NAMES.get(member):
            return member
    alias = _ALIASES.get(text)
    if isinstance(alias, enum):
        return alias
    words = ", ".join(f"{ZH_NAMES.get(m, m.value)}/{m.value}" for m in enum)
    raise ValueError(f"{text!r} is not one of {words}")


def parse_level(value: object) -> Level:
    return _parse(Level, value)


def parse_domain(value: object) -> OrgDomain:
    return _parse(OrgDomain, value)


def parse_class(value: object) -> OrgClass:
    return _parse(OrgClass, value)


def parse_acceptance(value: object) -> AcceptanceResult:
    return _parse(AcceptanceResult, value)


def zh_name(value: StrEnum | None) -> str:
    return "-" if value is None else ZH_NAMES.get(value, value.value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Organization(_Model):
    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    level: Level
    domain: OrgDomain
    parent: str | None = None  # the superior organization's code
    region: str = Field(min_length=1)  # township / street (乡镇、街道)
    secretary: str | None = None  # actor id or name; None when the post is vacant
    secretary_vacant_since: date | None = None  # 书记缺职起始日期
    leader: str | None = None  # 包联领导 (actor id)
    flags: list[str] = Field(default_factory=list)  # flagged by other departments (部门标记)

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return parse_level(value)

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, value: object) -> object:
        return parse_domain(value)


class Assessment(_Model):
    org_code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    year: int = Field(ge=2000, le=2100)
    score: float | None = Field(default=None, ge=0, le=100)  # 考核得分
    rank: int | None = Field(default=None, ge=1)  # 排名 within its domain, 1 = best
    star: int | None = Field(default=None, ge=1, le=5)  # 星级
    org_class: OrgClass | None = None  # 类别

    @field_validator("org_class", mode="before")
    @classmethod
    def _class(cls, value: object) -> object:
        return None if value is None or value == "" else parse_class(value)


class HistoryRecord(_Model):
    """One organization-year, as the memory rules read it."""

    org_code: Annotated[str, Cap(MAX_ID)]
    year: int
    person: Annotated[str | None, Cap(MAX_NAME)] = None  # the secretary that year
    rank: int | None = None
    rank_of: int | None = None  # how many organizations were in that ranking
    designated: bool = False
    acceptance: AcceptanceResult | None = None  # the year's final acceptance result
    failed_acceptances: int = Field(default=0, ge=0)  # failed acceptance rounds that year
    project_rating: Annotated[str | None, Cap(MAX_ID)] = None  # 书记项目 evaluation (good / medium / poor)
    # memory rules (rule names) whose proposal in some case already cited this year: each piece of
    # evidence (rule + year) is proposed once (domain.memory skips the year for that rule)
    proposed: Annotated[list[Annotated[str, Cap(MAX_ID)]], Cap(MAX_ITEMS)] = Field(default_factory=list)

    @property
    def last_place(self) -> bool:
        return self.rank is not None and self.rank_of is not None and self.rank >= self.rank_of


class PairingKind(StrEnum):
    """Who is paired with an organization and shares responsibility for its rectification."""

    PAIRED_UNIT = "paired_unit"  # 结对单位 (1+N 结对共建: a county unit paired with villages)
    LIAISON_LEADER = "liaison_leader"  # 联村领导
    WORK_TEAM = "work_team"  # 驻村工作队


PAIRING_KIND_NAMES: dict[PairingKind, str] = {
    PairingKind.PAIRED_UNIT: "结对单位",
    PairingKind.LIAISON_LEADER: "联村领导",
    PairingKind.WORK_TEAM: "驻村工作队",
}
_PAIRING_ALIASES: dict[str, PairingKind] = {
    "结对共建": PairingKind.PAIRED_UNIT,
    "结对共建单位": PairingKind.PAIRED_UNIT,
    "1+n": PairingKind.PAIRED_UNIT,
    "联村": PairingKind.LIAISON_LEADER,
    "包村领导": PairingKind.LIAISON_LEADER,
    "联村干部": PairingKind.LIAISON_LEADER,
    "工作队": PairingKind.WORK_TEAM,
    "驻村工作组": PairingKind.WORK_TEAM,
}


def parse_pairing_kind(value: object) -> PairingKind:
    """结对单位 / paired_unit, 联村领导 / liaison_leader, 驻村工作队 / work_team (and a few spellings)."""
    if isinstance(value, PairingKind):
        return value
    text = str(value).strip()
    for member, zh in PAIRING_KIND_NAMES.items():
        if text.lower() == member.value or text == zh:
            return member
    alias = _PAIRING_ALIASES.get(text.lower())
    if alias is not None:
        return alias
    words = ", ".join(f"{zh}/{m.value}" for m, zh in PAIRING_KIND_NAMES.items())
    raise ValueError(f"{text!r} is not one of {words}")


MAX_PAIRED = 1_000  # people of one unit, organizations one unit is paired with (a county unit with a whole township)


class Pairing(_Model):
    """A pairing unit (1+N 结对共建单位, 联村领导, 驻村工作队): its people (actor ids) and the organizations
    it is paired with. Directory data, imported from a file (docs/pairing.md)."""

    unit_code: Annotated[str, Cap(MAX_ID)] = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    unit_name: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1, max_length=MAX_NAME)
    kind: PairingKind
    people: Annotated[list[Annotated[str, Field(min_length=1, max_length=MAX_ID), Cap(MAX_ID)]], Cap(MAX_PAIRED)] = Field(
        default_factory=list
    )
    org_codes: Annotated[list[Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN), Cap(MAX_ID)]], Cap(MAX_PAIRED)] = (
        Field(min_length=1)
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return parse_pairing_kind(value)
