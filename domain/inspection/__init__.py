"""Inspections (明察暗访、专项抽查、观摩) as a decider. Pure: no I/O, no clock, no Temporal.

An inspection records a visit — its kind, who went (the verified actor and companions), where (the
organizations visited), when, announced or not — and the problems found there (findings, per
organization). Each finding is disposed of once: into a rectification case (the case's current cycle
gains it as a problem its plan must address), into a year's designation as a direct criterion, or
closed with a note. Check feeding the next Plan (docs/inspections.md).

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError        (decide.py)
    evolve(state, event) -> state                total, never refuses               (evolve.py)
"""

from __future__ import annotations

from domain.decider import Decider, Tick, no_calendar, no_wakeup
from domain.inspection.commands import (
    CloseFindings,
    CloseInspection,
    Command,
    FindingInput,
    RecordFindings,
    RecordInspection,
    ReferToCase,
    ReferToDesignation,
    VisitedOrgInput,
)
from domain.inspection.decide import ALLOWED_STAGES, ROLES_ALLOWED, case_org, decide
from domain.inspection.events import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    NOTICE_EVENTS,
    Event,
    FindingsClosed,
    FindingsReferredToCase,
    FindingsReferredToDesignation,
    InspectionClosed,
    InspectionFindingsRecorded,
    InspectionRecorded,
)
from domain.inspection.evolve import evolve
from domain.inspection.state import (
    FINDING_STATUS_NAMES,
    INITIAL_STATE,
    KIND,
    PREFIX,
    TERMINAL,
    VISIT_KIND_NAMES,
    Finding,
    FindingStatus,
    InspectionState,
    Stage,
    VisitedOrg,
    VisitKind,
    finding_reference,
    inspection_id_for,
    is_terminal,
    parse_visit_kind,
)

DECIDER: Decider[InspectionState, Command, Event] = Decider(
    KIND, PREFIX, INITIAL_STATE, COMMAND_ADAPTER, EVENT_ADAPTER, NOTICE_EVENTS,
    decide=decide, evolve=evolve, is_terminal=is_terminal, next_wakeup=no_wakeup, calendar_years=no_calendar,
    # referring a finding to the designation judges an organization: signed by who decides (docs/security.md)
    signed_commands=frozenset({"ReferToDesignation"}),
)  # fmt: skip

fold = DECIDER.fold

__all__ = [
    "DECIDER", "KIND", "PREFIX", "INITIAL_STATE", "TERMINAL", "is_terminal", "decide", "evolve", "fold",
    "ROLES_ALLOWED", "ALLOWED_STAGES", "case_org", "inspection_id_for", "finding_reference", "parse_visit_kind",
    "COMMAND_ADAPTER", "Command", "VisitedOrgInput", "FindingInput", "RecordInspection", "RecordFindings", "ReferToCase",
    "ReferToDesignation", "CloseFindings", "CloseInspection", "Tick",
    "EVENT_ADAPTER", "NOTICE_EVENTS", "Event", "InspectionRecorded", "InspectionFindingsRecorded", "FindingsReferredToCase",
    "FindingsReferredToDesignation", "FindingsClosed", "InspectionClosed",
    "InspectionState", "Stage", "VisitKind", "FindingStatus", "Finding", "VisitedOrg", "VISIT_KIND_NAMES",
    "FINDING_STATUS_NAMES",
]  # fmt: skip
