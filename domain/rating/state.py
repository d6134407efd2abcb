"""A star rating's state (评星定级): one organization's rating of one year, from the county's opening to
the archived level (pure).

One stream per organization and year, ``star-<org>-<year>`` (e.g. ``star-V001-2027``).

    self_assessment 待自评 ──submit 提交自评──▶ township_review 乡镇审核 ──review 审核上报──▶
    county_review 县级审定 ──approve 审定──▶ publicity 公示中 ──(window over, no objection open)──▶
    rated 已定级 (动态管理: veto events downgrade) ──(managed_for over)──▶ archived 已归档

The township returns an assessment for revision (退回修改: back to self_assessment), the county returns a
review (退回复核: back to township_review); an objection upheld during 公示 sets the level it decides.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field

from domain.directory import OrgDomain
from domain.evidence import EvidenceFile

KIND = "rating"
PREFIX = "star-"


class Stage(StrEnum):
    SELF_ASSESSMENT = "self_assessment"  # 待自评
    TOWNSHIP_REVIEW = "township_review"  # 乡镇审核
    COUNTY_REVIEW = "county_review"  # 县级审定
    PUBLICITY = "publicity"  # 公示中
    RATED = "rated"  # 已定级（动态管理）
    ARCHIVED = "archived"  # 已归档


STAGE_NAMES: dict[Stage, str] = {
    Stage.SELF_ASSESSMENT: "待自评",
    Stage.TOWNSHIP_REVIEW: "乡镇审核",
    Stage.COUNTY_REVIEW: "县级审定",
    Stage.PUBLICITY: "公示中",
    Stage.RATED: "已定级",
    Stage.ARCHIVED: "已归档",
}
TERMINAL = frozenset({Stage.ARCHIVED})


class ObjectionStatus(StrEnum):
    OPEN = "open"  # 待处理
    UPHELD = "upheld"  # 异议成立
    DISMISSED = "dismissed"  # 异议不成立


def rating_id_for(org_code: str, year: int) -> str:
    """``star-V001-2027``: the organization and the rating year."""
    return f"{PREFIX}{org_code}-{year}"


def stars_text(level: int | None) -> str:
    """★★★☆☆ (3 stars), or — when not rated."""
    if not level:
        return "—"
    return "★" * level + "☆" * (5 - level)


class ItemScore(BaseModel):
    """One point item as scored (by the organization, then the township): points and evidence."""

    code: str
    points: float
    evidence: list[str] = Field(default_factory=list)
    files: list[EvidenceFile] = Field(default_factory=list)  # uploaded evidence (the store keeps the bytes)
    note: str = ""


class Assessment(BaseModel):
    """A set of scores and the veto items that occurred, with what the gates make of it."""

    scores: list[ItemScore] = Field(default_factory=list)
    vetoes: list[str] = Field(default_factory=list)  # veto item codes that occurred
    total: float = 0
    level: int = 1  # the highest level whose conditions are met (进关)
    by: str = ""
    at: AwareDatetime | None = None
    note: str = ""


class Objection(BaseModel):
    """An objection received during 公示 (recorded by whoever received it)."""

    objection_id: str  # O1, O2, …
    text: str
    source: str = ""  # who raised it (a name, 匿名, a hotline number); never a person's account
    recorded_by: str
    recorded_at: AwareDatetime
    status: ObjectionStatus = ObjectionStatus.OPEN
    resolution: str = ""
    resolved_by: str | None = None
    resolved_at: AwareDatetime | None = None
    level: int | None = None  # an upheld objection's level


class VetoEvent(BaseModel):
    """A gate event: a veto item occurred (a case opened, an inspection finding, a county decision)."""

    item: str
    source: str  # rect-… (a case), insp-…/F2 (a finding), or manual
    note: str = ""
    at: AwareDatetime
    by: str
    level_before: int | None = None
    level_after: int | None = None  # None: before the level was decided (the gates apply it at approval)


class RatingState(BaseModel):
    rating_id: str = ""
    version: int = 0
    stage: Stage = Stage.SELF_ASSESSMENT
    stage_since: AwareDatetime | None = None
    org_code: str = ""
    org_name: str = ""
    region: str = ""
    domain: OrgDomain | None = None
    year: int = 0
    standard: str = ""  # the name of the standard applied (in the policy of ``policy_version``)
    previous_level: int | None = None  # last year's star level (the directory's)
    upgrade_cases: list[str] = Field(default_factory=list)  # closed cases proposing 晋位升级
    upgrade_level: int | None = None  # the level they propose (last year's plus the policy's step)
    opened_by: str = ""
    opened_at: AwareDatetime | None = None
    self_assessment: Assessment | None = None
    review: Assessment | None = None  # the township's (its scores, or the organization's it accepted)
    review_level: int | None = None  # the level the township recommends
    returns: int = 0  # 退回修改 / 退回复核
    comments: list[str] = Field(default_factory=list)  # review and return comments, in order
    approved_level: int | None = None
    approved_by: str | None = None
    publicity_ends: AwareDatetime | None = None
    objections: list[Objection] = Field(default_factory=list)
    level: int | None = None  # the decided level (after 公示), then as veto events leave it
    decided_at: AwareDatetime | None = None
    veto_events: list[VetoEvent] = Field(default_factory=list)
    archive_at: AwareDatetime | None = None
    policy_version: str | None = None

    def objection(self, objection_id: str) -> Objection | None:
        return next((o for o in self.objections if o.objection_id == objection_id), None)

    def open_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.status == ObjectionStatus.OPEN]

    @property
    def assessors(self) -> list[str]:
        """Who assessed (the organization) and who reviewed (the township), each once, in that order: they
        are told of the rating's outcome and may not approve it."""
        return list(dict.fromkeys(a.by for a in (self.self_assessment, self.review) if a is not None and a.by))

    @property
    def downgrades(self) -> int:
        """Veto events that lowered a decided level (降星)."""
        return sum(
            1 for e in self.veto_events if e.level_before is not None and e.level_after is not None and e.level_after < e.level_before
        )

    @property
    def decided_level(self) -> int | None:
        """The level 公示 ended with (before any veto event lowered it); None until decided."""
        return next((e.level_before for e in self.veto_events if e.level_before is not None), self.level)

    @property
    def vetoed(self) -> set[str]:
        """Veto items that occurred: declared in the assessments or recorded as events."""
        items = {e.item for e in self.veto_events}
        for assessment in (self.self_assessment, self.review):
            if assessment is not None:
                items |= set(assessment.vetoes)
        return items


INITIAL_STATE = RatingState()


def is_terminal(state: RatingState) -> bool:
    return state.stage in TERMINAL
