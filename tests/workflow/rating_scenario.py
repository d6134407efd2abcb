"""Driving a star rating (评星定级) on the time-skipping test server.

Used by tests/workflow/test_rating_workflow.py and tests/replay/record_rating_history.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain import rating as r
from domain.actors import Actor, Role
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from store.eventlog import AuditLog
from tests.identity import credential, request
from workflows.rating import RatingCommandResult, RatingInput, RatingOutcome, RatingWorkflow
from workflows.search_attributes import initial_search_attributes

SUP = Actor(id="sup-wang", name="王督导", roles=[Role.SUPERVISOR])
LEADER = Actor(id="cl-li", name="李县长", roles=[Role.COUNTY_LEADER], scope=["青山镇"])
TOWN = Actor(id="ts-zhao", name="赵书记", roles=[Role.TOWNSHIP_SECRETARY], scope=["青山镇"])
BRANCH = Actor(id="bs-chen", name="陈书记", roles=[Role.BRANCH_SECRETARY], scope=["V001"])
FULL = {"political": 20, "team": 20, "members": 20, "rules": 20, "service": 20}


def scores(**points: float) -> list[r.ItemScoreInput]:
    return [r.ItemScoreInput(code=c, points=p, evidence=[f"{c}-台账.pdf"]) for c, p in {**FULL, **points}.items()]


def seed_directory(audit_log: AuditLog, year: int, previous_star: int | None = 3) -> None:
    """V001 of 青山镇 in the directory with last year's star: the workflow reads both there."""
    from domain.directory import Assessment, Organization
    from store.directory import Directory, ParsedDirectory, YearRecord

    orgs = [Organization(code="V001", name="青山镇东村党支部", level="党支部", domain="农村", region="青山镇")]
    years = [YearRecord(Assessment(org_code="V001", year=year - 1, score=88, star=previous_star))] if previous_star else []
    Directory(audit_log.engine).import_records(ParsedDirectory(organizations=orgs, years=years))


async def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


async def drive_lifecycle(env: WorkflowEnvironment, audit_log: AuditLog, queue: str) -> tuple[WorkflowHandle[Any, Any], str, RatingOutcome]:
    """Open a rating with a wrong name and township (the directory's are recorded), self-assess, return,
    assess again, review with a correction, refuse a level above the gates, approve (signed), take an
    objection and dismiss it (signed), let 公示 end (the level is decided), refuse a veto whose source is
    not recorded, lower the level by a manual veto (降星), and let dynamic management end (archived)."""
    year = (await env.get_current_time()).astimezone(SHANGHAI).year
    seed_directory(audit_log, year)
    stream_id = r.rating_id_for("V001", year)
    opening = r.OpenRating(actor=SUP, org_code="V001", year=year, org_name="写错的名字", region="柳林乡", previous_level=5)
    handle = await env.client.start_workflow(
        RatingWorkflow.run,
        RatingInput(rating_id=stream_id, policy=Policy(), open=opening, credential=credential(SUP)),
        id=stream_id,
        task_queue=queue,
        search_attributes=initial_search_attributes("rating", "self_assessment", "V001", ""),
    )
    await wait_for(lambda: len(audit_log.read_stream(stream_id)) == 1, "the rating opened")

    async def cmd(command: Any, rid: str) -> RatingCommandResult:
        return await handle.execute_update(
            RatingWorkflow.command, request(stream_id, command, f"{stream_id}-{rid}"), result_type=RatingCommandResult
        )

    await cmd(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(service=16), note="自评"), "a1")
    await cmd(r.ReturnRating(actor=TOWN, comment="服务群众项佐证不足"), "t1")
    await cmd(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(service=18)), "a2")
    await cmd(r.ReviewRating(actor=TOWN, scores=[r.ItemScoreInput(code="team", points=17)], comment="班子建设扣 3 分"), "t2")
    with pytest.raises(WorkflowUpdateFailedError) as above:
        await cmd(r.ApproveRating(actor=SUP, level=5), "c0")
    assert "5 星未达进关条件（最高可评 4 星）" in str(above.value.cause)
    approved = await cmd(r.ApproveRating(actor=SUP, comment="同意四星"), "c1")
    assert approved.stage == r.Stage.PUBLICITY
    await cmd(r.RecordObjection(actor=TOWN, text="村务公开栏未及时更新", source="群众来电"), "o1")
    await env.sleep(timedelta(days=10))  # the window is over, but the objection holds the decision
    assert (await handle.query(RatingWorkflow.current_state)).get("stage") == "publicity"
    await cmd(r.ResolveObjection(actor=LEADER, objection_id="O1", upheld=False, note="已整改，不影响定级"), "o2")
    await wait_for(lambda: len(audit_log.read_stream(stream_id)) == 9, "the level decided")
    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await cmd(r.RecordVetoEvent(actor=SUP, item="designated", source=f"rect-V001-{year}"), "v0")
    assert f"rect-V001-{year} is not in the audit log" in str(unknown.value.cause)
    lowered = await cmd(r.RecordVetoEvent(actor=SUP, item="discipline", source="manual", note="支委受党纪处分"), "v1")
    assert lowered.events == ["VetoEventRecorded"]
    await env.sleep(timedelta(days=370))  # dynamic management over: archived, the run ends
    result = await handle.result(rpc_timeout=timedelta(seconds=30))
    outcome = result if isinstance(result, RatingOutcome) else RatingOutcome.model_validate(result)
    return handle, stream_id, outcome
