"""Deciders as values: what every kind of audited stream (case, project, campaign) is made of.

A kind is one ``Decider`` value:

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                total, never refuses: events are facts
    initial                                      the state before the first event
    is_terminal(state) -> bool                   the stream accepts no more commands
    next_wakeup(state, ctx) -> datetime | None   when the clock next matters (``Tick``)
    calendar_years(state, now) -> list[int]      the years of calendar facts its timers count on
    internal_commands                            commands only the workflow issues (``Tick``, …)

``Context`` carries what a decision may depend on besides the state and the command: the time
(``now``, never the clock), the policy, the working-day calendar. Generic code — the audited workflow
that hosts every kind, the projections, the CLI's history — works with any ``Decider`` and never
with a kind's module directly.

The bases below (``Input``, ``Command``, ``Event``, ``Tick``) are shared by every kind so that every
command refuses unknown keys, every event carries when, who and under which policy version, and the
clock is one command whatever the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypedDict, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter, model_validator

from domain.actors import SYSTEM_ACTOR, Actor
from domain.identity.signatures import PersonalSignature
from domain.limits import command_too_large
from domain.policy import Policy
from domain.workcal import WorkCalendar

S = TypeVar("S", bound=BaseModel)
C = TypeVar("C")
E = TypeVar("E")


class Input(BaseModel):
    """What people type: unknown keys are refused so a misspelt field is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Proof(BaseModel):
    """How the workflow knew who acted: the credential's id, and the person's own signature for a
    decision that judges a person. Set by the workflow after verifying both, never by a client."""

    credential: str
    signature: PersonalSignature | None = None


class Command(Input):
    """A request to change a stream, on behalf of ``actor``.

    ``actor`` is the verified credential's person (workflows/audited.py puts it there; a client's
    command body names no actor), ``proof`` how that was verified (None: the workflow's own commands,
    and commands recorded before credentials existed)."""

    actor: Actor
    proof: Proof | None = None

    @model_validator(mode="after")
    def _fits(self) -> Command:
        """At most ``domain.limits.MAX_COMMAND_BYTES`` as JSON: refused here, by every door and by the
        workflow's validator, rather than by Temporal after it entered the workflow."""
        problem = command_too_large(len(self.model_dump_json().encode("utf-8")))
        if problem:
            raise ValueError(problem)
        return self


class Event(BaseModel):
    """A fact: when (workflow time), who (an actor id), under which policy version."""

    at: AwareDatetime
    actor: str
    policy_version: str | None = None
    proof: Proof | None = None  # the command's proof (credential id, personal signature), kept in the audit event


class Tick(Command):
    """The clock: emit whatever reminders, overdue notices, escalations and lapses are due now.

    Issued by the workflow's own timers, never by people (the workflow refuses it from outside)."""

    type: Literal["Tick"] = "Tick"
    actor: Actor = SYSTEM_ACTOR


class Stamp(TypedDict):
    """The fields every event of a decision shares: ``Event(**ctx.stamp(command), ...)``."""

    at: datetime
    actor: str
    proof: Proof | None


@dataclass(frozen=True)
class Context:
    """Everything a decision may depend on besides the state and the command."""

    now: datetime
    policy: Policy
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def stamp(self, command: Command) -> Stamp:
        return {"at": self.now, "actor": command.actor.id, "proof": command.proof}


@dataclass(frozen=True)
class Decider(Generic[S, C, E]):
    """One kind of audited stream, as a value that generic code hosts."""

    name: str  # "rectification", "project", "campaign": metric labels, notices, the kind registry
    prefix: str  # stream ids start with this, e.g. "rect-"
    initial: S
    commands: TypeAdapter[C]
    events: TypeAdapter[E]
    notice_events: frozenset[str]  # event types that tell people something (delivered by the workflow)
    decide: Callable[[S, C, Context], list[E]]
    evolve: Callable[[S, E], S]
    is_terminal: Callable[[S], bool]
    next_wakeup: Callable[[S, Context], datetime | None]
    calendar_years: Callable[[S, datetime], list[int]]
    # Commands only the workflow itself issues (its timers, its own bookkeeping): refused from people.
    internal_commands: frozenset[str] = frozenset({"Tick"})
    # Decisions that judge a person: they carry the decider's personal signature (docs/security.md).
    signed_commands: frozenset[str] = frozenset()

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        current = self.initial if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current

    def owns(self, stream_id: str) -> bool:
        return stream_id.startswith(self.prefix)


def no_wakeup(state: object, ctx: Context) -> None:
    """For kinds whose clock lives outside the decider (the campaign's monthly check and year end)."""
    return None


def no_calendar(state: object, now: datetime) -> list[int]:
    """For kinds that count no working days."""
    return []
