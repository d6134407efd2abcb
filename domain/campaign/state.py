"""A campaign's state: the fold of its events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.campaign.figures import CampaignFigures, YearEndSummary
from domain.policy.designation import DesignationStep
from domain.rectification import OpenCase


class CampaignStage(StrEnum):
    NEW = "new"  # not opened
    OPEN = "open"  # 已启动: opened, waiting for the designation list to be approved
    RUNNING = "running"  # 推进中: approved; cases are started, checked monthly
    CLOSED = "closed"  # 年度总结: the year is closed and summarised


class StartStatus(StrEnum):
    PENDING = "pending"  # approved, not started yet
    STARTED = "started"  # started by this campaign
    EXISTING = "existing"  # the case already existed (opened by hand, or a retried start): counted, not duplicated


class CampaignCase(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    basis: str  # ranking | direct
    round: int  # the approval round that added it
    status: StartStatus = StartStatus.PENDING
    org_class: str | None = None  # the 分类 result recorded with the designation (first/second/third)
    label: str | None = None  # what the list called it (e.g. 三有一化薄弱社区党组织)


class StepRecord(BaseModel):
    """A designation step as recorded (the latest record of each step counts)."""

    step: str
    name: str
    actor: str
    at: datetime
    note: str
    org_codes: list[str] = Field(default_factory=list)


class CampaignState(BaseModel):
    stage: CampaignStage = CampaignStage.NEW
    campaign_id: str = ""
    region: str | None = None
    year: int = 0
    version: int = 0
    opened_at: datetime | None = None
    approvals: int = 0
    cases: dict[str, CampaignCase] = Field(default_factory=dict)  # by case id, in approval order
    pending: list[OpenCase] = Field(default_factory=list)  # approved, not yet started
    batches: int = 0
    checks: int = 0
    last_check: CampaignFigures | None = None
    summary: YearEndSummary | None = None
    closed_at: datetime | None = None
    outcomes_recorded: bool = False
    policy_version: str | None = None
    steps: dict[str, StepRecord] = Field(default_factory=dict)  # designation steps, by code (latest record)
    # the procedure the campaign enforces, as its opening recorded it (None: not recorded, an older opening)
    procedure: list[DesignationStep] | None = None

    def count(self, status: StartStatus) -> int:
        return sum(1 for c in self.cases.values() if c.status == status)

    @property
    def started(self) -> int:
        """Cases running because of this campaign: started by it, or found already started."""
        return self.count(StartStatus.STARTED) + self.count(StartStatus.EXISTING)

    @property
    def org_code(self) -> str:
        """A campaign concerns a region, not one organization (logs and notices of streams name one)."""
        return ""

    @property
    def org_name(self) -> str:
        return ""


INITIAL_STATE = CampaignState()


def is_terminal(state: CampaignState) -> bool:
    """The year is closed and its outcomes written back: nothing more happens to the campaign."""
    return state.stage == CampaignStage.CLOSED and state.outcomes_recorded
