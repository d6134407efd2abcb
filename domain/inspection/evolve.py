"""How an inspection's events fold into its state: ``evolve(state, event)`` never refuses (pure)."""

from __future__ import annotations

from domain.inspection.events import (
    Event,
    FindingsClosed,
    FindingsReferredToCase,
    FindingsReferredToDesignation,
    InspectionClosed,
    InspectionFindingsRecorded,
    InspectionRecorded,
)
from domain.inspection.state import FindingStatus, InspectionState, Stage


def evolve(state: InspectionState, event: Event) -> InspectionState:
    """Fold one event into the state. Never refuses: events are facts."""
    s = state.model_copy(deep=True, update={"version": state.version + 1, "policy_version": event.policy_version or state.policy_version})
    match event:
        case InspectionRecorded():
            s.inspection_id, s.year, s.kind = event.inspection_id, event.year, event.kind
            s.visited_on, s.announced, s.title = event.visited_on, event.announced, event.title
            s.inspector, s.companions, s.orgs, s.note = event.inspector, list(event.companions), list(event.orgs), event.note
            s.stage, s.stage_since, s.recorded_at = Stage.OPEN, event.at, event.at
        case InspectionFindingsRecorded():
            s.findings.extend(f.model_copy() for f in event.findings)
        case FindingsReferredToCase():
            for f in s.findings:
                if f.finding_id in event.finding_ids:
                    f.status, f.case_id, f.disposed_at, f.disposed_by = FindingStatus.CASE, event.case_id, event.at, event.actor
        case FindingsReferredToDesignation():
            for f in s.findings:
                if f.finding_id in event.finding_ids:
                    f.status, f.designation_year, f.disposed_at, f.disposed_by = (
                        FindingStatus.DESIGNATION,
                        event.year,
                        event.at,
                        event.actor,
                    )
                    f.note = event.note
        case FindingsClosed():
            for f in s.findings:
                if f.finding_id in event.finding_ids:
                    f.status, f.note, f.disposed_at, f.disposed_by = FindingStatus.CLOSED, event.note, event.at, event.actor
        case InspectionClosed():
            s.stage, s.stage_since, s.closed_at, s.closing_note = Stage.CLOSED, event.at, event.at, event.note
    return s
