"""What a command does to a star rating: ``decide(state, command, ctx) -> list[Event]`` (pure).

Who (roles; scope over the organization for every command):
- the county (supervisor, county_leader) opens, approves (审定), resolves objections, records veto events;
- the organization (branch_secretary, first_secretary, committee_member) assesses itself (自评);
- the township (township_secretary) reviews (审核) or returns (退回修改); the county returns a review
  (退回复核); objections are recorded by the county or the township.
Separation of duties: who assessed does not review; who assessed or reviewed does not approve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import permissions
from domain.actors import Role
from domain.decider import Context
from domain.errors import InvalidCommand, NotAllowedInStage, SeparationOfDuties
from domain.policy.rating import RatingStandard
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
from domain.rating.evolve import evolve
from domain.rating.gates import Gate, capped, gate, proposed_level
from domain.rating.state import (
    INITIAL_STATE,
    Assessment,
    ItemScore,
    Objection,
    ObjectionStatus,
    RatingState,
    Stage,
    VetoEvent,
    rating_id_for,
    stars_text,
)

_COUNTY = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER})
_ORGANIZATION = frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY, Role.COMMITTEE_MEMBER})
_TOWNSHIP = frozenset({Role.TOWNSHIP_SECRETARY})
ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "OpenRating": _COUNTY,
    "SubmitSelfAssessment": _ORGANIZATION,
    "ReviewRating": _TOWNSHIP,
    "ReturnRating": _TOWNSHIP | _COUNTY,
    "ApproveRating": _COUNTY,
    "RecordObjection": _COUNTY | _TOWNSHIP,
    "ResolveObjection": _COUNTY,
    "RecordVetoEvent": _COUNTY,
    "Tick": frozenset({Role.SYSTEM}),
}
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "SubmitSelfAssessment": frozenset({Stage.SELF_ASSESSMENT}),
    "ReviewRating": frozenset({Stage.TOWNSHIP_REVIEW}),
    "ReturnRating": frozenset({Stage.TOWNSHIP_REVIEW, Stage.COUNTY_REVIEW}),
    "ApproveRating": frozenset({Stage.COUNTY_REVIEW}),
    "RecordObjection": frozenset({Stage.PUBLICITY}),
    "ResolveObjection": frozenset({Stage.PUBLICITY}),
    "RecordVetoEvent": frozenset(Stage) - {Stage.ARCHIVED},
    "Tick": frozenset(Stage),
}
MANUAL = "manual"  # a veto event the county decided itself (its note says why)


def standard_of(state: RatingState, ctx: Context) -> RatingStandard:
    """The standard the rating was opened under (by name, in the stream's policy)."""
    rating = ctx.policy.rating
    return rating.standard_named(state.standard) or rating.standard_for(state.domain)


def authorize(state: RatingState, command: Command) -> None:
    kind, actor = command.type, command.actor
    if isinstance(command, OpenRating):
        if state.version:
            raise NotAllowedInStage(f"rating {state.rating_id} is already open")
        permissions.authorize(actor, ROLES_ALLOWED[kind], kind, command.org_code, command.region)
        return
    if state.version == 0:
        raise NotAllowedInStage("the rating is not open yet")
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")
    if isinstance(command, ReturnRating):
        # the township returns the organization's assessment, the county the township's review
        allowed = _TOWNSHIP if state.stage == Stage.TOWNSHIP_REVIEW else _COUNTY
        permissions.authorize(actor, allowed, kind, state.org_code, state.region)
        return
    permissions.authorize(actor, ROLES_ALLOWED[kind], kind, state.org_code, state.region)
    # separation of duties: who assessed does not review; who assessed or reviewed does not approve
    if isinstance(command, ReviewRating) and state.self_assessment is not None and actor.id == state.self_assessment.by:
        raise SeparationOfDuties(f"{actor.id} submitted the self-assessment and may not review it")
    if isinstance(command, ApproveRating) and actor.id in state.assessors:
        raise SeparationOfDuties(f"{actor.id} assessed or reviewed this rating and may not approve it")


def _scores(standard: RatingStandard, inputs: list[ItemScoreInput], field: str) -> dict[str, ItemScoreInput]:
    seen: dict[str, ItemScoreInput] = {}
    for index, score in enumerate(inputs):
        item = standard.item(score.code)
        if item is None or item.veto:
            known = ", ".join(i.code for i in standard.items if not i.veto)
            raise InvalidCommand(f"{field}[{index}].code: {score.code!r} is not a point item of {standard.name} (its items: {known})")
        if score.code in seen:
            raise InvalidCommand(f"{field}[{index}].code: {score.code} scored twice")
        if score.points > item.points:
            raise InvalidCommand(f"{field}[{index}].points: {score.points:g} is more than {item.zh} allows ({item.points:g})")
        seen[score.code] = score
    return seen


def _vetoes(standard: RatingStandard, codes: list[str], field: str) -> list[str]:
    for index, code in enumerate(codes):
        item = standard.item(code)
        if item is None or not item.veto:
            known = ", ".join(i.code for i in standard.items if i.veto) or "none"
            raise InvalidCommand(f"{field}[{index}]: {code!r} is not a veto item of {standard.name} (its veto items: {known})")
    return sorted(set(codes))


def _assessment(
    standard: RatingStandard, scores: dict[str, ItemScoreInput], vetoes: list[str], state: RatingState, ctx: Context, by: str, note: str
) -> Assessment:
    recorded = {e.item for e in state.veto_events}
    result = gate(standard, {c: s.points for c, s in scores.items()}, set(vetoes) | recorded, ctx.policy.rating.veto_level)
    return Assessment(
        scores=[ItemScore.model_validate(s.model_dump()) for s in scores.values()],
        vetoes=vetoes,
        total=result.total,
        level=result.level,
        by=by,
        at=ctx.now,
        note=note,
    )


def _open(state: RatingState, c: OpenRating, ctx: Context) -> list[Event]:
    if not c.org_name or not c.region:
        raise InvalidCommand("org_code: the organization's name and township come from the directory (not read yet)")
    standard = ctx.policy.rating.standard_for(c.domain)
    events: list[Event] = [
        RatingOpened(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            rating_id=rating_id_for(c.org_code, c.year),
            org_code=c.org_code,
            org_name=c.org_name,
            region=c.region,
            domain=c.domain,
            year=c.year,
            standard=standard.name,
            previous_level=c.previous_level,
            upgrade_cases=sorted(set(c.upgrade_cases)),
            upgrade_level=proposed_level(c.previous_level, c.upgrade_cases, ctx.policy.rating),
            note=c.note,
        )
    ]
    # a case opened against the organization in the rating year: a veto item occurred
    return events + _case_vetoes(INITIAL_STATE, c.open_cases, c, ctx)


def _submit(state: RatingState, c: SubmitSelfAssessment, ctx: Context) -> list[Event]:
    standard = standard_of(state, ctx)
    scores = _scores(standard, c.scores, "scores")
    missing = [i.code for i in standard.items if not i.veto and i.code not in scores]
    if missing:
        raise InvalidCommand(f"scores: every point item is scored in a self-assessment; missing: {', '.join(missing)}")
    vetoes = _vetoes(standard, c.vetoes, "vetoes")
    return [SelfAssessmentSubmitted(**ctx.stamp(c), assessment=_assessment(standard, scores, vetoes, state, ctx, c.actor.id, c.note))]


def _review(state: RatingState, c: ReviewRating, ctx: Context) -> list[Event]:
    own = state.self_assessment
    assert own is not None  # a rating in township_review has one
    standard = standard_of(state, ctx)
    scores = {s.code: ItemScoreInput.model_validate(s.model_dump()) for s in own.scores}
    scores.update(_scores(standard, c.scores, "scores"))
    vetoes = sorted(set(own.vetoes) | set(_vetoes(standard, c.vetoes, "vetoes")))
    return [
        RatingReviewed(
            **ctx.stamp(c), assessment=_assessment(standard, scores, vetoes, state, ctx, c.actor.id, c.comment), comment=c.comment
        )
    ]


def _return(state: RatingState, c: ReturnRating, ctx: Context) -> list[Event]:
    to = Stage.SELF_ASSESSMENT if state.stage == Stage.TOWNSHIP_REVIEW else Stage.TOWNSHIP_REVIEW
    back_to = state.self_assessment if to == Stage.SELF_ASSESSMENT else state.review
    recipients = [back_to.by] if back_to is not None and back_to.by else []
    return [RatingReturned(**ctx.stamp(c), to_stage=to.value, comment=c.comment, recipients=recipients)]


def current_gate(state: RatingState, ctx: Context) -> Gate:
    """What the gates grant now, on the township's reviewed scores and every veto item that occurred."""
    standard = standard_of(state, ctx)
    reviewed = state.review or state.self_assessment
    scores = {s.code: s.points for s in reviewed.scores} if reviewed else {}
    return gate(standard, scores, state.vetoed, ctx.policy.rating.veto_level)


def _case_vetoes(state: RatingState, cases: list[str], c: Any, ctx: Context) -> list[Event]:
    """A veto event for each case of the rating year not yet recorded (the policy's ``case_veto_item``)."""
    item = ctx.policy.rating.case_veto_item
    if item is None:
        return []
    known = {e.source for e in state.veto_events}
    return [
        VetoEventRecorded(
            **ctx.stamp(c), veto=VetoEvent(item=item, source=case_id, note="整顿案件 / rectification case", at=ctx.now, by=c.actor.id)
        )
        for case_id in sorted(set(cases) - known)
    ]


def _approve(state: RatingState, c: ApproveRating, ctx: Context) -> list[Event]:
    vetoes = _case_vetoes(state, c.open_cases or [], c, ctx)  # cases opened since the rating was: the gates apply them
    for event in vetoes:
        state = evolve(state, event)
    granted = current_gate(state, ctx)
    level = c.level if c.level is not None else granted.level
    if level > granted.level:
        lacks = "; ".join(f"{s}★: {', '.join(r)}" for s, r in sorted(granted.unmet.items()) if s <= level)
        zh = f"level: {level} 星未达进关条件（最高可评 {granted.level} 星）"
        raise InvalidCommand(f"{zh} / {level} stars not earned (the gates grant {granted.level}): {lacks}")
    ends = ctx.calendar.shift(ctx.now, ctx.policy.rating.objection_window)
    return [
        *vetoes,
        RatingApproved(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            level=level,
            gate_level=granted.level,
            publicity_ends=ends,
            comment=c.comment,
            recipients=state.assessors,
        ),
    ]


def _object(state: RatingState, c: RecordObjection, ctx: Context) -> list[Event]:
    objection = Objection(
        objection_id=f"O{len(state.objections) + 1}", text=c.text, source=c.source, recorded_by=c.actor.id, recorded_at=ctx.now
    )
    return [ObjectionRecorded(**ctx.stamp(c), objection=objection)]


def _resolve(state: RatingState, c: ResolveObjection, ctx: Context) -> list[Event]:
    objection = state.objection(c.objection_id)
    if objection is None:
        known = ", ".join(o.objection_id for o in state.objections) or "none"
        raise InvalidCommand(f"objection_id: unknown objection {c.objection_id!r} (this rating has: {known})")
    if objection.status != ObjectionStatus.OPEN:
        raise NotAllowedInStage(f"objection {c.objection_id} was already resolved ({objection.status.value})")
    approved = state.approved_level or 1
    if c.upheld:
        if c.level is None or c.level >= approved:
            raise InvalidCommand(f"level: an upheld objection decides a level below the approved {approved} stars ({stars_text(approved)})")
    elif c.level is not None:
        raise InvalidCommand("level: a dismissed objection leaves the approved level; give no level")
    return [ObjectionResolved(**ctx.stamp(c), objection_id=c.objection_id, upheld=c.upheld, level=c.level, note=c.note)]


def _veto(state: RatingState, c: RecordVetoEvent, ctx: Context) -> list[Event]:
    standard = standard_of(state, ctx)
    item = standard.item(c.item)
    if item is None or not item.veto:
        known = ", ".join(i.code for i in standard.items if i.veto) or "none"
        raise InvalidCommand(f"item: {c.item!r} is not a veto item of {standard.name} (its veto items: {known})")
    if c.source == MANUAL:
        if not c.note.strip():
            raise InvalidCommand("note: a veto event the county records itself (source manual) says why")
    elif not (c.source.startswith("rect-") or c.source.startswith("insp-")):
        raise InvalidCommand(f"source: {c.source!r} is not a case (rect-…), an inspection finding (insp-…/F2) or manual")
    elif c.source_org is not None and c.source_org != state.org_code:
        where = "is not in the audit log" if c.source_org == "" else f"concerns {c.source_org}"
        raise InvalidCommand(f"source: {c.source} {where}, not {state.org_code}")
    if any(e.source == c.source and e.item == c.item for e in state.veto_events) and c.source != MANUAL:
        raise NotAllowedInStage(f"source: {c.source} is already recorded as {c.item}")
    before = state.level if state.stage in (Stage.RATED,) else None
    after = capped(before, {c.item}, standard, ctx.policy.rating.veto_level) if before is not None else None
    veto = VetoEvent(item=c.item, source=c.source, note=c.note, at=ctx.now, by=c.actor.id, level_before=before, level_after=after)
    told = state.assessors if after is not None and before is not None and after < before else []  # a decided level lowered
    return [VetoEventRecorded(**ctx.stamp(c), policy_version=ctx.policy.version, veto=veto, recipients=told)]


def decided_level(state: RatingState, ctx: Context) -> int:
    """The level 公示 ends with: the approved one, lowered by upheld objections and veto items."""
    levels = [state.approved_level or 1] + [o.level for o in state.objections if o.status == ObjectionStatus.UPHELD and o.level]
    return capped(min(levels), state.vetoed, standard_of(state, ctx), ctx.policy.rating.veto_level)


def _tick(state: RatingState, c: Any, ctx: Context) -> list[Event]:
    if (
        state.stage == Stage.PUBLICITY
        and state.publicity_ends is not None
        and ctx.now >= state.publicity_ends
        and not state.open_objections()
    ):
        archive_at = ctx.calendar.shift(ctx.now, ctx.policy.rating.managed_for)
        return [
            RatingDecided(
                **ctx.stamp(c),
                policy_version=ctx.policy.version,
                level=decided_level(state, ctx),
                previous_level=state.previous_level,
                archive_at=archive_at,
                recipients=state.assessors,
            )
        ]
    if state.stage == Stage.RATED and state.archive_at is not None and ctx.now >= state.archive_at:
        return [RatingArchived(**ctx.stamp(c), level=state.level)]
    return []


_HANDLERS: dict[str, Callable[[RatingState, Any, Context], list[Event]]] = {
    "OpenRating": _open,
    "SubmitSelfAssessment": _submit,
    "ReviewRating": _review,
    "ReturnRating": _return,
    "ApproveRating": _approve,
    "RecordObjection": _object,
    "ResolveObjection": _resolve,
    "RecordVetoEvent": _veto,
    "Tick": _tick,
}


def decide(state: RatingState, command: Command, ctx: Context) -> list[Event]:
    """The events ``command`` produces now, or a DomainError saying why not."""
    authorize(state, command)
    return _HANDLERS[command.type](state, command, ctx)
