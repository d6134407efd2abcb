"""Talking to Temporal about secretary projects: start one (立项), send a command, with bounded waits.

The same connection, error and exit-code handling as cli/cases.py (rectification), for the
``SecretaryProject`` workflow.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, RPCError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from cli.cases import _rpc_error, send_update
from cli.errors import UNAVAILABLE, CliError
from domain.errors import DomainError
from domain.policy import Policy
from domain.project import (
    INITIAL_STATE,
    ApplyProject,
    Command,
    ProjectState,
    decide,
    project_id_for,
)
from domain.workcal import WorkCalendar
from worker import task_queue
from workflows.project import (
    ProjectCommandRequest,
    ProjectCommandResult,
    ProjectInput,
    SecretaryProjectWorkflow,
)
from workflows.search_attributes import initial_project_search_attributes


async def apply_project(client: Client, command: ApplyProject, policy: Policy, timeout: float) -> ProjectState:
    # The workflow would refuse the same way; checking first keeps a refused project out of Temporal.
    try:
        decide(INITIAL_STATE, command, datetime.now(UTC), policy, WorkCalendar())
    except DomainError as error:
        raise CliError(error.message, code=error.code) from None
    project_id = project_id_for(command.level, command.org_code, command.year)
    try:
        handle: WorkflowHandle = await client.start_workflow(
            SecretaryProjectWorkflow.run,
            ProjectInput(project_id=project_id, policy=policy, apply=command),
            id=project_id,
            task_queue=task_queue(),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=initial_project_search_attributes(command.org_code, command.region),
            rpc_timeout=timedelta(seconds=timeout),
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"project {project_id} already exists: one project per level, organization and year") from None
    except RPCError as error:
        raise _rpc_error(error, project_id, timeout) from None
    return await _wait_until_applied(handle, project_id, timeout)


async def _wait_until_applied(handle: WorkflowHandle, project_id: str, timeout: float) -> ProjectState:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise CliError(
                f"project {project_id} was started but no worker recorded it within {timeout:g}s: start the worker (`pdca up`)",
                UNAVAILABLE,
            )
        try:
            state: ProjectState = await handle.query(
                SecretaryProjectWorkflow.current_state, rpc_timeout=timedelta(seconds=max(remaining, 1))
            )
            if state.version > 0:
                return state
        except RPCError as error:
            if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise _rpc_error(error, project_id, timeout) from None
        await asyncio.sleep(0.2)


async def send(client: Client, project_id: str, command: Command, request_id: str, timeout: float) -> ProjectCommandResult:
    request = ProjectCommandRequest(request_id=request_id, command=command)
    result: ProjectCommandResult = await send_update(client, project_id, SecretaryProjectWorkflow.command, request, request_id, timeout)
    return result
