"""The campaign's rules: which command is allowed when and by whom, and the events it yields (pure).

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError
"""

from __future__ import annotations

from domain import rectification
from domain.actors import Role
from domain.campaign.commands import (
    ApproveDesignation,
    CloseYear,
    Command,
    OpenCampaign,
    RecordCheck,
    RecordDesignationStep,
    RecordOutcomes,
    RecordStarts,
)
from domain.campaign.events import (
    CampaignOpened,
    CasesStarted,
    CheckRecorded,
    DesignationApproved,
    DesignationStepRecorded,
    Event,
    OutcomesRecorded,
    YearClosed,
)
from domain.campaign.figures import CampaignFigures, YearEndSummary
from domain.campaign.ids import campaign_id_for
from domain.campaign.state import CampaignStage, CampaignState, StartStatus
from domain.decider import Context, Proof
from domain.errors import DomainError, InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.permissions import require_role
from domain.policy.designation import STEP_ROLES
from domain.rectification import OpenCase, case_id_for

_SUPERVISORS = frozenset({Role.SUPERVISOR})
_SYSTEM = frozenset({Role.SYSTEM})
ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "OpenCampaign": _SUPERVISORS,
    "ApproveDesignation": _SUPERVISORS,
    "RecordStarts": _SYSTEM,
    "RecordCheck": _SUPERVISORS | _SYSTEM,
    "CloseYear": _SUPERVISORS | _SYSTEM,
    "RecordOutcomes": _SYSTEM,
    "RecordDesignationStep": STEP_ROLES,  # each step's policy roles narrow it
}
ALLOWED_STAGES: dict[str, frozenset[CampaignStage]] = {
    "OpenCampaign": frozenset({CampaignStage.NEW}),
    "ApproveDesignation": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "RecordStarts": frozenset({CampaignStage.RUNNING}),
    "RecordCheck": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "CloseYear": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
    "RecordOutcomes": frozenset({CampaignStage.CLOSED}),
    "RecordDesignationStep": frozenset({CampaignStage.OPEN, CampaignStage.RUNNING}),
}


def accepts(state: CampaignState, command_type: str) -> bool:
    """Whether the campaign's stage admits ``command_type`` now (the workflow asks before it reads the
    figures a check or a close needs)."""
    return state.stage in ALLOWED_STAGES[command_type]


def _authorize(state: CampaignState, command: Command) -> None:
    """The role the command needs, and the campaign's region in the actor's scope (county-wide: ``*``)."""
    actor = command.actor
    require_role(actor, ROLES_ALLOWED[command.type], command.type)
    region = command.region if isinstance(command, OpenCampaign) else state.region
    if region is None:
        if "*" not in actor.scope:
            raise PermissionDenied(f"{actor.id} may not act on a county-wide campaign (scope {','.join(actor.scope)})")
    elif not actor.may_act_on("", region):
        raise PermissionDenied(f"{actor.id} may not act on region {region}")


def decide(state: CampaignState, command: Command, ctx: Context) -> list[Event]:
    kind = command.type
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in campaign stage {state.stage.value}")
    _authorize(state, command)
    if isinstance(command, OpenCampaign):
        return [
            CampaignOpened(
                **ctx.stamp(command),
                campaign_id=campaign_id_for(command.region, command.year),
                region=command.region.strip() if command.region and command.region.strip() else None,
                year=command.year,
                steps=list(ctx.policy.designation.steps),
            )
        ]
    if isinstance(command, ApproveDesignation):
        return _approve(state, command, ctx)
    if isinstance(command, RecordDesignationStep):
        return _step(state, command, ctx)
    if isinstance(command, RecordStarts):
        return _starts(state, command, ctx)
    if isinstance(command, RecordCheck):
        if command.figures.same_as(state.last_check):
            return []
        return [CheckRecorded(**ctx.stamp(command), figures=command.figures)]
    if isinstance(command, CloseYear):
        return _close(state, command, ctx)
    if isinstance(command, RecordOutcomes):
        if state.outcomes_recorded:
            return []
        return [OutcomesRecorded(**ctx.stamp(command), organizations=command.organizations)]
    raise InvalidCommand(f"unknown campaign command {kind}")  # pragma: no cover


def _step(state: CampaignState, c: RecordDesignationStep, ctx: Context) -> list[Event]:
    """A step of the designation procedure: known to the policy, by one of its roles, after the steps
    before it (recording a step again amends it: the latest record counts)."""
    steps = ctx.policy.designation.steps
    codes = [s.code for s in steps]
    if c.step not in codes:
        known = ", ".join(f"{s.code} ({s.zh})" for s in steps) or "none: the policy has no designation.steps"
        raise InvalidCommand(f"step: unknown designation step {c.step!r}; known: {known}")
    index = codes.index(c.step)
    spec = steps[index]
    require_role(c.actor, frozenset(spec.roles), f"designation step {spec.code} ({spec.zh})")
    missing = [s for s in steps[:index] if s.code not in state.steps]
    if missing:
        raise NotAllowedInStage(
            f"step {spec.code} ({spec.zh}) comes after {', '.join(f'{s.code} ({s.zh})' for s in missing)}: record those first"
        )
    doubled = sorted({code for code in c.org_codes if c.org_codes.count(code) > 1})
    if doubled:
        raise InvalidCommand(f"org_codes: listed twice: {', '.join(doubled)}")
    return [
        DesignationStepRecorded(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            step=spec.code,
            name=spec.zh,
            index=index + 1,
            of=len(steps),
            note=c.note,
            org_codes=list(c.org_codes),
        )
    ]


def _steps_done(state: CampaignState, ctx: Context) -> list[str]:
    """The procedure's step codes, all recorded (else ``NotAllowedInStage`` naming the missing ones); the
    approval then may list only the organizations the last step names (when it names any)."""
    steps = ctx.policy.designation.steps
    missing = [s for s in steps if s.code not in state.steps]
    if missing:
        raise NotAllowedInStage(
            "the designation steps are not all recorded: "
            + ", ".join(f"{s.code} ({s.zh})" for s in missing)
            + " (`pdca campaign step`); cases open only after the last step"
        )
    return [s.code for s in steps]


def _approve(state: CampaignState, c: ApproveDesignation, ctx: Context) -> list[Event]:
    done = _steps_done(state, ctx)
    final = state.steps[done[-1]] if done else None
    if final is not None and final.org_codes:
        outside = [o.org_code for o in c.designees if o.org_code not in final.org_codes]
        if outside:
            raise InvalidCommand(
                f"designees not on the list of the last step {final.step} ({final.name}): {', '.join(outside[:20])}"
            )
    seen: set[str] = set()
    fresh: list[OpenCase] = []
    skipped: list[str] = []
    # Each case is opened on behalf of the approver, whoever a designee's body names (the workflow
    # verified the approver's credential, not anything inside the list).
    proof = Proof(credential=c.proof.credential) if c.proof is not None else None
    for named in c.designees:
        open_case = named.model_copy(update={"actor": c.actor, "proof": proof})
        if open_case.org_code in seen:
            raise InvalidCommand(f"organization {open_case.org_code} is listed twice in the designation")
        seen.add(open_case.org_code)
        if open_case.year != state.year:
            raise InvalidCommand(f"{open_case.org_code}: case year {open_case.year} is not the campaign year {state.year}")
        if state.region is not None and open_case.region != state.region:
            raise InvalidCommand(f"{open_case.org_code}: region {open_case.region} is not the campaign's region {state.region}")
        if case_id_for(open_case.org_code, state.year) in state.cases:
            skipped.append(open_case.org_code)
            continue
        # The case itself must be one the rectification rules accept (categories, roles, scope);
        # opening uses no calendar.
        try:
            rectification.decide(rectification.INITIAL_STATE, open_case, Context(now=ctx.now, policy=ctx.policy))
        except DomainError as error:
            raise type(error)(f"{open_case.org_code}: {error.message}") from None
        fresh.append(open_case)
    if not fresh:
        return []  # everything already approved: amending with nothing new changes nothing
    codes = {o.org_code for o in fresh}
    return [
        DesignationApproved(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            round=state.approvals + 1,
            designees=fresh,
            skipped=skipped,
            note=c.note,
            classes={k: v for k, v in c.classes.items() if k in codes},
            labels={k: v for k, v in c.labels.items() if k in codes},
            steps=done,
        )
    ]


def _starts(state: CampaignState, c: RecordStarts, ctx: Context) -> list[Event]:
    pending = {case_id_for(o.org_code, o.year) for o in state.pending}
    both = set(c.started) & set(c.existing)
    if both:
        raise InvalidCommand(f"cases reported both started and existing: {sorted(both)}")
    unknown = [cid for cid in [*c.started, *c.existing] if cid not in pending]
    if unknown:
        raise InvalidCommand(f"cases not pending a start: {unknown[:5]}")
    if not c.started and not c.existing:
        return []
    return [CasesStarted(**ctx.stamp(c), batch=state.batches + 1, started=list(c.started), existing=list(c.existing))]


def _close(state: CampaignState, c: CloseYear, ctx: Context) -> list[Event]:
    if state.pending:
        raise NotAllowedInStage(f"{len(state.pending)} approved cases are still being started; close the year after they run")
    figures = c.figures or state.last_check or CampaignFigures(as_of=ctx.now)
    summary = YearEndSummary(
        year=state.year,
        region=state.region,
        designated=len(state.cases),
        started=state.count(StartStatus.STARTED),
        existing=state.count(StartStatus.EXISTING),
        on_time_rate=figures.on_time_rate,
        carried_over=list(figures.carried_over_cases),
        upgraded=list(figures.upgraded_cases),
        org_upgrades=list(figures.org_upgrades),
        figures=figures,
    )
    return [YearClosed(**ctx.stamp(c), summary=summary, note=c.note)]
