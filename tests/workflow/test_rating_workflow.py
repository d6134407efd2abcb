"""The star rating workflow on the time-skipping server: opened with the directory's facts, assessed,
returned, reviewed, approved within the gates (signed), 公示 held by an objection, decided when the window
is over, lowered by a veto event (降星), archived; the ledger row and the directory's star of the year
(tests/workflow/rating_scenario.py)."""

from __future__ import annotations

from domain import rating as r
from store.directory import Directory
from store.ratings import rating_summaries
from tests.workflow.rating_scenario import drive_lifecycle


async def test_a_year_of_one_rating(time_env, audit_log, worker_queue, channel) -> None:  # type: ignore[no-untyped-def]
    handle, stream_id, outcome = await drive_lifecycle(time_env, audit_log, worker_queue)
    assert outcome.stage == r.Stage.ARCHIVED and outcome.level == 1
    rows = audit_log.read_stream(stream_id)
    assert [row.event_type for row in rows] == [
        "RatingOpened", "SelfAssessmentSubmitted", "RatingReturned", "SelfAssessmentSubmitted", "RatingReviewed",
        "RatingApproved", "ObjectionRecorded", "ObjectionResolved", "RatingDecided", "VetoEventRecorded", "RatingArchived",
    ]  # fmt: skip
    opened = r.EVENT_ADAPTER.validate_json(rows[0].payload)
    # the directory's name, township and last year's level, never the body's
    assert (opened.org_name, opened.region, opened.previous_level) == ("青山镇东村党支部", "青山镇", 3)
    approved = r.EVENT_ADAPTER.validate_json(rows[5].payload)
    assert approved.level == 4 and approved.proof is not None and approved.proof.signature is not None
    decided = r.EVENT_ADAPTER.validate_json(rows[8].payload)
    assert decided.level == 4 and decided.actor == "system"
    (row,) = rating_summaries(audit_log.engine, year=opened.year)
    assert (row.stage, row.decided_level, row.level, row.downgrades, row.objections) == ("archived", 4, 1, 1, 1)
    (assessment,) = Directory(audit_log.engine).assessments(year=opened.year, org_code="V001")
    assert assessment.star == 1  # the decided level, then lowered, is the directory's star of the year
    # the organization's assessor hears of the return, the approval, the decision and the lowering; the reviewer of the last three
    told = [(n["event_type"], n["recipient"]) for n in channel.sent]
    assert told == [
        ("RatingReturned", "bs-chen"), ("RatingApproved", "bs-chen"), ("RatingApproved", "ts-zhao"), ("RatingDecided", "bs-chen"),
        ("RatingDecided", "ts-zhao"), ("VetoEventRecorded", "bs-chen"), ("VetoEventRecorded", "ts-zhao"),
    ]  # fmt: skip
    decided_notice = next(n["message"] for n in channel.sent if n["event_type"] == "RatingDecided")
    assert decided_notice.startswith(f"【评星定级】青山镇东村党支部（{stream_id}）：定级 ★★★★☆")
    assert f"/ratings/{stream_id}" in decided_notice  # one tap to the console's page
