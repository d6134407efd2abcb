"""委员项目 keyed by person on the time-skipping server (issue 14): two committee members of one
organization each open their own project in the same year; a run started under another id than its
application's is refused before anything is recorded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle

from domain.actors import Actor, Role
from domain.project import ApplyProject, Level, project_id_for
from tests.identity import credential
from tests.workflow.project_scenario import POLICY, REGION, application, unique_org
from workflows.project import ProjectInput, SecretaryProjectWorkflow
from workflows.search_attributes import initial_search_attributes


def member(person_id: str) -> Actor:
    return Actor(id=person_id, name=person_id, roles=[Role.COMMITTEE_MEMBER])


def opening(actor: Actor, org: str, year: int, level: Level = Level.COMMITTEE_MEMBER) -> ApplyProject:
    return ApplyProject(
        actor=actor, level=level, org_code=org, org_name=f"{org}村党委", region=REGION, year=year, application=application(year)
    )


async def start(env: Any, queue: str, workflow_id: str, apply: ApplyProject) -> WorkflowHandle[Any, Any]:
    return await env.client.start_workflow(
        SecretaryProjectWorkflow.run,
        ProjectInput(project_id=workflow_id, policy=POLICY, apply=apply, credential=credential(apply.actor)),
        id=workflow_id,
        task_queue=queue,
        search_attributes=initial_search_attributes("project", "reviewing", apply.org_code, REGION),
    )


async def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


async def test_two_members_of_one_organization_open_their_own_projects(time_env, audit_log, worker_queue) -> None:  # type: ignore[no-untyped-def]
    org = unique_org("W")
    year = (await time_env.get_current_time()).year + 1
    handles = []
    for person in ("wy-01", "wy-02"):
        apply = opening(member(person), org, year)
        handles.append(await start(time_env, worker_queue, project_id_for(Level.COMMITTEE_MEMBER, org, year, person), apply))
    ids = [f"proj-committee_member-{org}-{year}-wy-01", f"proj-committee_member-{org}-{year}-wy-02"]
    await wait_for(lambda: all(audit_log.read_stream(i) for i in ids), "both openings appended")
    for i, person in zip(ids, ("wy-01", "wy-02"), strict=True):
        (row,) = audit_log.read_stream(i)
        assert row.event_type == "ProjectApplied" and row.actor == person and f'"project_id":"{i}"' in row.payload
    for handle in handles:
        await handle.terminate("test over")


async def test_a_run_under_another_id_is_refused_and_records_nothing(time_env, audit_log, worker_queue) -> None:  # type: ignore[no-untyped-def]
    org = unique_org("W")
    year = (await time_env.get_current_time()).year + 1
    # wy-03's application started under wy-04's id (a raw client): the credential names wy-03
    wrong = project_id_for(Level.COMMITTEE_MEMBER, org, year, "wy-04")
    handle = await start(time_env, worker_queue, wrong, opening(member("wy-03"), org, year))
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert f"proj-committee_member-{org}-{year}-wy-03, not {wrong}" in str(failure.value.cause)
    assert audit_log.read_stream(wrong) == []


async def test_the_township_a_project_is_scoped_on_is_the_directorys(time_env, audit_log, worker_queue) -> None:  # type: ignore[no-untyped-def]
    """A member scoped to one township cannot apply for an organization of another by writing their own
    township into the application: the workflow reads where the directory places it before recording."""
    from temporalio.client import WorkflowExecutionStatus

    from domain.directory import Organization
    from store.directory import Directory, ParsedDirectory

    org = unique_org("W")
    year = (await time_env.get_current_time()).year + 1
    Directory(audit_log.engine).import_records(
        ParsedDirectory(organizations=[Organization(code=org, name="某村党委", level="党委", domain="农村", region="柳林乡")], years=[])
    )
    person = Actor(id="wy-09", name="wy-09", roles=[Role.COMMITTEE_MEMBER], scope=[REGION])
    workflow_id = project_id_for(Level.COMMITTEE_MEMBER, org, year, "wy-09")
    handle = await start(time_env, worker_queue, workflow_id, opening(person, org, year))
    deadline = time.monotonic() + 120  # polled: a run that wrongly opened would wait on its timers
    while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING and not audit_log.read_stream(workflow_id):
        assert time.monotonic() < deadline, "the application neither failed nor was recorded"
        await asyncio.sleep(0.2)
    assert audit_log.read_stream(workflow_id) == []
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "柳林乡" in str(failed.value.cause), failed.value.cause
