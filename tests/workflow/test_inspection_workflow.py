"""The inspection workflow on the time-skipping server: a 明察暗访 visit recorded with the recorder's
credential, findings added and disposed of (to a case, to a designation — signed —, closed), the
inspection closed and its run ended; the projection the designation reads; the refusals' words
(tests/workflow/inspection_scenario.py)."""

from __future__ import annotations

import time

from domain import inspection as insp
from store.inspections import referred_to_designation
from tests.workflow.inspection_scenario import drive_lifecycle


async def test_record_dispose_close_and_what_the_designation_reads(time_env, audit_log, worker_queue) -> None:  # type: ignore[no-untyped-def]
    number = int(time.time() * 1000) % 900 + 1  # one test server for the module: a number no other test took
    handle, stream_id, outcome = await drive_lifecycle(time_env, audit_log, worker_queue, number)
    assert outcome.stage == insp.Stage.CLOSED and outcome.findings == 3
    rows = audit_log.read_stream(stream_id)
    assert [r.event_type for r in rows] == [
        "InspectionRecorded", "InspectionFindingsRecorded", "InspectionFindingsRecorded", "FindingsReferredToCase",
        "FindingsReferredToDesignation", "FindingsClosed", "InspectionClosed",
    ]  # fmt: skip
    assert {r.actor for r in rows} == {"sup-wang"}  # the credential's person, never a body's field
    proof = insp.EVENT_ADAPTER.validate_json(rows[4].payload).proof
    assert proof is not None and proof.signature is not None  # the designation referral carries the decider's signature
    year = insp.fold(insp.EVENT_ADAPTER.validate_json(r.payload) for r in rows).year
    assert referred_to_designation(audit_log.engine, year + 1) == {"V4005": [f"{stream_id}/F2: 明察暗访发现党员大会半年未开"]}


async def test_the_visited_townships_are_the_directorys(time_env, audit_log, worker_queue) -> None:  # type: ignore[no-untyped-def]
    """A 柳林乡 township secretary cannot record a visit to 青山镇's V4005 by writing 柳林乡 as its township:
    the workflow reads where the directory places it (scope checked there) before anything is recorded;
    an organization the directory does not know is refused."""
    import asyncio

    import pytest
    from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

    from domain.policy import Policy
    from domain.timeutil import SHANGHAI
    from tests.identity import credential
    from tests.workflow.inspection_scenario import TOWN, seed_directory
    from workflows.inspection import InspectionInput, InspectionWorkflow
    from workflows.search_attributes import initial_search_attributes

    seed_directory(audit_log)
    today = (await time_env.get_current_time()).astimezone(SHANGHAI).date()
    for offset, orgs, said in (
        (0, [insp.VisitedOrgInput(code="V4005", name="青山镇李湾村党支部", region="柳林乡")], "青山镇"),
        (1, [insp.VisitedOrgInput(code="V9999", name="不存在", region="柳林乡")], "not in the organization directory: V9999"),
    ):
        number = (int(time.time() * 1000) + 7 + offset) % 900 + 1
        stream_id = insp.inspection_id_for(today.year, number)
        opening = insp.RecordInspection(
            actor=TOWN, year=today.year, number=number, kind=insp.VisitKind.UNANNOUNCED, visited_on=today, title="暗访", orgs=orgs
        )
        handle = await time_env.client.start_workflow(
            InspectionWorkflow.run,
            InspectionInput(inspection_id=stream_id, policy=Policy(), record=opening, credential=credential(TOWN)),
            id=stream_id,
            task_queue=worker_queue,
            search_attributes=initial_search_attributes("inspection", "open", "", ""),
        )
        deadline = time.monotonic() + 120  # polled: a run that wrongly recorded the visit would wait for good
        while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING and not audit_log.read_stream(stream_id):
            assert time.monotonic() < deadline, "the visit neither failed nor was recorded"
            await asyncio.sleep(0.2)
        assert audit_log.read_stream(stream_id) == []
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert said in str(failed.value.cause), failed.value.cause
