"""The facts a campaign records, and the adapters that read events and commands from JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from domain.campaign.commands import Command
from domain.campaign.figures import CampaignFigures, YearEndSummary
from domain.decider import Event as _Event
from domain.directory import OrgClass
from domain.policy.designation import DesignationStep
from domain.rectification import OpenCase


class CampaignOpened(_Event):
    type: Literal["CampaignOpened"] = "CampaignOpened"
    campaign_id: str
    region: str | None
    year: int
    # The designation procedure the campaign enforces (its policy's designation.steps, fixed for the
    # campaign's life), so the audit log answers `pdca campaign steps`; None: opened before it was recorded.
    steps: list[DesignationStep] | None = None


class DesignationApproved(_Event):
    type: Literal["DesignationApproved"] = "DesignationApproved"
    round: int
    designees: list[OpenCase]  # only organizations not approved before
    skipped: list[str] = Field(default_factory=list)  # org codes already approved (amending never duplicates)
    note: str = ""
    classes: dict[str, OrgClass] = Field(default_factory=dict)  # 分类 result of each new designee
    labels: dict[str, str] = Field(default_factory=dict)  # what the list calls each new designee
    steps: list[str] = Field(default_factory=list)  # the designation steps recorded before it (codes)


class DesignationStepRecorded(_Event):
    """A step of the designation procedure, recorded by a verified person with the step's role."""

    type: Literal["DesignationStepRecorded"] = "DesignationStepRecorded"
    step: str  # code in policy designation.steps
    name: str  # its Chinese name at the time, e.g. 常委会议审定
    index: int  # 1-based position in the procedure
    of: int  # steps in the procedure
    note: str
    org_codes: list[str] = Field(default_factory=list)


class CasesStarted(_Event):
    type: Literal["CasesStarted"] = "CasesStarted"
    batch: int
    started: list[str]
    existing: list[str]


class CheckRecorded(_Event):
    type: Literal["CheckRecorded"] = "CheckRecorded"
    figures: CampaignFigures


class YearClosed(_Event):
    type: Literal["YearClosed"] = "YearClosed"
    summary: YearEndSummary
    note: str = ""


class OutcomesRecorded(_Event):
    type: Literal["OutcomesRecorded"] = "OutcomesRecorded"
    organizations: int


Event = Annotated[
    CampaignOpened
    | DesignationApproved
    | CasesStarted
    | CheckRecorded
    | YearClosed
    | OutcomesRecorded
    | DesignationStepRecorded,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS: frozenset[str] = frozenset()  # a campaign notifies nobody itself; its cases do
