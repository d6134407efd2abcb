"""Talking to Temporal on a supervisor's behalf: start a case, send a command, with bounded waits."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError, ProgrammingError
from temporalio.client import (
    Client,
    RPCError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from cli.common import audit_log, run_async
from cli.errors import UNAVAILABLE, CliError, UnknownCase
from cli.settings import resolve_actor
from domain.actors import Actor
from domain.errors import DomainError
from domain.policy import Policy
from domain.rectification import (
    INITIAL_STATE,
    CaseState,
    Command,
    OpenCase,
    case_id_for,
    decide,
)
from domain.workcal import WorkCalendar
from store.models import AuditEvent
from worker import DEFAULT_ADDRESS, connect, task_queue
from workflows.rectification import (
    CaseInput,
    CommandRequest,
    CommandResult,
    RectificationWorkflow,
)
from workflows.search_attributes import initial_search_attributes

T = TypeVar("T")


def address() -> str:
    return os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS)


async def connect_or_fail(timeout: float = 5.0) -> Client:
    try:
        return await asyncio.wait_for(connect(), timeout)
    except (ValueError, FileNotFoundError) as error:  # TLS settings that cannot be used
        raise CliError(f"Temporal TLS settings: {error}") from None
    except (TimeoutError, RuntimeError, RPCError, OSError) as error:
        raise CliError(
            f"cannot reach Temporal at {address()} ({type(error).__name__}): is `pdca up` running?", UNAVAILABLE
        ) from None


def _no_worker(case_id: str, timeout: float, request_id: str | None = None) -> CliError:
    retry = f"; retry with --request-id {request_id} (it is applied at most once)" if request_id else ""
    return CliError(
        f"no worker answered for {case_id} within {timeout:g}s: is the worker running (`pdca up`)?{retry}",
        UNAVAILABLE,
    )


def _rpc_error(error: RPCError, case_id: str, timeout: float, request_id: str | None = None) -> CliError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return UnknownCase(case_id)
    if "already completed" in error.message:
        return CliError(f"case {case_id} is closed (已销号): it accepts no more commands")
    if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return _no_worker(case_id, timeout, request_id)
    if error.status == RPCStatusCode.UNAVAILABLE:
        return CliError(f"cannot reach Temporal at {address()}: is `pdca up` running?", UNAVAILABLE)
    return CliError(f"Temporal refused the request for {case_id}: {error.message}", UNAVAILABLE)


async def open_case(client: Client, command: OpenCase, policy: Policy, timeout: float) -> CaseState:
    # The workflow would refuse the same way, but failing here keeps a refused case out of Temporal.
    try:
        decide(INITIAL_STATE, command, datetime.now(UTC), policy, WorkCalendar())
    except DomainError as error:
        raise CliError(error.message, code=error.code) from None
    case_id = case_id_for(command.org_code, command.year)
    try:
        handle: WorkflowHandle = await client.start_workflow(
            RectificationWorkflow.run,
            CaseInput(case_id=case_id, policy=policy, open=command),
            id=case_id,
            task_queue=task_queue(),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=initial_search_attributes(command.org_code, command.region),
            rpc_timeout=timedelta(seconds=timeout),
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"case {case_id} already exists: one rectification case per organization and year") from None
    except RPCError as error:
        raise _rpc_error(error, case_id, timeout) from None
    return await _wait_until_open(handle, case_id, timeout)


async def _wait_until_open(handle: WorkflowHandle, case_id: str, timeout: float) -> CaseState:
    """The case is started; wait (bounded) until a worker has made its opening durable."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise CliError(
                f"case {case_id} was started but no worker opened it within {timeout:g}s: "
                "start the worker (`pdca up`); it will open the case when it runs",
                UNAVAILABLE,
            )
        try:
            state: CaseState = await handle.query(
                RectificationWorkflow.current_state, rpc_timeout=timedelta(seconds=max(remaining, 1))
            )
            return state
        except RPCError as error:
            if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise _rpc_error(error, case_id, timeout) from None
        await asyncio.sleep(0.2)


RpcErrorMapper = Callable[[RPCError, str, float, str | None], CliError]


async def send_update(
    client: Client,
    workflow_id: str,
    update: Any,
    request: Any,
    request_id: str,
    timeout: float,
    rpc_error: RpcErrorMapper = _rpc_error,
) -> Any:
    """Send one command Update (``request``) to a workflow, the request id as the Update id so a retry
    is applied at most once. Errors become one-line CliErrors: a refusal carries its ApplicationError
    type as the code; no answer in time says to start the worker and retry with the same request id;
    other RPC errors go through ``rpc_error`` (the case wording by default)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, request, id=request_id, rpc_timeout=timedelta(seconds=timeout))
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise CliError(cause.message, code=cause.type) from None
        raise CliError(f"command refused: {cause}") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise _no_worker(workflow_id, timeout, request_id) from None
    except RPCError as error:
        # An update to a completed workflow answers NOT_FOUND, like an unknown id: the CLI asks the
        # audit log which it is (cli.main._explain_unknown).
        raise rpc_error(error, workflow_id, timeout, request_id) from None


async def send(client: Client, case_id: str, command: Command, request_id: str, timeout: float) -> CommandResult:
    result: CommandResult = await send_update(
        client, case_id, RectificationWorkflow.command, CommandRequest(request_id=request_id, command=command), request_id, timeout
    )
    return result


# ----------------------------------------------------------------------------- what the command modules share


def send_command(
    send: Callable[[Client, str, Any, str, float], Awaitable[T]],
    target_id: str,
    build: Callable[[Actor], Any],
    actor_id: str | None,
    actors: Path | None,
    request_id: str | None,
    timeout: float,
) -> T:
    """The body of every command that changes a workflow (cli/main.py, cli/project_cmd.py, ...): resolve
    the acting person, build the command, connect (bounded) and ``send`` it under ``request_id`` (a fresh
    one when none is given)."""
    actor = resolve_actor(actor_id, actors)
    command = build(actor)
    rid = request_id or uuid.uuid4().hex

    async def go() -> T:
        client = await connect_or_fail(min(timeout, 10))
        return await send(client, target_id, command, rid, timeout)

    return run_async(go())


def explain_unknown(
    unknown: UnknownCase,
    what: str,
    fold: Callable[[list[AuditEvent]], Any],
    closed: Callable[[Any], str | None],
    missing: CliError,
) -> CliError:
    """Temporal does not know the id; the audit log may (the dev server keeps closed workflows 24 h; or
    the CLI points at another cluster or namespace). Say which: ``missing`` when the log has no such
    stream either, ``closed(state)`` when the folded state is final, else that Temporal lost track."""
    try:
        rows = audit_log(None).read_stream(unknown.case_id)
    except (OperationalError, ProgrammingError):
        return missing
    if not rows:
        return missing
    state = fold(rows)
    message = closed(state)
    if message is not None:
        return CliError(message)
    return CliError(
        f"{what} {unknown.case_id} is in the audit log (stage {state.stage.value}) but Temporal at {address()} "
        "does not know it: check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE"
    )
