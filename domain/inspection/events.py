"""What happened in an inspection: its events, and the adapters that read them back.

Field names and order are stored: recorded Temporal histories and the audit log depend on them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from domain.decider import Event as _Event
from domain.inspection.commands import Command
from domain.inspection.state import Finding, VisitedOrg, VisitKind


class InspectionRecorded(_Event):
    type: Literal["InspectionRecorded"] = "InspectionRecorded"
    inspection_id: str
    year: int
    kind: VisitKind
    visited_on: date
    announced: bool
    title: str
    inspector: str
    companions: list[str] = Field(default_factory=list)
    orgs: list[VisitedOrg]
    note: str = ""


class InspectionFindingsRecorded(_Event):
    type: Literal["InspectionFindingsRecorded"] = "InspectionFindingsRecorded"
    findings: list[Finding]


class FindingsReferredToCase(_Event):
    type: Literal["FindingsReferredToCase"] = "FindingsReferredToCase"
    finding_ids: list[str]
    case_id: str


class FindingsReferredToDesignation(_Event):
    type: Literal["FindingsReferredToDesignation"] = "FindingsReferredToDesignation"
    finding_ids: list[str]
    year: int
    note: str = ""


class FindingsClosed(_Event):
    type: Literal["FindingsClosed"] = "FindingsClosed"
    finding_ids: list[str]
    note: str


class InspectionClosed(_Event):
    type: Literal["InspectionClosed"] = "InspectionClosed"
    note: str = ""


Event = Annotated[
    InspectionRecorded
    | InspectionFindingsRecorded
    | FindingsReferredToCase
    | FindingsReferredToDesignation
    | FindingsClosed
    | InspectionClosed,
    Field(discriminator="type"),
]

NOTICE_EVENTS: frozenset[str] = frozenset()  # an inspection tells nobody by itself: the case it feeds does
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
