"""Who may send which command to a case, and in which stages (separation of duties stays with the rules)."""

from __future__ import annotations

from domain.actors import Role
from domain.errors import NotAllowedInStage
from domain.permissions import authorize as authorize_actor
from domain.policy import Policy
from domain.rectification.commands import Command, CompleteMeasure, OpenCase, ReportProgress
from domain.rectification.state import CaseState, Stage

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
    "Tick": frozenset({Role.SYSTEM}),
}
# Commands whose roles come from the policy (deadline_approvers, sanction_approvers).
_POLICY_ROLES = {
    "PauseMeasures": "deadline_approvers",
    "ResumeMeasures": "deadline_approvers",
    "ExtendDeadline": "deadline_approvers",
    "DecideSanction": "sanction_approvers",
}
LIVE = frozenset({Stage.DESIGNATED, Stage.PLANNING, Stage.IMPLEMENTING, Stage.CHECKING, Stage.CONSOLIDATING})

ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "OpenCase": frozenset({Stage.NEW}),
    "SubmitPlan": frozenset({Stage.DESIGNATED, Stage.PLANNING}),
    "ReturnPlan": frozenset({Stage.PLANNING}),
    "ApprovePlan": frozenset({Stage.PLANNING}),
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
        if measure is not None and measure.responsible == command.actor.id:
            return
    if isinstance(command, OpenCase):
        org_code, region = command.org_code, command.region
    else:
        org_code, region = state.org_code, state.region
    authorize_actor(command.actor, roles_allowed(command.type, policy), command.type, org_code, region)
