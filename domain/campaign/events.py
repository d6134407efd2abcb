"""The facts a campaign records, and the adapters that read events and commands from JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from domain.campaign.commands import Command
from domain.campaign.figures import CampaignFigures, YearEndSummary
from domain.decider import Event as _Event
from domain.rectification import OpenCase


class CampaignOpened(_Event):
    type: Literal["CampaignOpened"] = "CampaignOpened"
    campaign_id: str
    region: str | None
    year: int


class DesignationApproved(_Event):
    type: Literal["DesignationApproved"] = "DesignationApproved"
    round: int
    designees: list[OpenCase]  # only organizations not approved before
    skipped: list[str] = Field(default_factory=list)  # org codes already approved (amending never duplicates)
    note: str = ""


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
    CampaignOpened | DesignationApproved | CasesStarted | CheckRecorded | YearClosed | OutcomesRecorded,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS: frozenset[str] = frozenset()  # a campaign notifies nobody itself; its cases do
