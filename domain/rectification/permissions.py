"""Who may send which command to a case, and in which stages (separation of duties stays with the rules)."""

from __future__ import annotations

from datetime import datetime

from domain.actors import Actor, Role
from domain.errors import NotAllowedInStage
from domain.permissions import authorize as authorize_actor
from domain.permissions import may_see
from domain.policy import Policy
from domain.rectification.commands import Command, CompleteMeasure, OpenCase, ReportProgress
from domain.rectification.events import Measure
from domain.rectification.state import CaseState, SanctionProposal, Stage
from domain.rungs import ProposalStatus, Rung

_PLAN_AUTHORS = frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY, Role.TOWNSHIP_SECRETARY})
_PLAN_REVIEWERS = frozenset({Role.TOWNSHIP_SECRETARY, Role.SUPERVISOR})
_IMPLEMENTERS = frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY, Role.TOWNSHIP_SECRETARY})
_ACCEPTORS = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER})

ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "OpenCase": frozenset({Role.SUPERVISOR}),
    "SubmitPlan": _PLAN_AUTHORS,
    "ReturnPlan": _PLAN_REVIEWERS,
    "ApprovePlan": _PLAN_REVIEWERS,
    "ReportProgress": _IMPLEMENTERS,
    "CompleteMeasure": _IMPLEMENTERS,
    "SubmitSelfCheck": frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY}),
    "RecordAcceptance": _ACCEPTORS,
    "RecordFollowUp": _ACCEPTORS,
    "CloseCase": frozenset({Role.SUPERVISOR}),
    "RequestRelief": _IMPLEMENTERS,
    "RecordFindings": _ACCEPTORS,  # 督导组 / 县级领导: an inspection's findings into the case
    "Tick": frozenset({Role.SYSTEM}),
}
# Commands whose roles come from the policy (deadline_approvers, sanction_approvers).
_POLICY_ROLES = {
    "PauseMeasures": "deadline_approvers",
    "ResumeMeasures": "deadline_approvers",
    "ExtendDeadline": "deadline_approvers",
    "DecideSanction": "sanction_approvers",
    "RecordExecution": "sanction_approvers",  # who decides a sanction records how it was carried out
}
LIVE = frozenset({Stage.DESIGNATED, Stage.PLANNING, Stage.IMPLEMENTING, Stage.CHECKING, Stage.CONSOLIDATING})

ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "OpenCase": frozenset({Stage.NEW}),
    "SubmitPlan": frozenset({Stage.DESIGNATED, Stage.PLANNING, Stage.IMPLEMENTING}),  # implementing: a supplementary plan
    "ReturnPlan": frozenset({Stage.PLANNING, Stage.IMPLEMENTING}),
    "ApprovePlan": frozenset({Stage.PLANNING, Stage.IMPLEMENTING}),
    "ReportProgress": frozenset({Stage.IMPLEMENTING}),
    "CompleteMeasure": frozenset({Stage.IMPLEMENTING}),
    "SubmitSelfCheck": frozenset({Stage.IMPLEMENTING}),
    "RecordAcceptance": frozenset({Stage.CHECKING}),
    "RecordFollowUp": frozenset({Stage.CONSOLIDATING}),
    "CloseCase": frozenset({Stage.CONSOLIDATING}),
    "RequestRelief": frozenset({Stage.IMPLEMENTING}),
    "PauseMeasures": frozenset({Stage.IMPLEMENTING}),
    "ResumeMeasures": frozenset({Stage.IMPLEMENTING}),
    "ExtendDeadline": frozenset({Stage.IMPLEMENTING}),
    "DecideSanction": LIVE,
    "RecordExecution": LIVE,
    "RecordFindings": LIVE,
    "Tick": frozenset(Stage),
}


def roles_allowed(kind: str, policy: Policy) -> frozenset[Role]:
    if kind in _POLICY_ROLES:
        return frozenset(getattr(policy, _POLICY_ROLES[kind]))
    return ROLES_ALLOWED[kind]


def require_stage(state: CaseState, kind: str) -> None:
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")


def authorize(state: CaseState, command: Command, policy: Policy) -> None:
    """The actor holds a role allowed to send ``command`` and may act on the case's organization;
    a measure's responsible person may always report on it."""
    if isinstance(command, (ReportProgress, CompleteMeasure)):
        measure = state.measure(command.measure_id)
        if measure is not None and answers_for(measure, command.actor.id):
            return
    if isinstance(command, OpenCase):
        org_code, region = command.org_code, command.region
    else:
        org_code, region = state.org_code, state.region
    authorize_actor(command.actor, roles_allowed(command.type, policy), command.type, org_code, region)


def answers_for(measure: Measure, person: str) -> bool:
    """Is ``person`` the measure's responsible person or one of its partners (结对帮扶)? Either may report on it."""
    return measure.responsible == person or person in measure.partners


EXECUTABLE_RUNGS = frozenset({Rung.PERSONNEL_ADJUSTMENT, Rung.ADMONISHMENT_TALK})


def executable(state: CaseState) -> list[SanctionProposal]:
    """The approved 组织调整 / 诫勉谈话 proposals not yet carried out (RecordExecution names one)."""
    return [
        p
        for p in state.proposals
        if p.rung in EXECUTABLE_RUNGS and p.status == ProposalStatus.APPROVED and p.execution is None
    ]


def may_see_case(actor: Actor, state: CaseState) -> bool:
    """``domain.permissions.may_see`` for a case: its organization in the actor's scope, or a measure of
    theirs in it."""
    return may_see(actor, state.org_code, state.region, involved=any(answers_for(m, actor.id) for m in state.measures))


def available(state: CaseState, actor: Actor, policy: Policy, now: datetime) -> frozenset[str]:
    """The case-level commands ``actor`` could send now (stage, role, scope, separation of duties): what
    a console offers. The workflow still decides; this only keeps forms off pages that would be refused.
    Measure-level reports (ReportProgress, CompleteMeasure) are offered per measure (``may_report``)."""
    offered: set[str] = set()
    in_scope = actor.may_act_on(state.org_code, state.region)
    for kind, stages in ALLOWED_STAGES.items():
        if kind in {"OpenCase", "Tick", "ReportProgress", "CompleteMeasure"} or state.stage not in stages:
            continue
        if in_scope and actor.has_any(roles_allowed(kind, policy)):
            offered.add(kind)
    if state.plan_submitted_by == actor.id:
        offered -= {"ApprovePlan", "ReturnPlan"}
    if state.plan_status.value != "submitted":
        offered -= {"ApprovePlan", "ReturnPlan"}
    else:
        offered.discard("SubmitPlan")  # awaiting review: a new version comes after a return
    if actor.id in state.reporters:
        offered.discard("RecordAcceptance")
    if not state.pending_proposals():
        offered.discard("DecideSanction")
    if not executable(state):
        offered.discard("RecordExecution")
    if state.stage == Stage.IMPLEMENTING and state.plan_status.value != "submitted" and not state.unaddressed():
        offered.discard("SubmitPlan")  # the plan is approved: a supplementary plan only for problems found since
    if state.stage == Stage.IMPLEMENTING and state.unaddressed():
        offered.discard("SubmitSelfCheck")
    if state.stage == Stage.IMPLEMENTING and state.open_measures():
        offered.discard("SubmitSelfCheck")
    waiting = state.consolidation_until is not None and now < state.consolidation_until
    unexecuted = policy.close_requires_execution and executable(state)
    if state.pending_proposals() or unexecuted or state.follow_ups == 0 or waiting:
        offered.discard("CloseCase")
    return frozenset(offered)


def may_report(state: CaseState, actor: Actor, measure_id: str, policy: Policy) -> bool:
    """May ``actor`` report progress on or completion of this measure now (its responsible person, or an
    implementer in scope)?"""
    m = state.measure(measure_id)
    if m is None or m.done or state.stage != Stage.IMPLEMENTING:
        return False
    if answers_for(m, actor.id):
        return True
    return actor.may_act_on(state.org_code, state.region) and actor.has_any(roles_allowed("ReportProgress", policy))
