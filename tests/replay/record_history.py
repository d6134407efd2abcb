"""Record the history of one representative rectification case for the replay tests.

    python -m tests.replay.record_history [output.json]
    python -m tests.replay.record_history --timing [output.json]   (calendar-aware case, issue 4)

Runs, on the time-skipping test server with a real worker and a throw-away SQLite audit log:
open → plan returned once → resubmitted → approved → reminders, overdue, both escalation rungs →
completion → acceptance fails → rework (reminder for the new deadline) → acceptance passes →
consolidation ends → follow-up review → close. Writes ``handle.fetch_history().to_json()``.

Re-record only on purpose (a deliberate, versioned workflow change): the committed JSON is what
proves that today's workflow code still replays the histories of cases already running.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cli.binaries import find_binary
from domain.rectification import (
    CloseCase,
    Outcome,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    ReturnPlan,
    Stage,
    SubmitSelfCheck,
)
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from tests.workflow.scenario import (
    BRANCH,
    COUNTY,
    FIRST_SEC,
    SUPERVISOR,
    TOWNSHIP,
    Case,
    approve,
    complete,
    measure,
    plan,
)
from worker import build_worker, open_audit_log
from workflows.search_attributes import register

HISTORIES = Path(__file__).parent / "histories"
DEFAULT_OUTPUT = HISTORIES / "rectification_full_case.json"
ORG_CODE = "replay-full"  # workflow id rect-replay-full-2026
DAY = timedelta(days=1)


async def drive(case: Case) -> None:
    await case.start()
    t0 = await case.now()
    d1, d2 = t0 + 30 * DAY, t0 + 45 * DAY
    first = plan(measure("M1", ["P1"], d1, responsible="resp-a"), measure("M2", ["P2"], d2 - DAY, responsible="resp-b"))
    await case.cmd(first)
    await case.cmd(ReturnPlan(actor=TOWNSHIP, comments="M2 期限过紧，请调整"))
    await case.cmd(plan(measure("M1", ["P1"], d1, responsible="resp-a"), measure("M2", ["P2"], d2, responsible="resp-b")))
    await case.cmd(approve())
    await case.advance(10 * DAY)
    await case.cmd(ReportProgress(actor=BRANCH, measure_id="M1", note="已召开组织生活会", evidence=["minutes.pdf"]))
    # Both measures run late: reminders, overdue notices, both escalation rungs for each.
    await case.advance_to(d2 + 22 * DAY)
    await case.cmd(complete("M1"))
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(SubmitSelfCheck(actor=BRANCH, summary="自查完成"))
    failed = await case.cmd(RecordAcceptance(actor=COUNTY, score=58, unsatisfied_share=0.2, comments="不达标"))
    assert failed.events == ["AcceptanceRecorded", "ReworkOrdered"], failed
    # Rework: the 7d reminder for the new deadline fires, then both are done in time.
    await case.advance(85 * DAY)
    await case.cmd(complete("M1"))
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(SubmitSelfCheck(actor=BRANCH, summary="重新整改完成"))
    passed = await case.cmd(RecordAcceptance(actor=COUNTY, score=82, unsatisfied_share=0.1, comments="通过"))
    assert passed.stage == Stage.CONSOLIDATING, passed
    await case.advance(366 * DAY)
    await case.cmd(RecordFollowUp(actor=COUNTY, relapsed=False, note="回头看无反弹"))
    await case.cmd(CloseCase(actor=SUPERVISOR, outcome=Outcome.UPGRADED, note="销号"))
    assert case.handle is not None
    outcome = await case.handle.result()
    assert outcome.stage == Stage.CLOSED, outcome
    expected = {"PlanReturned", "ReminderSent", "MeasureOverdue", "EscalationRaised", "ReworkOrdered", "ConsolidationEnded", "CaseClosed"}
    missing = expected - set(case.types())
    assert not missing, f"the recorded case lacks {missing}"


TIMING_OUTPUT = HISTORIES / "rectification_timing_case.json"


async def drive_timing(case: Case) -> None:
    """Calendar facts fetched, pause + resume, an extension, the ladder with one sanction approved,
    one dismissed and one lapsing to the next rung; then completion, acceptance, close."""
    from domain.rectification import DecideSanction, ExtendDeadline, PauseMeasures, ResumeMeasures, SanctionDecision
    from domain.rungs import Rung

    await case.start()
    t0 = await case.now()
    due = t0 + 20 * DAY
    await case.cmd(plan(measure("M1", ["P1"], due, responsible="resp-a"), measure("M2", ["P2"], due, responsible="resp-b")))
    await case.cmd(approve())
    await case.advance(3 * DAY)
    await case.cmd(PauseMeasures(actor=SUPERVISOR, reason="村“两委”换届", requested_by="ts-li"))
    await case.advance(30 * DAY)
    await case.cmd(ResumeMeasures(actor=COUNTY, note="换届完成"))
    await case.cmd(ExtendDeadline(actor=SUPERVISOR, measure_id="M2", by="3wd", reason="工程延误", requested_by="resp-b"))
    state = await case.state()
    m1 = state.measure("M1")
    assert m1 is not None
    await case.advance_to(m1.deadline + 16 * DAY)  # past the admonishment rung (10wd) of both
    await case.cmd(
        DecideSanction(actor=SUPERVISOR, measure_id="M1", rung=Rung.ADMONISHMENT_TALK, decision=SanctionDecision.APPROVED, comment="同意")
    )
    m2 = state.measure("M2")
    assert m2 is not None
    await case.advance_to(m2.deadline + 16 * DAY)
    await case.cmd(
        DecideSanction(actor=COUNTY, measure_id="M2", rung=Rung.ADMONISHMENT_TALK, decision=SanctionDecision.DISMISSED, comment="已说明")
    )
    await case.advance(60 * DAY)  # personnel adjustment proposed, undecided, lapses
    await case.cmd(complete("M1"))
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(SubmitSelfCheck(actor=BRANCH, summary="自查完成"))
    passed = await case.cmd(RecordAcceptance(actor=COUNTY, score=82, unsatisfied_share=0.1, comments="通过"))
    assert passed.stage == Stage.CONSOLIDATING, passed
    await case.advance(366 * DAY)
    await case.cmd(RecordFollowUp(actor=COUNTY, relapsed=False, note="回头看无反弹"))
    await case.cmd(CloseCase(actor=SUPERVISOR, outcome=Outcome.UPGRADED, note="销号"))
    assert case.handle is not None
    await case.handle.result()
    expected = {
        "MeasuresPaused",
        "MeasuresResumed",
        "DeadlineExtended",
        "SanctionProposed",
        "SanctionDecided",
        "SanctionLapsed",
        "EscalationRaised",
    }
    missing = expected - set(case.types())
    assert not missing, f"the recorded case lacks {missing}"


async def record(output: Path = DEFAULT_OUTPUT, timing: bool = False) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=4) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = "record-history"
            async with build_worker(env.client, audit_log, queue, executor=executor):
                if timing:
                    from tests.workflow.test_rectification_timing_workflow import LADDER_POLICY

                    case = Case(env, audit_log, queue, "replay-timing", policy=LADDER_POLICY)
                    await drive_timing(case)
                else:
                    case = Case(env, audit_log, queue, ORG_CODE)
                    await drive(case)
                assert case.handle is not None
                history = await case.handle.fetch_history()
            assert audit_log.verify().ok
            audit_events = len(case.stream())
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events, {audit_events} audit events, workflow id {history.workflow_id})")
    return output


def main() -> None:
    args = sys.argv[1:]
    timing = "--timing" in args
    args = [a for a in args if a != "--timing"]
    output = Path(args[0]) if args else (TIMING_OUTPUT if timing else DEFAULT_OUTPUT)
    asyncio.run(record(output, timing=timing))


if __name__ == "__main__":
    main()
