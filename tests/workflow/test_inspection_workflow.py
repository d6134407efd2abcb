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
