"""An inspection's state: the visit, its findings and how each was disposed of (pure).

One stream per visit, ``insp-<year>-<NNN>`` (e.g. ``insp-2027-001``); a finding is referred to as
``insp-2027-001/F2``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field

KIND = "inspection"
PREFIX = "insp-"


class VisitKind(StrEnum):
    UNANNOUNCED = "unannounced"  # 明察暗访 (不打招呼、随机暗访)
    SPOT_CHECK = "spot_check"  # 专项抽查
    OBSERVATION = "observation"  # 观摩 (逐支部观摩、观摩拉练)


class Stage(StrEnum):
    OPEN = "open"  # 已记录，问题处置中
    CLOSED = "closed"  # 已办结 (every finding disposed of)


class FindingStatus(StrEnum):
    OPEN = "open"  # 待处置
    CASE = "case"  # 转入整顿案件 (problems of the case's current cycle)
    DESIGNATION = "designation"  # 列入下一次认定的直接认定情形
    CLOSED = "closed"  # 当场整改 / 不予处置, with a note


TERMINAL = frozenset({Stage.CLOSED})
VISIT_KIND_NAMES: dict[VisitKind, str] = {
    VisitKind.UNANNOUNCED: "明察暗访",
    VisitKind.SPOT_CHECK: "专项抽查",
    VisitKind.OBSERVATION: "观摩",
}
FINDING_STATUS_NAMES: dict[FindingStatus, str] = {
    FindingStatus.OPEN: "待处置",
    FindingStatus.CASE: "转入整顿案件",
    FindingStatus.DESIGNATION: "列入认定",
    FindingStatus.CLOSED: "已办结",
}


_VISIT_ALIASES = {"暗访": VisitKind.UNANNOUNCED, "随机暗访": VisitKind.UNANNOUNCED, "不打招呼": VisitKind.UNANNOUNCED,
                  "抽查": VisitKind.SPOT_CHECK, "观摩拉练": VisitKind.OBSERVATION, "逐支部观摩": VisitKind.OBSERVATION}  # fmt: skip


def parse_visit_kind(value: object) -> VisitKind:
    """明察暗访 / unannounced, 专项抽查 / spot_check, 观摩 / observation (and 暗访, 抽查, 观摩拉练, 逐支部观摩)."""
    if isinstance(value, VisitKind):
        return value
    text = str(value).strip()
    for member, zh in VISIT_KIND_NAMES.items():
        if text.lower() == member.value or text == zh:
            return member
    if text in _VISIT_ALIASES:
        return _VISIT_ALIASES[text]
    raise ValueError(f"{text!r} is not one of {', '.join(f'{zh}/{m.value}' for m, zh in VISIT_KIND_NAMES.items())}")


def inspection_id_for(year: int, number: int) -> str:
    """``insp-2027-001``: the year of the visit and its number in that year."""
    return f"{PREFIX}{year}-{number:03d}"


def finding_reference(inspection_id: str, finding_id: str) -> str:
    """``insp-2027-001/F2``: how a finding is cited elsewhere (a case's problem source, a designation reason)."""
    return f"{inspection_id}/{finding_id}"


class VisitedOrg(BaseModel):
    code: str
    name: str
    region: str


class Finding(BaseModel):
    finding_id: str  # F1, F2, … in the order recorded
    org_code: str
    category: str
    description: str
    evidence: list[str] = Field(default_factory=list)
    recorded_at: AwareDatetime
    recorded_by: str
    status: FindingStatus = FindingStatus.OPEN
    case_id: str | None = None
    designation_year: int | None = None
    note: str = ""
    disposed_at: AwareDatetime | None = None
    disposed_by: str | None = None


class InspectionState(BaseModel):
    inspection_id: str = ""
    version: int = 0
    stage: Stage = Stage.OPEN
    stage_since: AwareDatetime | None = None
    year: int = 0
    kind: VisitKind | None = None
    visited_on: date | None = None
    announced: bool = False
    title: str = ""
    inspector: str = ""  # who recorded the visit (the verified actor)
    companions: list[str] = Field(default_factory=list)
    orgs: list[VisitedOrg] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    note: str = ""
    recorded_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    closing_note: str = ""
    policy_version: str | None = None

    # what the audited skeleton reads of every kind (workflows/audited.py StreamState)
    @property
    def org_code(self) -> str:
        return self.orgs[0].code if len(self.orgs) == 1 else ""

    @property
    def org_name(self) -> str:
        if len(self.orgs) == 1:
            return self.orgs[0].name
        return f"{len(self.orgs)} 个党组织" if self.orgs else ""

    @property
    def region(self) -> str:
        regions = list(dict.fromkeys(o.region for o in self.orgs))
        return regions[0] if len(regions) == 1 else ""

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.finding_id == finding_id), None)

    def org(self, code: str) -> VisitedOrg | None:
        return next((o for o in self.orgs if o.code == code), None)

    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == FindingStatus.OPEN]


INITIAL_STATE = InspectionState()


def is_terminal(state: InspectionState) -> bool:
    return state.stage in TERMINAL
