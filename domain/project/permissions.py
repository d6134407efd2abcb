"""Who may do what to a secretary project, and when: stages, roles, scope, separation of duties.

Owner ≠ reviewer ≠ evaluator: the owner (the applying secretary) decides nothing about the project,
and whoever reviewed the application does not evaluate the result."""

from __future__ import annotations

from domain import permissions
from domain.actors import Role
from domain.errors import NotAllowedInStage, PermissionDenied, SeparationOfDuties
from domain.policy import Policy
from domain.project.commands import ApplyProject, Command
from domain.project.state import LIVE, ProjectState, Stage

_REVIEW = frozenset({Stage.REVIEWING})
_IMPLEMENTING = frozenset({Stage.IMPLEMENTING})
_EVALUATED = frozenset({Stage.EVALUATED})
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "ApplyProject": frozenset({Stage.NEW}),
    "ReviseApplication": _REVIEW,
    "ReturnApplication": _REVIEW,
    "ApproveApplication": _REVIEW,
    "RejectApplication": _REVIEW,
    "RecordProgress": _IMPLEMENTING,
    "CompleteMilestone": _IMPLEMENTING,
    "SubmitQuarterlyReport": _IMPLEMENTING,
    "EvaluateProject": _IMPLEMENTING,
    "PromoteProject": _EVALUATED,
    "CloseProject": _EVALUATED,
    "DecideSanction": LIVE,
    "Tick": frozenset(Stage),
}
# Which list of the policy's ``projects`` section names the roles each command needs.
_PROJECT_ROLES: dict[str, str] = {
    "ApplyProject": "applicant_roles",
    "ReviseApplication": "applicant_roles",
    "RecordProgress": "applicant_roles",
    "CompleteMilestone": "applicant_roles",
    "SubmitQuarterlyReport": "applicant_roles",
    "ReturnApplication": "reviewer_roles",
    "ApproveApplication": "reviewer_roles",
    "RejectApplication": "reviewer_roles",
    "EvaluateProject": "evaluator_roles",
    "PromoteProject": "closer_roles",
    "CloseProject": "closer_roles",
}
# What a committee member may do only on the project they lead, as the refusal says it.
_OWN_WORK = {"RecordProgress": "record progress on", "CompleteMilestone": "complete milestones of", "SubmitQuarterlyReport": "report on"}
# What the owner may not do to their own project, as the refusal says it.
_NOT_BY_OWNER = {
    "ReturnApplication": "review",
    "ApproveApplication": "review",
    "RejectApplication": "review",
    "EvaluateProject": "evaluate",
    "PromoteProject": "promote",
    "CloseProject": "close",
    "DecideSanction": "decide a sanction on",
}


def roles_allowed(kind: str, policy: Policy) -> frozenset[Role]:
    """The roles that may send a ``kind`` command (``DecideSanction``: the policy's sanction approvers,
    shared with rectification; ``Tick``: the system alone)."""
    if kind == "Tick":
        return frozenset({Role.SYSTEM})
    if kind == "DecideSanction":
        return frozenset(policy.sanction_approvers)
    return frozenset(getattr(policy.projects, _PROJECT_ROLES[kind]))


def require_stage(state: ProjectState, kind: str) -> None:
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")


def authorize(state: ProjectState, command: Command, policy: Policy) -> None:
    """Role, organization scope, then separation of duties; a PermissionDenied or SeparationOfDuties."""
    kind, actor = command.type, command.actor
    if isinstance(command, ApplyProject):
        org_code, region = command.org_code, command.region
    else:
        org_code, region = state.org_code, state.region
    permissions.authorize(actor, roles_allowed(kind, policy), kind, org_code, region)
    if isinstance(command, ApplyProject) and command.per_person:
        # only for openings since project-per-person-v1: an older opening is decided again on every replay
        # of its run and must not meet a rule it was not recorded under
        _may_lead(command, policy)
    if kind in _OWN_WORK and actor.id != state.owner and not actor.has_any(roles_allowed(kind, policy) - {Role.COMMITTEE_MEMBER}):
        # a committee member works on their own project; the secretaries of the organization on any of its projects
        raise PermissionDenied(f"{actor.id} is a committee member and may {_OWN_WORK[kind]} only their own project, not {state.owner}'s")
    if kind == "ReviseApplication" and actor.id != state.owner:
        raise SeparationOfDuties(f"only the project owner {state.owner} may revise the application")
    if kind in _NOT_BY_OWNER and actor.id == state.owner:
        raise SeparationOfDuties(f"{actor.id} owns this project and cannot {_NOT_BY_OWNER[kind]} it")
    if kind == "EvaluateProject" and actor.id in state.reviewers:
        raise SeparationOfDuties(f"{actor.id} reviewed the application and cannot evaluate the project")


def _may_lead(command: ApplyProject, policy: Policy) -> None:
    """The applicant leads the project: the policy's ``level_roles`` say who may lead each level (the
    书记项目 is the secretary's; a committee member leads a 委员项目 or 支部项目, not the 书记项目)."""
    level = command.level.value
    allowed = policy.projects.level_roles.get(level)  # type: ignore[call-overload]
    if allowed is not None and not command.actor.has_any(frozenset(allowed)):
        raise PermissionDenied(
            f"{command.actor.id} may not lead a {level} project: the policy's projects.level_roles.{level} are "
            f"{', '.join(sorted(allowed)) or 'none'}"
        )
