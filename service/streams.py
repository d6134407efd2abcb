"""Open, command and read audited streams (cases, projects, campaigns) through Temporal.

One function per thing a door asks — ``open_stream``, ``send``, ``read_state`` — for every kind, with
bounded waits. Nothing here decides: the workflow's validator runs the rules, and an opening the rules
refuse fails the workflow's first run, which ``open_stream`` reports as a refusal (the id can then be
used again: ``ALLOW_DUPLICATE_FAILED_ONLY``). Errors are ``service.errors``: a refusal carries the
rules' code; no answer in time is ``Unavailable`` and says to retry with the same request id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    RPCError,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from domain import campaign, project, rectification
from domain.decider import Decider
from domain.policy import Policy
from service.errors import NotFound, Refused, ServiceError, Unavailable
from store.eventlog import AuditLog
from workflows.audited import UPDATE_NAME
from workflows.campaign import CampaignInput, CampaignRequest, CampaignResult, CampaignWorkflow
from workflows.project import ProjectCommandRequest, ProjectCommandResult, ProjectInput, SecretaryProjectWorkflow
from workflows.rectification import CaseInput, CommandRequest, CommandResult, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes


@dataclass(frozen=True)
class StreamKind:
    """How the service starts and talks to one kind's workflow."""

    decider: Decider[Any, Any, Any]
    noun: str  # "case", "project", "campaign": in messages
    run: Callable[..., Any]  # the workflow's run method
    make_input: Callable[..., BaseModel]  # (stream_id, policy, opening, **extra) -> the workflow input
    request_model: type[BaseModel]
    result_model: type[BaseModel]
    id_for: Callable[[Any], str]  # the stream id an opening command names
    first_stage: str  # the stage an opened stream starts in (search attribute before the first publish)
    closed_message: str  # "… {id} is closed …": what a closed stream answers

    @property
    def state_model(self) -> type[BaseModel]:
        return type(self.decider.initial)


CASES = StreamKind(
    decider=rectification.DECIDER,
    noun="case",
    run=RectificationWorkflow.run,
    make_input=lambda stream_id, policy, opening: CaseInput(case_id=stream_id, policy=policy, open=opening),
    request_model=CommandRequest,
    result_model=CommandResult,
    id_for=lambda c: rectification.case_id_for(c.org_code, c.year),
    first_stage="designated",
    closed_message="case {id} is closed (已销号): it accepts no more commands",
)
PROJECTS = StreamKind(
    decider=project.DECIDER,
    noun="project",
    run=SecretaryProjectWorkflow.run,
    make_input=lambda stream_id, policy, opening: ProjectInput(project_id=stream_id, policy=policy, apply=opening),
    request_model=ProjectCommandRequest,
    result_model=ProjectCommandResult,
    id_for=lambda c: project.project_id_for(c.level, c.org_code, c.year),
    first_stage="reviewing",
    closed_message="project {id} is {stage}: it accepts no more commands",
)
CAMPAIGNS = StreamKind(
    decider=campaign.DECIDER,
    noun="campaign",
    run=CampaignWorkflow.run,
    make_input=lambda stream_id, policy, opening, settings=None: CampaignInput(
        campaign_id=stream_id, policy=policy, open=opening, **({"settings": settings} if settings else {})
    ),
    request_model=CampaignRequest,
    result_model=CampaignResult,
    id_for=lambda c: campaign.campaign_id_for(c.region, c.year),
    first_stage="open",
    closed_message="campaign {id} is closed (年度已总结): its year accepts no more commands",
)
KINDS = (CASES, PROJECTS, CAMPAIGNS)


def kind_of(stream_id: str) -> StreamKind:
    for kind in KINDS:
        if kind.decider.owns(stream_id):
            return kind
    prefixes = ", ".join(f"{k.decider.prefix}… ({k.noun})" for k in KINDS)
    raise Refused(f"{stream_id!r} is not a case, project or campaign id: they start with {prefixes}")


def _no_worker(stream_id: str, timeout: float, request_id: str | None = None) -> Unavailable:
    retry = f"; retry with --request-id {request_id} (it is applied at most once)" if request_id else ""
    return Unavailable(f"no worker answered for {stream_id} within {timeout:g}s: is the worker running (`pdca up`)?{retry}")


def _rpc_error(error: RPCError, stream_id: str, timeout: float, request_id: str | None = None) -> ServiceError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"unknown {kind_of(stream_id).noun} {stream_id}", stream_id)
    if "already completed" in error.message:
        return NotFound(f"{kind_of(stream_id).noun} {stream_id} has ended", stream_id)
    if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return _no_worker(stream_id, timeout, request_id)
    if error.status == RPCStatusCode.UNAVAILABLE:
        return Unavailable(f"cannot reach Temporal: is `pdca up` running? ({error.message})")
    return Unavailable(f"Temporal refused the request for {stream_id}: {error.message}")


async def open_stream(
    client: Client,
    opening: Any,
    policy: Policy,
    *,
    task_queue: str,
    timeout: float,
    if_running: str = "fail",
    **extra: Any,
) -> BaseModel:
    """Start the workflow of the stream ``opening`` names and wait (bounded) until a worker made the
    opening durable; its state then. ``if_running="use"`` takes a running workflow of that id as it is
    (a campaign approved again); ``"fail"`` refuses a second one."""
    kind = next(k for k in KINDS if isinstance(opening, _opening_types(k)))
    stream_id = kind.id_for(opening)
    org_code = getattr(opening, "org_code", "")
    region = getattr(opening, "region", None) or ""
    try:
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            kind.run,
            kind.make_input(stream_id, policy, opening, **extra),
            id=stream_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING if if_running == "use" else WorkflowIDConflictPolicy.FAIL,
            search_attributes=initial_search_attributes(kind.decider.name, kind.first_stage, org_code, region),
            rpc_timeout=timedelta(seconds=timeout),
        )
    except WorkflowAlreadyStartedError:
        if if_running == "use":
            raise Refused(kind.closed_message.format(id=stream_id, stage="closed")) from None
        raise Refused(f"{kind.noun} {stream_id} already exists: {_ONE_PER[kind.noun]}") from None
    except RPCError as error:
        raise _rpc_error(error, stream_id, timeout) from None
    return await _wait_until_opened(client, handle, kind, stream_id, timeout)


_ONE_PER = {
    "case": "one rectification case per organization and year",
    "project": "one project per level, organization and year",
    "campaign": "one campaign per region and year",
}


def _opening_types(kind: StreamKind) -> tuple[type, ...]:
    return {"case": (rectification.OpenCase,), "project": (project.ApplyProject,), "campaign": (campaign.OpenCampaign,)}[kind.noun]


async def _wait_until_opened(
    client: Client, handle: WorkflowHandle[Any, Any], kind: StreamKind, stream_id: str, timeout: float
) -> BaseModel:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise Unavailable(
                f"{kind.noun} {stream_id} was started but no worker opened it within {timeout:g}s: "
                "start the worker (`pdca up`); it will open it when it runs"
            )
        try:
            state = await handle.query("state", result_type=kind.state_model, rpc_timeout=timedelta(seconds=max(remaining, 1)))
        except RPCError as error:
            if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise _rpc_error(error, stream_id, timeout) from None
        else:
            if getattr(state, "version", 0) > 0:
                return state
            await _raise_if_refused(handle)
        await asyncio.sleep(0.2)


async def _raise_if_refused(handle: WorkflowHandle[Any, Any]) -> None:
    """An opening the rules refused fails the workflow's first run: say why, with the rules' code."""
    description = await handle.describe()
    if description.status is None or description.status.name == "RUNNING":
        return
    try:
        await handle.result()
    except WorkflowFailureError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message, code=cause.type) from None
        raise Refused(f"the workflow failed: {cause}") from None


async def send(client: Client, stream_id: str, command: Any, *, request_id: str, timeout: float) -> Any:
    """Send one command as the ``command`` Update, the request id as the Update id, so a retry is
    applied at most once. Returns the kind's result model."""
    kind = kind_of(stream_id)
    handle = client.get_workflow_handle(stream_id)
    request = kind.request_model(request_id=request_id, command=command)
    try:
        return await handle.execute_update(
            UPDATE_NAME, request, id=request_id, result_type=kind.result_model, rpc_timeout=timedelta(seconds=timeout)
        )
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message, code=cause.type) from None
        raise Refused(f"command refused: {cause}") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise _no_worker(stream_id, timeout, request_id) from None
    except RPCError as error:
        raise _rpc_error(error, stream_id, timeout, request_id) from None


async def read_state(client: Client, stream_id: str, *, timeout: float) -> BaseModel:
    """The live state of a running stream, from its workflow."""
    kind = kind_of(stream_id)
    try:
        state: BaseModel = await client.get_workflow_handle(stream_id).query(
            "state", result_type=kind.state_model, rpc_timeout=timedelta(seconds=timeout)
        )
        return state
    except RPCError as error:
        raise _rpc_error(error, stream_id, timeout) from None


def explain_missing(error: NotFound, audit_log: AuditLog, address: str) -> ServiceError:
    """Temporal does not know the stream (or it has ended); the audit log may — the dev server keeps
    closed workflows 24 h, or the client points at another cluster or namespace. Say which."""
    kind = kind_of(error.stream_id)
    rows = audit_log.read_stream(error.stream_id)
    if not rows:
        return NotFound(f"unknown {kind.noun} {error.stream_id}", error.stream_id)
    state = kind.decider.fold(kind.decider.events.validate_json(row.payload) for row in rows)
    if kind.decider.is_terminal(state):
        return Refused(kind.closed_message.format(id=error.stream_id, stage=state.stage.value))
    return Refused(
        f"{kind.noun} {error.stream_id} is in the audit log (stage {state.stage.value}) but Temporal at {address} "
        "does not know it: check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE"
    )
