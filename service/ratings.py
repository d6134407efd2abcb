"""Star ratings (评星定级): one function per thing a door asks (docs/rating.md).

Changing a rating (async; each returns ``service.commands.Done``): ``open_rating`` (one organization),
``open_year`` (every organization of the directory, or of a township, that has no rating of the year
yet), ``assess`` (自评, from an ``AssessmentFile``), ``review`` (审核), ``return_rating`` (退回),
``approve`` (审定, signed), ``object_to`` (记录异议), ``resolve`` (处理异议, signed), ``veto`` (否决事项,
signed). Reading (sync, from the audit log and the rating ledger): ``show``, ``list_ratings``,
``history``, ``report``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from domain.actors import Actor
from domain.decider import Input
from domain.evidence import EvidenceFile
from domain.limits import MAX_ITEMS, MAX_TEXT
from domain.permissions import may_see
from domain.policy import Policy
from domain.policy.rating import RatingItem
from domain.rating import (
    DECIDER,
    ApproveRating,
    ItemScore,
    ItemScoreInput,
    OpenRating,
    RatingState,
    RecordObjection,
    RecordVetoEvent,
    ResolveObjection,
    ReturnRating,
    ReviewRating,
    Stage,
    SubmitSelfAssessment,
    current_gate,
    rating_id_for,
)
from domain.rating.figures import RatingFigures, rating_figures
from domain.rating.gates import Gate
from domain.timeutil import SHANGHAI
from service import policy as policies
from service.bootstrap import Deps
from service.commands import Done, TrailRow, command, expect, folded, open_stream, send, trail, trail_row
from service.errors import NotFound, Refused, ServiceError
from store import queries
from store import ratings as store
from store.directory import Directory
from store.models import AuditEvent
from store.rating_models import RatingSummary

EXAMPLE = "star-V001-2027"
YEARS = (2000, 2100)
OPEN_AT_ONCE = 8  # openings in flight at once when a year is opened for many organizations


class AssessmentFile(Input):
    """A self-assessment or a review as a file: ``scores`` as ``{item: points}`` or as a list of
    ``{code, points, evidence, files, note}`` (``files``: uploaded in the console, each an ``EvidenceFile``);
    ``vetoes``: veto items that occurred; ``note`` / ``comment``."""

    model_config = ConfigDict(extra="forbid")
    scores: list[ItemScoreInput] = Field(default_factory=list, max_length=MAX_ITEMS)
    vetoes: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    note: str = Field(default="", max_length=MAX_TEXT)

    @field_validator("scores", mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if isinstance(value, dict):  # {political: 18, team: 20}
            return [{"code": str(code), "points": points} for code, points in value.items()]
        return value


def _year(year: int, *, opening: bool = False) -> int:
    """A year of 2000–2100; ``opening``: this year or the next at the latest (评星 rates a year that has begun)."""
    if not YEARS[0] <= year <= YEARS[1]:
        raise Refused(f"--year: {year} is not a year of {YEARS[0]}–{YEARS[1]}")
    now = datetime.now(SHANGHAI).year
    if opening and year > now + 1:
        raise Refused(f"--year: {year} is after next year ({now + 1}): a rating rates a year that has begun")
    return year


def _known_region(directory: Directory, region: str | None) -> None:
    """``region`` (when given) is a township of the directory, else ``Refused`` naming the known ones."""
    if region is not None and region not in (known := directory.regions()):
        raise Refused(f"--region: unknown township {region!r} (known: {', '.join(known) or 'none: import organizations first'})")


async def _send(deps: Deps, rating_id: str, cmd: object, request_id: str | None) -> Done:
    expect("rating", rating_id, EXAMPLE)
    return await send(deps, rating_id, cmd, request_id)


# ----------------------------------------------------------------------------- changing a rating


async def open_rating(deps: Deps, org_code: str, year: int, actor: Actor, policy: Policy, note: str = "") -> Done:
    """启动评星: open ``org_code``'s rating of ``year`` (the workflow reads the organization's facts)."""
    _year(year, opening=True)
    org = deps.reading(lambda engine: Directory(engine).organization(org_code))
    if org is None:
        raise Refused(f"org_code: {org_code} is not in the organization directory (`pdca org list`)")
    opening = command(
        OpenRating, actor=actor, org_code=org.code, year=year, org_name=org.name, region=org.region, domain=org.domain, note=note
    )
    return await open_stream(deps, opening, policy)


@dataclass
class Opening:
    """What ``open_year`` did: ratings opened, already there, refused (org code → why)."""

    opened: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def open_year(
    deps: Deps, year: int, actor: Actor, policy: Policy, *, region: str | None = None, codes: list[str] | None = None
) -> Opening:
    """启动年度评星: a rating of ``year`` for every organization of the directory (of ``region``, or of
    ``codes``) that has none yet, a few at a time. Safe to run again: existing ratings are left as they are."""
    _year(year, opening=True)

    def targets(engine: Any) -> tuple[list[str], set[str]]:
        directory = Directory(engine)
        _known_region(directory, region)
        orgs = directory.organizations(region=region, codes=codes)
        unknown = sorted(set(codes or []) - {o.code for o in orgs})
        if unknown:
            raise Refused(f"--org: not in the organization directory{' of ' + region if region else ''}: {', '.join(unknown)}")
        if codes is None:  # the whole county or township: the organizations this person may open (their scope)
            orgs = [o for o in orgs if actor.may_act_on(o.code, o.region)]
            if not orgs:
                raise Refused(f"{actor.id}: no organization{' of ' + region if region else ''} in your scope to rate")
        have = {r.org_code for r in store.rating_summaries(engine, year=year, region=region)}
        return [o.code for o in orgs], have

    found, have = deps.reading(targets)
    result = Opening(existing=sorted(c for c in found if c in have))
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one(code: str) -> None:
        async with gate:
            try:
                await open_rating(deps, code, year, actor, policy)
                result.opened.append(code)
            except ServiceError as error:
                if "already exists" in str(error):
                    result.existing.append(code)
                else:
                    result.failed[code] = str(error)

    await asyncio.gather(*(one(c) for c in found if c not in have))
    result.opened.sort()
    result.existing.sort()
    return result


async def assess(deps: Deps, rating_id: str, actor: Actor, file: AssessmentFile, request_id: str | None = None) -> Done:
    """提交自评: the organization's scores, evidence and veto items."""
    cmd = command(SubmitSelfAssessment, actor=actor, scores=file.scores, vetoes=file.vetoes, note=file.note)
    return await _send(deps, rating_id, cmd, request_id)


async def review(
    deps: Deps, rating_id: str, actor: Actor, comment: str, file: AssessmentFile | None = None, request_id: str | None = None
) -> Done:
    """审核上报: the township's corrections (items not given keep the organization's scores) and comment."""
    file = file or AssessmentFile()
    cmd = command(ReviewRating, actor=actor, scores=file.scores, vetoes=file.vetoes, comment=comment)
    return await _send(deps, rating_id, cmd, request_id)


async def return_rating(deps: Deps, rating_id: str, actor: Actor, comment: str, request_id: str | None = None) -> Done:
    """退回: to the organization (退回修改, by the township) or to the township (退回复核, by the county)."""
    return await _send(deps, rating_id, command(ReturnRating, actor=actor, comment=comment), request_id)


async def approve(
    deps: Deps, rating_id: str, actor: Actor, level: int | None = None, comment: str = "", request_id: str | None = None
) -> Done:
    """审定: approve a level the gates grant (default: the highest) and publish it for objections (公示)."""
    return await _send(deps, rating_id, command(ApproveRating, actor=actor, level=level, comment=comment), request_id)


async def object_to(deps: Deps, rating_id: str, actor: Actor, text: str, source: str = "", request_id: str | None = None) -> Done:
    """记录异议: an objection received during 公示."""
    return await _send(deps, rating_id, command(RecordObjection, actor=actor, text=text, source=source), request_id)


async def resolve(
    deps: Deps,
    rating_id: str,
    actor: Actor,
    objection_id: str,
    upheld: bool,
    note: str,
    level: int | None = None,
    request_id: str | None = None,
) -> Done:
    """处理异议: upheld with the level it decides, or dismissed."""
    cmd = command(ResolveObjection, actor=actor, objection_id=objection_id, upheld=upheld, level=level, note=note)
    return await _send(deps, rating_id, cmd, request_id)


async def veto(deps: Deps, rating_id: str, actor: Actor, item: str, source: str, note: str = "", request_id: str | None = None) -> Done:
    """记录否决事项 (降星): a veto item occurred; its source is a case, an inspection finding, or manual."""
    return await _send(deps, rating_id, command(RecordVetoEvent, actor=actor, item=item, source=source, note=note), request_id)


@dataclass
class Synced:
    """What ``sync`` did: veto events recorded (rating id → sources), refused (rating id → why)."""

    recorded: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


async def sync(deps: Deps, year: int, actor: Actor, policy: Policy) -> Synced:
    """动态管理: record as veto events (降星) what happened to rated organizations since their level was
    decided — a rectification case opened, an inspection finding referred to a designation — each as the
    policy's ``case_veto_item``, signed by the county person who runs it. Safe to run again: a source is
    recorded once per rating (the rule refuses it twice)."""
    _year(year)
    item = policy.rating.case_veto_item
    if item is None:
        raise Refused("rating.case_veto_item is off in the policy: nothing counts as a veto by itself; use `pdca rating veto`")
    pending = deps.reading(lambda engine: store.veto_sources(engine, year))
    result = Synced()
    for rating_id, sources in sorted(pending.items()):
        state = show(deps, rating_id)
        if not actor.may_act_on(state.org_code, state.region):
            continue  # another township's: its own county people sync it
        for source in sources:
            if any(e.source == source for e in state.veto_events):
                continue
            try:
                await veto(deps, rating_id, actor, item, source, note="动态管理：评星后发生 / after the level was decided")
                result.recorded.setdefault(rating_id, []).append(source)
            except ServiceError as error:
                result.failed[f"{rating_id} {source}"] = str(error)
    return result


# ----------------------------------------------------------------------------- reading


def history(deps: Deps, rating_id: str) -> list[AuditEvent]:
    expect("rating", rating_id, EXAMPLE)
    return trail(deps, rating_id)


def show(deps: Deps, rating_id: str) -> RatingState:
    """The rating as its audit rows fold: scores at each step, the gates, objections, veto events."""
    expect("rating", rating_id, EXAMPLE)
    state: RatingState = folded(deps, rating_id)
    return state


def rating_id(org_code: str, year: int) -> str:
    return rating_id_for(org_code, year)


def list_ratings(
    deps: Deps, *, year: int | None = None, region: str | None = None, stage: str | None = None, org_code: str | None = None
) -> list[RatingSummary]:
    """Rows of the rating ledger (of a year, a township, a stage, an organization)."""
    if stage is not None and stage not in {s.value for s in Stage}:
        raise Refused(f"--stage: {stage!r} is not one of {', '.join(s.value for s in Stage)}")
    return deps.reading(lambda engine: store.rating_summaries(engine, year=year, region=region, stage=stage, org_code=org_code))


def report(deps: Deps, year: int, *, region: str | None = None) -> RatingFigures:
    """评星定级情况: the distribution by level, new stars and lost stars (升星 / 降星 against last year's level
    and mid-year downgrades), 晋位升级 proposed and made, per township and for the county."""
    _year(year)
    rows = list_ratings(deps, year=year, region=region)
    if not rows:
        deps.reading(lambda engine: _known_region(Directory(engine), region))
    return rating_figures(year, rows, region)


__all__ = [
    "EXAMPLE", "AssessmentFile", "Opening", "approve", "assess", "gates", "history", "list_ratings",
    "object_to", "open_rating", "open_year", "rating_id", "report", "resolve", "return_rating", "review", "show", "sync", "veto",
]  # fmt: skip


def gates(state: RatingState, policy: Policy) -> Gate:
    """What the gates grant the rating now and what each higher level lacks (an explanation: the
    workflow decides with its own policy)."""
    from domain.decider import Context

    return current_gate(state, Context(now=datetime.now(UTC), policy=policy))


# ----------------------------------------------------------------------------- the console's reads (web/)
#
# What the web console shows of ratings, for one person: only the organizations in their scope (the rule
# cases follow, domain.permissions.may_see); a rating someone may not see is "not found", as if it did not
# exist. The console sends the organization's self-assessment and the township's review or return (web/pages.py).


@dataclass(frozen=True)
class ItemName:
    """An item of a star standard as people read it (its code when the policy no longer names it)."""

    code: str
    zh: str
    en: str
    points: float = 0  # full points of a point item
    veto: bool = False


def _item_name(code: str, item: RatingItem | None) -> ItemName:
    if item is None:
        return ItemName(code=code, zh=code, en=code)
    return ItemName(code=code, zh=item.zh, en=item.en or code, points=item.points, veto=item.veto)


def _names(policy: Policy, standard: str) -> dict[str, ItemName]:
    found = policy.rating.standard_named(standard)
    if found is None:  # a standard the policy in force no longer has: any standard naming the code
        names: dict[str, ItemName] = {}
        for s in policy.rating.standards:
            for item in s.items:
                names.setdefault(item.code, _item_name(item.code, item))
        return names
    return {item.code: _item_name(item.code, item) for item in found.items}


@dataclass(frozen=True)
class RatingLine:
    """A row of the rating ledger as the console lists it, with its veto items named."""

    row: RatingSummary
    vetoes: list[ItemName]


def list_ratings_for(
    deps: Deps,
    actor: Actor | None = None,
    *,
    year: int | None = None,
    region: str | None = None,
    stage: str | None = None,
    policy: Policy | None = None,
) -> list[RatingLine]:
    """The ratings ``actor`` (default: the caller) may see — organizations in their scope — of a year,
    township, stage; each with its veto items as the standard names them."""
    actor = actor or deps.caller.actor
    policy = policy or policies.effective(deps.settings.policy)
    rows = [r for r in list_ratings(deps, year=year, region=region, stage=stage) if may_see(actor, r.org_code, r.region)]
    lines = []
    for row in rows:
        names = _names(policy, row.standard)
        codes = json.loads(row.veto_items or "[]")
        lines.append(RatingLine(row=row, vetoes=[names.get(c) or _item_name(c, None) for c in codes]))
    return lines


@dataclass(frozen=True)
class ScoreLine:
    """One item of the standard: its points at self-assessment and at the township's review, with evidence."""

    item: ItemName
    own: ItemScore | None
    reviewed: ItemScore | None


@dataclass(frozen=True)
class RatingView:
    """A rating page: the state, each item's scores, what the gates grant now and why not higher, the
    veto items named, and the timeline (全程纪实)."""

    state: RatingState
    scores: list[ScoreLine]
    gate: Gate
    items: dict[str, ItemName]
    trail: list[TrailRow]


def _visible(deps: Deps, rating_id: str, actor: Actor) -> tuple[list[AuditEvent], RatingState]:
    """The rating's audit rows and state when ``actor`` may see it (its organization in their scope);
    ``NotFound`` otherwise, as when it does not exist."""
    expect("rating", rating_id, EXAMPLE)
    missing = f"unknown rating {rating_id}"
    rows = trail(deps, rating_id, missing)
    state: RatingState = queries.fold_stream(rows, DECIDER)
    if not may_see(actor, state.org_code, state.region):
        raise NotFound(missing, rating_id)
    return rows, state


def rating_view(deps: Deps, rating_id: str, actor: Actor | None = None, policy: Policy | None = None) -> RatingView:
    """The rating as ``actor`` (default: the caller) may see it; ``NotFound`` when they may not (or it
    does not exist)."""
    policy = policy or policies.effective(deps.settings.policy)
    rows, state = _visible(deps, rating_id, actor or deps.caller.actor)
    names = _names(policy, state.standard)
    own = {s.code: s for s in state.self_assessment.scores} if state.self_assessment else {}
    reviewed = {s.code: s for s in state.review.scores} if state.review else {}
    codes = [code for code, item in names.items() if not item.veto]
    codes += [code for code in [*own, *reviewed] if code not in codes]
    scores = [
        ScoreLine(item=names.get(code) or _item_name(code, None), own=own.get(code), reviewed=reviewed.get(code))
        for code in codes
        if code in own or code in reviewed or code in names
    ]
    return RatingView(state=state, scores=scores, gate=gates(state, policy), items=names, trail=[trail_row(row) for row in rows])


def evidence_file(deps: Deps, rating_id: str, sha256: str, actor: Actor | None = None) -> EvidenceFile:
    """An uploaded evidence file of a rating ``actor`` (default: the caller) may see — one of the files of
    its self-assessment's or its review's scores; ``NotFound`` otherwise (files are reached only through
    the rating, as a case's through the case)."""
    _rows, state = _visible(deps, rating_id, actor or deps.caller.actor)
    assessments = [a for a in (state.self_assessment, state.review) if a is not None]
    found = next((f for a in assessments for s in a.scores for f in s.files if f.sha256 == sha256), None)
    if found is None:
        raise NotFound(f"rating {rating_id} has no evidence file {sha256}", rating_id)
    return found


def keep_own(state: RatingState, code: str, files: list[EvidenceFile], note: str = "") -> dict[str, Any]:
    """A review's files for an item it does not correct, as the score the review sends for it: the
    organization's as submitted (points, evidence, files, note) with the township's ``files`` added — the
    item keeps the organization's points, as the items a review does not give do; ``note``, the
    township's, replaces the organization's. Checked when the review is built (``AssessmentFile``)."""
    own = next((s for s in state.self_assessment.scores if s.code == code), None) if state.self_assessment else None
    if own is None:
        raise Refused(f"scores: {code} has no self-assessed points to keep; give its points", code="invalid_command")
    score = own.model_dump(mode="json")
    have = {f.sha256 for f in own.files}
    score["files"] += [f.model_dump(mode="json") for f in files if f.sha256 not in have]
    score["note"] = note or own.note
    return score


__all__ += ["ItemName", "RatingLine", "RatingView", "ScoreLine", "evidence_file", "keep_own", "list_ratings_for", "rating_view"]


# ----------------------------------------------------------------------------- what the console offers (web/)
#
# The console sends the organization's self-assessment and the township's review or return (the commands
# above, as the signed-in person); approval stays with `pdca rating approve` (signed). What a page offers
# comes from the rating's own rules (domain.rating.authorize: roles, scope, stage, separation of duties);
# the workflow decides every command again.

def rating_actions(state: RatingState, actor: Actor) -> list[str]:
    """The commands ``actor`` may send the rating now, of those the console knows: ``SubmitSelfAssessment``
    (the organization, 待自评), ``ReviewRating`` and ``ReturnRating`` (the township, 乡镇审核),
    ``ReturnRating`` and ``ApproveRating`` (the county, 县级审定; approval is signed, in the CLI)."""
    from domain.errors import DomainError
    from domain.rating import authorize

    found: list[str] = []
    probes = (  # authorize reads the type and the actor only: not validated, never sent
        SubmitSelfAssessment.model_construct(actor=actor, scores=[]),
        ReviewRating.model_construct(actor=actor, comment=""),
        ReturnRating.model_construct(actor=actor, comment=""),
        ApproveRating.model_construct(actor=actor),
    )
    for probe in probes:
        try:
            authorize(state, probe)
        except DomainError:  # no role, no scope, not now, or who assessed / reviewed (separation of duties)
            continue
        found.append(probe.type)
    return found


@dataclass(frozen=True)
class RatingTask:
    """A rating waiting for ``actor``: its self-assessment (the organization) or its review (the township)."""

    kind: str  # SubmitSelfAssessment | ReviewRating
    row: RatingSummary


def rating_tasks(deps: Deps, actor: Actor | None = None) -> list[RatingTask]:
    """我的待办's ratings: self-assessments waiting for an organization in ``actor``'s scope (branch
    secretary, first secretary, committee member) and reviews waiting for a township secretary in scope
    (never a review of a self-assessment the same person submitted), the longest waiting first."""
    from domain.rating import ROLES_ALLOWED

    actor = actor or deps.caller.actor
    found: list[RatingTask] = []
    for kind, stage in (("SubmitSelfAssessment", Stage.SELF_ASSESSMENT), ("ReviewRating", Stage.TOWNSHIP_REVIEW)):
        if not actor.has_any(ROLES_ALLOWED[kind]):
            continue
        for row in list_ratings(deps, stage=stage.value):
            if not actor.may_act_on(row.org_code, row.region):
                continue
            if kind == "ReviewRating" and actor.has_any(ROLES_ALLOWED["SubmitSelfAssessment"]):
                # someone with both roles: the rule says whether this self-assessment is their own
                if kind not in rating_actions(show(deps, row.rating_id), actor):
                    continue
            found.append(RatingTask(kind=kind, row=row))
    return sorted(found, key=lambda task: task.row.last_event_at)


__all__ += ["RatingTask", "rating_actions", "rating_tasks"]
