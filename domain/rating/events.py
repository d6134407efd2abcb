"""What happened in a star rating: its events, and the adapters that read them back.

Field names and order are stored: recorded Temporal histories and the audit log depend on them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from domain.decider import Event as _Event
from domain.directory import OrgDomain
from domain.rating.commands import Command
from domain.rating.state import Assessment, Objection, VetoEvent


class RatingOpened(_Event):
    type: Literal["RatingOpened"] = "RatingOpened"
    rating_id: str
    org_code: str
    org_name: str
    region: str
    domain: OrgDomain | None = None
    year: int
    standard: str
    previous_level: int | None = None
    upgrade_cases: list[str] = Field(default_factory=list)
    upgrade_level: int | None = None  # 晋位升级: the level a closed case proposes
    note: str = ""


class SelfAssessmentSubmitted(_Event):
    type: Literal["SelfAssessmentSubmitted"] = "SelfAssessmentSubmitted"
    assessment: Assessment


class RatingReviewed(_Event):
    type: Literal["RatingReviewed"] = "RatingReviewed"
    assessment: Assessment  # the township's: the organization's scores with its corrections
    comment: str


class RatingReturned(_Event):
    type: Literal["RatingReturned"] = "RatingReturned"
    to_stage: str  # self_assessment (退回修改) or township_review (退回复核)
    comment: str
    recipients: list[str] = Field(default_factory=list)  # who must act again (told by the notice)


class RatingApproved(_Event):
    type: Literal["RatingApproved"] = "RatingApproved"
    level: int
    gate_level: int  # the highest level the gates granted
    publicity_ends: AwareDatetime
    comment: str = ""
    recipients: list[str] = Field(default_factory=list)  # the organization's assessor and the township's reviewer


class ObjectionRecorded(_Event):
    type: Literal["ObjectionRecorded"] = "ObjectionRecorded"
    objection: Objection


class ObjectionResolved(_Event):
    type: Literal["ObjectionResolved"] = "ObjectionResolved"
    objection_id: str
    upheld: bool
    level: int | None = None
    note: str


class RatingDecided(_Event):
    type: Literal["RatingDecided"] = "RatingDecided"
    level: int
    previous_level: int | None = None
    archive_at: AwareDatetime
    recipients: list[str] = Field(default_factory=list)


class VetoEventRecorded(_Event):
    type: Literal["VetoEventRecorded"] = "VetoEventRecorded"
    veto: VetoEvent
    recipients: list[str] = Field(default_factory=list)  # told when a decided level is lowered


class RatingArchived(_Event):
    type: Literal["RatingArchived"] = "RatingArchived"
    level: int | None = None


Event = Annotated[
    RatingOpened
    | SelfAssessmentSubmitted
    | RatingReviewed
    | RatingReturned
    | RatingApproved
    | ObjectionRecorded
    | ObjectionResolved
    | RatingDecided
    | VetoEventRecorded
    | RatingArchived,
    Field(discriminator="type"),
]

# the organization's assessor (and the township's reviewer) are told: returned, approved (公示), decided, lowered
NOTICE_EVENTS: frozenset[str] = frozenset({"RatingReturned", "RatingApproved", "RatingDecided", "VetoEventRecorded"})
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
