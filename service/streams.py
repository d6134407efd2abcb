"""Open, command and read audited streams (cases, projects, campaigns) through Temporal.

One function per thing a door asks — ``open_stream``, ``send``, ``read_state`` — for every kind, with
bounded waits, each taking the ``Deps`` (service/bootstrap.py). Nothing here decides: the workflow's
validator runs the rules, and an opening the rules refuse fails the workflow's first run, which
``open_stream`` reports as a refusal (the id can then be used again: ``ALLOW_DUPLICATE_FAILED_ONLY``;
a stream the audit log already holds is refused before anything starts). Errors are ``service.errors``:
a refusal carries the rules' code; no answer in time is ``Unavailable`` and says to retry with the same
request id.

Two helpers every module that talks to Temporal uses:

    map_rpc_error(error, id, timeout, request_id=None)   -> the ServiceError for an RPCError or a failed query
    await update(client, id, name, payload, result_type, timeout, request_id=None)   -> an Update's answer
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.api.enums.v1 import PendingWorkflowTaskState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCError,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from domain import campaign, inspection, people, project, rating, rectification
from domain.decider import Decider
from domain.identity import PersonalSignature
from domain.limits import capped
from domain.policy import Policy
from service.bootstrap import Deps
from service.errors import Closed, InvalidField, NotFound, Refused, ServiceError, Unavailable
from store import queries
from store.eventlog import AuditLog
from workflows.audited import KEYS_REFRESH_INTERVAL, REFRESH_KEYS, UPDATE_NAME, Request
from workflows.campaign import CampaignInput, CampaignResult, CampaignWorkflow
from workflows.directory import DirectoryInput, DirectoryResult, DirectoryWorkflow
from workflows.inspection import InspectionCommandResult, InspectionInput, InspectionWorkflow
from workflows.project import ProjectCommandResult, ProjectInput, SecretaryProjectWorkflow
from workflows.rating import RatingCommandResult, RatingInput, RatingWorkflow
from workflows.rectification import CaseInput, CommandResult, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes

T = TypeVar("T")


@dataclass(frozen=True)
class StreamKind:
    """How the service starts and talks to one kind's workflow."""

    decider: Decider[Any, Any, Any]
    noun: str  # "case", "project", "campaign": in messages
    opening: type[BaseModel]  # the command that opens a stream of this kind (in the workflow input)
    run: Callable[..., Any]  # the workflow's run method
    make_input: Callable[..., BaseModel]  # (stream_id, policy, opening, credential, **extra) -> the workflow input
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
    opening=rectification.OpenCase,
    run=RectificationWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential: CaseInput(
        case_id=stream_id, policy=policy, open=opening, credential=credential
    ),
    result_model=CommandResult,
    id_for=lambda c: rectification.case_id_for(c.org_code, c.year),
    first_stage="designated",
    closed_message="case {id} is closed (已销号): it accepts no more commands",
)
PROJECTS = StreamKind(
    decider=project.DECIDER,
    noun="project",
    opening=project.ApplyProject,
    run=SecretaryProjectWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential: ProjectInput(
        project_id=stream_id, policy=policy, apply=opening, credential=credential
    ),
    result_model=ProjectCommandResult,
    id_for=lambda c: project.project_id_for(c.level, c.org_code, c.year, c.actor.id),  # 委员/支部项目: one per person
    first_stage="reviewing",
    closed_message="project {id} is {stage}: it accepts no more commands",
)
CAMPAIGNS = StreamKind(
    decider=campaign.DECIDER,
    noun="campaign",
    opening=campaign.OpenCampaign,
    run=CampaignWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential, settings=None: CampaignInput(
        campaign_id=stream_id, policy=policy, open=opening, credential=credential, **({"settings": settings} if settings else {})
    ),
    result_model=CampaignResult,
    id_for=lambda c: campaign.campaign_id_for(c.region, c.year),
    first_stage="open",
    closed_message="campaign {id} is closed (年度已总结): its year accepts no more commands",
)
DIRECTORY = StreamKind(
    decider=people.DECIDER,
    noun="directory",
    opening=people.OpenDirectory,
    run=DirectoryWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential: DirectoryInput(
        directory_id=stream_id, policy=policy, open=opening, credential=credential
    ),
    result_model=DirectoryResult,
    id_for=lambda c: people.DIRECTORY_ID,
    first_stage="open",
    closed_message="the people directory {id} is closed",
)
INSPECTIONS = StreamKind(
    decider=inspection.DECIDER,
    noun="inspection",
    opening=inspection.RecordInspection,
    run=InspectionWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential: InspectionInput(
        inspection_id=stream_id, policy=policy, record=opening, credential=credential
    ),
    result_model=InspectionCommandResult,
    id_for=lambda c: inspection.inspection_id_for(c.year, c.number),
    first_stage="open",
    closed_message="inspection {id} is closed (已办结): it accepts no more commands",
)
RATINGS = StreamKind(
    decider=rating.DECIDER,
    noun="rating",
    opening=rating.OpenRating,
    run=RatingWorkflow.run,
    make_input=lambda stream_id, policy, opening, credential: RatingInput(
        rating_id=stream_id, policy=policy, open=opening, credential=credential
    ),
    result_model=RatingCommandResult,
    id_for=lambda c: rating.rating_id_for(c.org_code, c.year),
    first_stage="self_assessment",
    closed_message="rating {id} is archived (已归档): it accepts no more commands",
)
KINDS = (CASES, PROJECTS, CAMPAIGNS, DIRECTORY, INSPECTIONS, RATINGS)


def kind_of(stream_id: str) -> StreamKind:
    for kind in KINDS:
        if kind.decider.owns(stream_id):
            return kind
    prefixes = ", ".join(f"{k.decider.prefix}… ({k.noun})" for k in KINDS)
    raise Refused(f"{stream_id!r} is not a case, project or campaign id: they start with {prefixes}")


def kind_opened_by(opening: Any) -> StreamKind:
    """The kind whose streams ``opening`` opens (OpenCase, ApplyProject, OpenCampaign)."""
    return next(k for k in KINDS if isinstance(opening, k.opening))


def _noun(target: str) -> str:
    """What ``target`` is, for messages: a stream's kind, else a schedule."""
    return next((k.noun for k in KINDS if k.decider.owns(target)), "schedule")


# ----------------------------------------------------------------------------- errors


def _no_worker(stream_id: str, timeout: float, request_id: str | None = None) -> Unavailable:
    retry = f"; retry with --request-id {request_id} (it is applied at most once)" if request_id else ""
    return Unavailable(f"no worker answered for {stream_id} within {timeout:g}s: is the worker running (`pdca up`)?{retry}")


def map_rpc_error(
    error: RPCError | WorkflowQueryFailedError, stream_or_schedule_id: str, timeout: float, request_id: str | None = None
) -> ServiceError:
    """The service error for a Temporal call about a stream or a schedule that failed: unknown id or
    ended workflow ``NotFound``; no answer in ``timeout`` seconds, an unreachable server, a query the
    workflow could not answer, anything else Temporal refused ``Unavailable`` (with the request id to
    retry under, when there is one)."""
    target = stream_or_schedule_id
    noun = _noun(target)
    if isinstance(error, WorkflowQueryFailedError):
        return Unavailable(f"the {noun} {target} could not answer ({error.message}): see the worker's log")
    if error.status == RPCStatusCode.NOT_FOUND:
        if noun == "schedule":
            return NotFound(f"no schedule {target!r}; see `pdca schedule list`", target)
        return NotFound(f"unknown {noun} {target}", target)
    if "already completed" in error.message:
        return NotFound(f"{noun} {target} has ended", target)
    if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        if noun == "schedule":
            return Unavailable(f"Temporal did not answer for schedule {target} within {timeout:g}s: is `pdca up` running?")
        return _no_worker(target, timeout, request_id)
    if error.status == RPCStatusCode.UNAVAILABLE:
        return Unavailable(f"cannot reach Temporal: is `pdca up` running? ({error.message})")
    return Unavailable(f"Temporal refused the request for {target}: {error.message}")


# ----------------------------------------------------------------------------- opening a stream


@dataclass(frozen=True)
class Opened:
    """A stream whose opening is durable: its id, its state then, the event types the opening appended
    (none when ``if_running="use"`` found it running)."""

    stream_id: str
    state: Any
    events: list[str] = field(default_factory=list)


_ONE_PER = {
    "case": "one rectification case per organization and year",
    "project": "one 书记项目 per organization and year, one 委员项目 / 支部项目 per person, organization and year",
    "campaign": "one campaign per region and year",
    "directory": "one people directory",
    "inspection": "one inspection per year and number",
    "rating": "one star rating per organization and year",
}


def _with_directory_supervisors(deps: Deps, policy: Policy, org_code: str, region: str) -> Policy:
    """A policy that names no ``supervisors`` (a fresh `pdca up`, no policy file) gets the directory's people
    with the cadence's recipient roles (default: supervisors) in the stream's scope, so its escalations,
    proposals and the end of consolidation reach someone; a policy that names them is kept as it is."""
    if policy.supervisors:
        return policy
    from domain.cadence import supervisors_in_scope
    from service.signin import read_directory

    people = read_directory(deps).people.values()
    found = supervisors_in_scope(people, policy.cadence.recipient_roles, org_code or None, region or None)
    return policy.model_copy(update={"supervisors": found}) if found else policy


async def open_stream(deps: Deps, opening: Any, policy: Policy, *, if_running: str = "fail", **extra: Any) -> Opened:
    """Start the workflow of the stream ``opening`` names and wait (bounded) until a worker made the
    opening durable. ``if_running="use"`` takes a running workflow of that id as it is (a campaign
    approved again); ``"fail"`` refuses a second one, and a stream the audit log already holds (a
    workflow Temporal no longer runs: terminated, or forgotten) before anything starts."""
    kind = kind_opened_by(opening)
    _within_caps(opening)
    stream_id = kind.id_for(opening)
    if if_running == "fail" and deps.reading(lambda engine: queries.read_stream(engine, stream_id)):
        raise Refused(f"{kind.noun} {stream_id} already exists: {_ONE_PER[kind.noun]}")
    client = await deps.client()
    org_code = getattr(opening, "org_code", "")
    region = getattr(opening, "region", None) or ""
    policy = _with_directory_supervisors(deps, policy, org_code, region)
    try:
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            kind.run,
            kind.make_input(stream_id, policy, opening, deps.caller.credential, **extra),
            id=stream_id,
            task_queue=deps.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING if if_running == "use" else WorkflowIDConflictPolicy.FAIL,
            search_attributes=initial_search_attributes(kind.decider.name, kind.first_stage, org_code, region),
            rpc_timeout=timedelta(seconds=deps.timeout),
        )
    except WorkflowAlreadyStartedError:
        if if_running == "use":
            raise Closed(kind.closed_message.format(id=stream_id, stage="closed")) from None
        raise Refused(f"{kind.noun} {stream_id} already exists: {_ONE_PER[kind.noun]}") from None
    except RPCError as error:
        raise map_rpc_error(error, stream_id, deps.timeout) from None
    return await _wait_until_opened(handle, kind, stream_id, deps.timeout)


def _within_caps(opening: BaseModel) -> None:
    """An opening is new input whichever door built it (a file, an HTTP body, a campaign's approval):
    held to the size caps (domain.limits) before it starts a workflow, which reads its input uncapped."""
    with capped():
        try:
            type(opening).model_validate(opening.model_dump(mode="json"))
        except ValidationError as error:
            first = error.errors()[0]
            raise InvalidField(".".join(str(p) for p in first["loc"]), first["msg"]) from None


async def _wait_until_opened(handle: WorkflowHandle[Any, Any], kind: StreamKind, stream_id: str, timeout: float) -> Opened:
    """Poll the workflow's ``opening`` query until the opening is durable (appended to the audit log);
    a first run that failed is the rules' refusal (``_raise_if_refused``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            zh, en = await _waiting_for(handle)
            raise Unavailable(
                f"{_NOUN_ZH.get(kind.noun, kind.noun)} {stream_id} 已启动，但未在 {timeout:g} 秒内开立：{zh}；稍后仍会完成 / "
                f"{kind.noun} {stream_id} was started but not opened within {timeout:g}s: {en}; a worker will open it later"
            )
        wait = timedelta(seconds=max(remaining, 1))
        try:
            opening: dict[str, Any] = await handle.query("opening", rpc_timeout=wait)
        except RPCError as error:
            if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise map_rpc_error(error, stream_id, timeout) from None
        except WorkflowQueryFailedError as error:
            await _raise_if_refused(handle, stream_id, timeout)
            raise map_rpc_error(error, stream_id, timeout) from None
        else:
            if opening.get("durable"):
                state = await _ask(handle, "state", kind.state_model, stream_id, timeout)
                return Opened(stream_id, state, [str(t) for t in opening.get("events", [])])
            await _raise_if_refused(handle, stream_id, timeout)
        await asyncio.sleep(0.2)


async def _raise_if_refused(handle: WorkflowHandle[Any, Any], stream_id: str, timeout: float) -> None:
    """An opening the rules refused fails the workflow's first run: say why, with the rules' code."""
    rpc_timeout = timedelta(seconds=timeout)
    try:
        description = await handle.describe(rpc_timeout=rpc_timeout)
        if description.status is None or description.status.name == "RUNNING":
            return
        await handle.result(rpc_timeout=rpc_timeout)
    except WorkflowFailureError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message, code=cause.type) from None
        raise Refused(f"the workflow failed: {cause}") from None
    except RPCError as error:
        raise map_rpc_error(error, stream_id, timeout) from None


# ----------------------------------------------------------------------------- commands and queries


async def update(
    client: Client,
    id: str,
    name: str,
    payload: Any,
    result_type: type[T],
    timeout: float,
    request_id: str | None = None,
) -> T:
    """Execute the Update ``name`` of workflow ``id`` with ``payload`` (None: no argument), ``request_id``
    as the Update id (a retry is applied at most once). The rules' refusal is ``Refused`` with their
    code; no answer in ``timeout`` seconds ``Unavailable``; other failures ``map_rpc_error``'s."""
    handle = client.get_workflow_handle(id)
    args = [] if payload is None else [payload]
    try:
        # The SDK's rpc_timeout bounds each poll, not the wait: the server answers a long poll with "not
        # yet" and the SDK polls again, so without this bound a command waited as long as the worker took
        # (44–59 s with the audit database locked and --timeout 30).
        async with asyncio.timeout(timeout):
            result: T = await handle.execute_update(
                name, args=args, id=request_id, result_type=result_type, rpc_timeout=timedelta(seconds=timeout)
            )
        return result
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message, code=cause.type) from None
        raise Refused(f"command refused: {cause}") from None
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        raise await slow_answer(handle, id, timeout, request_id) from None
    except RPCError as error:
        raise map_rpc_error(error, id, timeout, request_id) from None


_NOUN_ZH = {"case": "案件", "project": "项目", "campaign": "年度工作", "directory": "人员名录", "inspection": "检查", "rating": "评星"}
_DIAGNOSE_TIMEOUT = 5.0  # seconds to ask Temporal what the stream is waiting for, once the command gave up


async def slow_answer(handle: WorkflowHandle[Any, Any], id: str, timeout: float, request_id: str | None) -> Unavailable:
    """Why a command got no answer within ``timeout`` seconds, from what the workflow is waiting for (a
    pending activity and its last failure, a workflow task no worker picks up), and that it may still
    complete: the update stays with the workflow, and a retry with the same request id is applied once
    and answers with the first result."""
    noun = _noun(id)
    zh_noun = _NOUN_ZH.get(noun, noun)
    zh, en = await _waiting_for(handle)
    if request_id:
        later_zh = f"命令可能已送达，稍后仍可能完成：用同一 --request-id {request_id} 重试即可得到结果（最多执行一次）"
        later_en = (
            f"the command may have been delivered and may still complete: retry with --request-id {request_id} "
            "to get its result (applied at most once)"
        )
    else:
        later_zh, later_en = "稍后仍可能完成", "it may still complete later"
    return Unavailable(
        f"{zh_noun} {id} 未在 {timeout:g} 秒内答复：{zh}。{later_zh} / "
        f"no answer from {noun} {id} within {timeout:g}s: {en}; {later_en}"
    )


async def _waiting_for(handle: WorkflowHandle[Any, Any]) -> tuple[str, str]:
    """What the workflow waits for, in Chinese and English (a short describe; a guess when it fails)."""
    unknown = ("工作进程未答复（工作进程在运行吗？`pdca up`）", "no worker answered (is the worker running? `pdca up`)")
    try:
        description = await asyncio.wait_for(handle.describe(rpc_timeout=timedelta(seconds=_DIAGNOSE_TIMEOUT)), _DIAGNOSE_TIMEOUT)
    except (RPCError, TimeoutError):
        return unknown
    raw = description.raw_description
    appending = any(p.activity_type.name == "append_events" for p in raw.pending_activities)
    task = raw.pending_workflow_task.state if raw.HasField("pending_workflow_task") else None
    started = task == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
    if task is not None and not await _workers_polling(handle, raw.execution_config.task_queue.name):
        # the command's workflow task waits for a worker and none polls: none is running (or a task started by
        # a worker that is gone times out). An activity left pending by that worker (a notice) is not the reason.
        return unknown
    if not appending and started:
        # a worker holds the command's workflow task this long: the audit append runs in it, as a local
        # activity (workflows/audited.py, append-local-v1), which no describe lists
        return ("工作进程写审计库慢（数据库被锁？）", "the worker is slow writing the audit database (is it locked?)")
    # the audit append first: a command waits on it (a notice in flight runs beside, outside the lock)
    for pending in sorted(raw.pending_activities, key=lambda p: p.activity_type.name != "append_events"):
        activity = pending.activity_type.name
        failure = pending.last_failure.message.splitlines()[0][:200] if pending.HasField("last_failure") else ""
        tried = f"，第 {pending.attempt} 次尝试" if pending.attempt > 1 else ""
        tried_en = f", attempt {pending.attempt}" if pending.attempt > 1 else ""
        last = f"（上次失败 last failure: {failure}）" if failure else ""
        if activity == "append_events":
            return (
                f"工作进程写审计库慢（数据库被锁？）{tried}{last}",
                f"the worker is slow writing the audit database (is it locked?{tried_en}){' last failure: ' + failure if failure else ''}",
            )
        return (f"工作进程的活动 {activity} 未完成{tried}{last}", f"the worker's activity {activity} has not finished{tried_en}")
    return unknown  # a workflow task (the command itself) that no worker picked up


async def _workers_polling(handle: WorkflowHandle[Any, Any], queue: str) -> bool:
    """Whether any worker has polled the stream's task queue lately, as the server knows it (True when
    the server cannot say: the diagnosis then reads the workflow task alone)."""
    request = DescribeTaskQueueRequest(
        namespace=handle._client.namespace,  # noqa: SLF001 -- the handle's own client and namespace
        task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        described = await handle._client.workflow_service.describe_task_queue(  # noqa: SLF001
            request, timeout=timedelta(seconds=_DIAGNOSE_TIMEOUT)
        )
    except RPCError:
        return True
    return bool(described.pollers)


def request_for(
    deps: Deps, kind: StreamKind, stream_id: str, command: Any, request_id: str, signature: PersonalSignature | None = None
) -> Request:
    """The ``command`` Update's payload: the command without an actor (the workflow takes who acts from
    the credential), the caller's credential, and their signature when the decision judges a person
    (``signature`` made by the client, as the HTTP API receives it; else made here with the caller's key)."""
    caller = deps.caller
    actor = getattr(command, "actor", None)
    if actor is not None and actor.id != caller.id:
        raise Refused(f"the command was made for {actor.id} but {caller.id} is signed in: act as {actor.id} (`--as {actor.id}`)")
    body = command if isinstance(command, dict) else command.model_dump(mode="json", exclude={"actor", "proof"})
    if signature is None and body.get("type") in kind.decider.signed_commands:
        signature = caller.signature(stream_id, request_id, body)
    return Request(request_id=request_id, command=body, credential=caller.credential, signature=signature)


async def send(deps: Deps, stream_id: str, command: Any, *, request_id: str, signature: PersonalSignature | None = None) -> Any:
    """Send one command as the ``command`` Update, the request id as the Update id, so a retry is
    applied at most once. Returns the kind's result model. A credential signed by a key the stream does
    not hold yet (a rotated authority key) makes it fetch its keys once, then the command is sent again."""
    kind = kind_of(stream_id)
    request = request_for(deps, kind, stream_id, command, request_id, signature)
    client = await deps.client()
    try:
        return await update(client, stream_id, UPDATE_NAME, request, kind.result_model, deps.timeout, request_id)
    except Refused as refused:
        if refused.code != "unknown_key":
            raise
        await refresh_keys(deps, stream_id)
        return await update(client, stream_id, UPDATE_NAME, request, kind.result_model, deps.timeout, request_id)


async def refresh_keys(deps: Deps, stream_id: str) -> None:
    """Ask a stream to fetch the authority's public keys again (it refuses within seconds of the last
    fetch: then wait that long, once)."""
    client = await deps.client()
    for _ in range(2):
        try:
            await update(client, stream_id, REFRESH_KEYS, None, int, deps.timeout)
            return
        except Refused as refused:
            if refused.code != "too_soon":
                raise
            await asyncio.sleep(KEYS_REFRESH_INTERVAL.total_seconds())


async def query(deps: Deps, id: str, name: str, result_type: type[T]) -> T:
    """The answer of query ``name`` of workflow ``id`` (errors: ``map_rpc_error``'s)."""
    return await _ask((await deps.client()).get_workflow_handle(id), name, result_type, id, deps.timeout)


async def _ask(handle: WorkflowHandle[Any, Any], name: str, result_type: type[T], id: str, timeout: float) -> T:
    try:
        result: T = await handle.query(name, result_type=result_type, rpc_timeout=timedelta(seconds=timeout))
        return result
    except (RPCError, WorkflowQueryFailedError) as error:
        raise map_rpc_error(error, id, timeout) from None


async def read_state(deps: Deps, stream_id: str) -> BaseModel:
    """The live state of a running stream, from its workflow."""
    return await query(deps, stream_id, "state", kind_of(stream_id).state_model)


def explain_missing(error: NotFound, audit_log: AuditLog, address: str) -> ServiceError:
    """Temporal does not know the stream (or it has ended); the audit log may — the dev server keeps
    closed workflows 24 h, or the client points at another cluster or namespace. Say which."""
    kind = kind_of(error.stream_id)
    rows = audit_log.read_stream(error.stream_id)
    if not rows:
        return NotFound(f"unknown {kind.noun} {error.stream_id}", error.stream_id)
    state = kind.decider.fold(kind.decider.events.validate_json(row.payload) for row in rows)
    if kind.decider.is_terminal(state):
        return Closed(kind.closed_message.format(id=error.stream_id, stage=state.stage.value))
    return Refused(
        f"{kind.noun} {error.stream_id} is in the audit log (stage {state.stage.value}) but Temporal at {address} "
        "does not know it: check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE"
    )
