"""How a star rating's events fold into its state: ``evolve(state, event)`` never refuses (pure)."""

from __future__ import annotations

from domain.rating.events import (
    Event,
    ObjectionRecorded,
    ObjectionResolved,
    RatingApproved,
    RatingArchived,
    RatingDecided,
    RatingOpened,
    RatingReturned,
    RatingReviewed,
    SelfAssessmentSubmitted,
    VetoEventRecorded,
)
from domain.rating.state import ObjectionStatus, RatingState, Stage


def _moved(s: RatingState, stage: Stage, at: object) -> None:
    s.stage, s.stage_since = stage, at  # type: ignore[assignment]


def evolve(state: RatingState, event: Event) -> RatingState:
    """Fold one event into the state. Never refuses: events are facts."""
    s = state.model_copy(deep=True, update={"version": state.version + 1, "policy_version": event.policy_version or state.policy_version})
    match event:
        case RatingOpened():
            s.rating_id, s.org_code, s.org_name, s.region = event.rating_id, event.org_code, event.org_name, event.region
            s.domain, s.year, s.standard, s.previous_level = event.domain, event.year, event.standard, event.previous_level
            s.upgrade_cases, s.upgrade_level = list(event.upgrade_cases), event.upgrade_level
            s.opened_by, s.opened_at = event.actor, event.at
            _moved(s, Stage.SELF_ASSESSMENT, event.at)
        case SelfAssessmentSubmitted():
            s.self_assessment, s.review, s.review_level = event.assessment.model_copy(deep=True), None, None
            _moved(s, Stage.TOWNSHIP_REVIEW, event.at)
        case RatingReviewed():
            s.review, s.review_level = event.assessment.model_copy(deep=True), event.assessment.level
            s.comments.append(event.comment)
            _moved(s, Stage.COUNTY_REVIEW, event.at)
        case RatingReturned():
            s.returns += 1
            s.comments.append(event.comment)
            _moved(s, Stage(event.to_stage), event.at)
        case RatingApproved():
            s.approved_level, s.approved_by, s.publicity_ends = event.level, event.actor, event.publicity_ends
            _moved(s, Stage.PUBLICITY, event.at)
        case ObjectionRecorded():
            s.objections.append(event.objection.model_copy())
        case ObjectionResolved():
            for o in s.objections:
                if o.objection_id == event.objection_id:
                    o.status = ObjectionStatus.UPHELD if event.upheld else ObjectionStatus.DISMISSED
                    o.resolution, o.resolved_by, o.resolved_at, o.level = event.note, event.actor, event.at, event.level
        case RatingDecided():
            s.level, s.decided_at, s.archive_at = event.level, event.at, event.archive_at
            _moved(s, Stage.RATED, event.at)
        case VetoEventRecorded():
            s.veto_events.append(event.veto.model_copy())
            if event.veto.level_after is not None:
                s.level = event.veto.level_after
        case RatingArchived():
            _moved(s, Stage.ARCHIVED, event.at)
    return s
