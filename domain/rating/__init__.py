"""Star ratings (评星定级) as a decider. Pure: no I/O, no clock, no Temporal.

Each year every organization is rated 1–5 stars against a published standard (星级标准, versioned policy:
items, points, veto items, the lines of each level): it assesses itself with evidence (自评), the township
reviews or returns it (审核 / 退回), the county approves a level the gates grant (审定, 进关), the level is
published for objections (公示), then decided and managed through the year — a veto event lowers it
(降星, 出关). A closed rectification case proposes the upgrade (晋位升级); decided levels feed the next
designation (docs/rating.md).

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError        (decide.py)
    evolve(state, event) -> state                total, never refuses               (evolve.py)
    next_wakeup(state, ctx) -> datetime | None   the end of 公示, of management      (timing.py)
"""

from __future__ import annotations

from domain.decider import Decider, Tick
from domain.rating.commands import (
    ApproveRating,
    Command,
    ItemScoreInput,
    OpenRating,
    RecordObjection,
    RecordVetoEvent,
    ResolveObjection,
    ReturnRating,
    ReviewRating,
    SubmitSelfAssessment,
)
from domain.rating.decide import ALLOWED_STAGES, MANUAL, ROLES_ALLOWED, authorize, current_gate, decide, decided_level, standard_of
from domain.rating.events import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    NOTICE_EVENTS,
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
from domain.rating.evolve import evolve
from domain.rating.gates import Gate, gate, proposed_level
from domain.rating.state import (
    INITIAL_STATE,
    KIND,
    PREFIX,
    STAGE_NAMES,
    TERMINAL,
    Assessment,
    ItemScore,
    Objection,
    ObjectionStatus,
    RatingState,
    Stage,
    VetoEvent,
    is_terminal,
    rating_id_for,
    stars_text,
)
from domain.rating.timing import calendar_years, next_wakeup

DECIDER: Decider[RatingState, Command, Event] = Decider(
    KIND, PREFIX, INITIAL_STATE, COMMAND_ADAPTER, EVENT_ADAPTER, NOTICE_EVENTS,
    decide=decide, evolve=evolve, is_terminal=is_terminal, next_wakeup=next_wakeup, calendar_years=calendar_years,
    # the county's decisions on an organization's level carry the decider's own signature (docs/security.md)
    signed_commands=frozenset({"ApproveRating", "ResolveObjection", "RecordVetoEvent"}),
)  # fmt: skip

fold = DECIDER.fold

__all__ = [
    "DECIDER", "KIND", "PREFIX", "INITIAL_STATE", "TERMINAL", "is_terminal", "decide", "evolve", "fold", "authorize",
    "ROLES_ALLOWED", "ALLOWED_STAGES", "MANUAL", "current_gate", "decided_level", "standard_of", "gate", "Gate", "proposed_level",
    "rating_id_for", "stars_text", "next_wakeup", "calendar_years", "STAGE_NAMES",
    "COMMAND_ADAPTER", "Command", "ItemScoreInput", "OpenRating", "SubmitSelfAssessment", "ReviewRating", "ReturnRating",
    "ApproveRating", "RecordObjection", "ResolveObjection", "RecordVetoEvent", "Tick",
    "EVENT_ADAPTER", "NOTICE_EVENTS", "Event", "RatingOpened", "SelfAssessmentSubmitted", "RatingReviewed", "RatingReturned",
    "RatingApproved", "ObjectionRecorded", "ObjectionResolved", "RatingDecided", "VetoEventRecorded", "RatingArchived",
    "RatingState", "Stage", "Assessment", "ItemScore", "Objection", "ObjectionStatus", "VetoEvent",
]  # fmt: skip
