"""Secretary projects (书记项目、委员项目、支部项目): one function per thing a door asks.

Changing a project (async; each returns ``service.commands.Done``): ``apply``, ``revise``,
``return_application``, ``approve``, ``reject``, ``record_progress``, ``complete_milestone``,
``submit_report``, ``evaluate``, ``promote``, ``close``, ``decide_sanction``. Reading (sync, from the
audit log and the project ledger): ``show``, ``list_projects`` (every row), ``list_page`` (one page and
the total), ``by_level`` (a year's figures and first rows level by level: ``pdca campaign projects``),
``history``.

``ApplicationFile`` is the shape of an application (the apply file): who and which year, then the
application itself; ``opening`` and ``application_of`` turn it into the commands.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from domain.actors import Actor
from domain.limits import MAX_NAME
from domain.policy import Policy
from domain.project import (
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    CompleteMilestone,
    EvaluateProject,
    Level,
    ProjectState,
    PromoteProject,
    Rating,
    RecordProgress,
    RejectApplication,
    ReturnApplication,
    ReviseApplication,
    SubmitQuarterlyReport,
)
from domain.proposals import DecideSanction
from domain.rungs import SanctionDecision
from service.bootstrap import Deps
from service.commands import Done, command, expect, folded, open_stream, send, trail
from service.paging import MAX_PAGE_SIZE, PAGE_SIZE
from service.project_reads import ProjectList, by_level, list_page
from store import queries
from store.models import AuditEvent
from store.project_models import ProjectSummary

EXAMPLE = "proj-secretary-V001-2027"
__all__ = [
    "EXAMPLE", "MAX_PAGE_SIZE", "PAGE_SIZE", "ApplicationFile", "ProjectList", "ProjectSummary", "application_of", "apply",
    "approve", "by_level", "close", "complete_milestone", "decide_sanction", "evaluate", "history", "list_page",
    "list_projects", "opening", "promote", "record_progress", "reject", "return_application", "revise", "show",
    "submit_report",
]  # fmt: skip


class ApplicationFile(ApplicationInput):
    """The apply file: who and which year, then the application (title, problem, goals, measures,
    milestones, deadline). ``pdca project revise`` takes the same file (the header keys are ignored)."""

    model_config = ConfigDict(extra="forbid")
    level: Level
    org_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: str = Field(min_length=1, max_length=MAX_NAME)
    region: str = Field(min_length=1, max_length=MAX_NAME)
    year: int = Field(ge=2000, le=2100)


_HEADER = ("level", "org_code", "org_name", "region", "year")


def application_of(file: ApplicationFile) -> ApplicationInput:
    return ApplicationInput(**file.model_dump(exclude=set(_HEADER)))


def opening(file: ApplicationFile, actor: Actor) -> ApplyProject:
    """The ApplyProject an apply file asks for, the acting secretary as its owner."""
    return ApplyProject(
        actor=actor,
        level=file.level,
        org_code=file.org_code,
        org_name=file.org_name,
        region=file.region,
        year=file.year,
        application=application_of(file),
    )


async def _send(deps: Deps, project_id: str, cmd: object, request_id: str | None) -> Done:
    expect("project", project_id, EXAMPLE)
    return await send(deps, project_id, cmd, request_id)


# ----------------------------------------------------------------------------- changing a project


async def apply(deps: Deps, application: ApplyProject, policy: Policy) -> Done:
    """立项申请: start the project's workflow. One 书记项目 per organization and year; 委员项目 and 支部项目
    one per leading person (the applicant), organization and year: ``proj-committee_member-V001-2027-wy-01``."""
    return await open_stream(deps, application, policy)


async def revise(deps: Deps, project_id: str, actor: Actor, file: ApplicationFile, note: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(ReviseApplication, actor=actor, application=application_of(file), note=note), request_id)


async def return_application(deps: Deps, project_id: str, actor: Actor, comments: str, request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(ReturnApplication, actor=actor, comments=comments), request_id)


async def approve(deps: Deps, project_id: str, actor: Actor, comments: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(ApproveApplication, actor=actor, comments=comments), request_id)


async def reject(deps: Deps, project_id: str, actor: Actor, comments: str, request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(RejectApplication, actor=actor, comments=comments), request_id)


async def record_progress(
    deps: Deps, project_id: str, actor: Actor, note: str, milestone_id: str | None, evidence: list[str], request_id: str | None = None
) -> Done:
    cmd = command(RecordProgress, actor=actor, note=note, milestone_id=milestone_id, evidence=evidence)
    return await _send(deps, project_id, cmd, request_id)


async def complete_milestone(
    deps: Deps, project_id: str, actor: Actor, milestone_id: str, note: str, evidence: list[str], request_id: str | None = None
) -> Done:
    cmd = command(CompleteMilestone, actor=actor, milestone_id=milestone_id, note=note, evidence=evidence)
    return await _send(deps, project_id, cmd, request_id)


async def submit_report(deps: Deps, project_id: str, actor: Actor, quarter: int, note: str, request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(SubmitQuarterlyReport, actor=actor, quarter=quarter, note=note), request_id)


async def evaluate(
    deps: Deps, project_id: str, actor: Actor, rating: Rating, satisfaction: float, comments: str = "", request_id: str | None = None
) -> Done:
    cmd = command(EvaluateProject, actor=actor, rating=rating, satisfaction=satisfaction, comments=comments)
    return await _send(deps, project_id, cmd, request_id)


async def promote(deps: Deps, project_id: str, actor: Actor, note: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(PromoteProject, actor=actor, note=note), request_id)


async def close(deps: Deps, project_id: str, actor: Actor, note: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, project_id, command(CloseProject, actor=actor, note=note), request_id)


async def decide_sanction(
    deps: Deps,
    project_id: str,
    actor: Actor,
    decision: SanctionDecision,
    proposal_id: str | None = None,
    comment: str = "",
    request_id: str | None = None,
) -> Done:
    cmd = command(DecideSanction, actor=actor, proposal_id=proposal_id, decision=decision, comment=comment)
    return await _send(deps, project_id, cmd, request_id)


# ----------------------------------------------------------------------------- reading


def history(deps: Deps, project_id: str) -> list[AuditEvent]:
    """The project's audit rows in version order (全程纪实)."""
    expect("project", project_id, EXAMPLE)
    return trail(deps, project_id)


def show(deps: Deps, project_id: str) -> ProjectState:
    """The project as its audit rows fold: application, reviews, milestones, reports, evaluation, sanctions."""
    expect("project", project_id, EXAMPLE)
    state: ProjectState = folded(deps, project_id)
    return state


def list_projects(
    deps: Deps, *, year: int | None = None, region: str | None = None, level: str | None = None, stage: str | None = None
) -> list[ProjectSummary]:
    """Rows of the project ledger, filtered (every matching row: ``list_page`` for one page)."""
    return deps.reading(lambda engine: queries.project_summaries(engine, year=year, region=region, level=level, stage=stage))
