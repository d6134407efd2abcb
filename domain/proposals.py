"""Sanction proposals (问责提议), as cases and projects share them. Pure.

A sanction is never imposed by a timer: a rung of the ladder, a cross-year memory rule (cases) or a
poor year-end result (projects) *proposes* it, and a person with a ``sanction_approvers`` role
approves or dismisses it (``DecideSanction``) before ``decide_by``; an undecided proposal lapses.

What both kinds share lives here once: the state of a proposal (``Proposal``; a case's proposal
extends it with the measure, the source and the memory rule), the lookups over a stream's proposals,
the rule that picks the proposal a ``DecideSanction`` names (``choose_proposal``) and how a decision
or a lapse changes the state (``record_decision``, ``record_lapse``). The events stay each kind's
own: their fields and order are part of the recorded histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, Field

from domain.decider import Command
from domain.errors import InvalidCommand, NotAllowedInStage
from domain.limits import MAX_ID, MAX_TEXT, Cap
from domain.rungs import ProposalStatus, Rung, SanctionDecision


class Proposal(BaseModel):
    """One sanction proposal in a stream's state."""

    proposal_id: str
    rung: Rung
    reason: str = ""
    proposed_at: AwareDatetime
    decide_by: AwareDatetime
    status: ProposalStatus = ProposalStatus.PENDING
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    comment: str = ""

    def concerns(self, measure_id: str | None) -> bool:
        """Is this the proposal about ``measure_id`` (None: the stream as a whole)?"""
        return measure_id is None

    def describe(self) -> str:
        """How a refusal names it: ``S1(reminder_talk)``."""
        return f"{self.proposal_id}({self.rung.value})"


P = TypeVar("P", bound=Proposal)


class DecideSanction(Command):
    """Approve or dismiss a pending sanction proposal: named by id, or by rung (and measure), or the
    only one pending (see ``choose_proposal``)."""

    type: Literal["DecideSanction"] = "DecideSanction"
    proposal_id: Annotated[str | None, Cap(MAX_ID)] = Field(default=None)
    measure_id: Annotated[str | None, Cap(MAX_ID)] = Field(default=None)
    rung: Rung | None = None
    decision: SanctionDecision
    comment: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


def proposal(proposals: Sequence[P], proposal_id: str) -> P:
    """The proposal an event names; a ValueError if there is none (the log is corrupt)."""
    found = next((p for p in proposals if p.proposal_id == proposal_id), None)
    if found is None:
        raise ValueError(f"event refers to unknown sanction proposal {proposal_id}")
    return found


def pending(proposals: Sequence[P]) -> list[P]:
    """The proposals still awaiting a decision, oldest first."""
    return [p for p in proposals if p.status == ProposalStatus.PENDING]


def choose_proposal(proposals: Sequence[P], proposal_id: str | None, rung: Rung | None, measure_id: str | None = None) -> P:
    """The pending proposal a ``DecideSanction`` names, or a DomainError saying why there is none.

    By id; else by rung (and measure), the pending one if any, else the latest; with neither, the
    only pending proposal. Unknown id or rung: InvalidCommand listing the known ones. Several pending
    and none named: InvalidCommand naming them. Nothing pending and none named, or the named one
    already decided or lapsed: NotAllowedInStage.
    """
    chosen: P | None
    if proposal_id:
        chosen = next((p for p in proposals if p.proposal_id == proposal_id), None)
    elif rung is not None:
        matches = [p for p in proposals if p.rung == rung and p.concerns(measure_id)]
        candidates = pending(matches) or matches
        chosen = candidates[-1] if candidates else None
    else:
        waiting = pending(proposals)
        if not waiting:
            raise NotAllowedInStage("no sanction proposal is pending")
        if len(waiting) > 1:
            raise InvalidCommand(f"several proposals are pending: name one of {', '.join(p.proposal_id for p in waiting)}")
        chosen = waiting[0]
    if chosen is None:
        known = ", ".join(p.describe() for p in proposals) or "none"
        raise InvalidCommand(f"no such sanction proposal; known: {known}")
    if chosen.status != ProposalStatus.PENDING:
        raise NotAllowedInStage(f"proposal {chosen.proposal_id} is already {chosen.status.value}")
    return chosen


class Decision(Protocol):
    """What a SanctionDecided event of any kind says."""

    @property
    def proposal_id(self) -> str: ...
    @property
    def decision(self) -> SanctionDecision: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def comment(self) -> str: ...


def record_decision(proposals: Sequence[Proposal], event: Decision) -> None:
    """Evolve: a person approved or dismissed the proposal (mutates the state's copy)."""
    p = proposal(proposals, event.proposal_id)
    p.status = ProposalStatus(event.decision.value)
    p.decided_by, p.decided_at, p.comment = event.actor, event.at, event.comment


def record_lapse(proposals: Sequence[Proposal], proposal_id: str, at: datetime | None) -> None:
    """Evolve: nobody decided in time. ``at`` (the lapse) is kept as ``decided_at``; None keeps it unset
    (projects have always left it unset: their stored states say so)."""
    p = proposal(proposals, proposal_id)
    p.status = ProposalStatus.LAPSED
    if at is not None:
        p.decided_at = at
