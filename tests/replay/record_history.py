"""Record the history of one representative rectification case for the replay tests.

    python -m tests.replay.record_history [output.json]
    python -m tests.replay.record_history --timing [output.json]   (calendar-aware case, issue 4)
    python -m tests.replay.record_history --memory [output.json]   (issue 14: record read at opening, adjustment
                                                                    carried out, findings, supplementary plan, partners)

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
from domain.actors import Actor, Role
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
from store.eventlog import AuditLog
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from tests.workflow.scenario import (
    BRANCH,
    COUNTY,
    FIRST_SEC,
    REGION,
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


MEMORY_OUTPUT = HISTORIES / "rectification_memory_case.json"
MEMORY_ORG = "replay-memory"


def seed_directory(audit_log: AuditLog) -> None:
    """The organization of the memory case: failed acceptance in 2024 and 2025 under 陈书记, paired with a unit."""
    from domain.directory import AcceptanceResult, Assessment, Organization
    from store.directory import Directory, ParsedDirectory, YearRecord

    org = Organization(code=MEMORY_ORG, name="回放村党支部", level="党支部", domain="农村", region=REGION, secretary="陈书记")
    years = [
        YearRecord(Assessment(org_code=MEMORY_ORG, year=y), person="陈书记", designated=True, acceptance=AcceptanceResult.FAILED)
        for y in (2024, 2025)
    ]
    Directory(audit_log.engine).import_records(ParsedDirectory(organizations=[org], years=years))
    from domain.directory import Pairing
    from store.pairings import import_pairings

    unit = Pairing(unit_code="U-LI", unit_name="县住建局", kind="结对单位", people=["unit-li"], org_codes=[MEMORY_ORG])
    import_pairings(audit_log.engine, [unit])


async def drive_memory(case: Case) -> None:
    """Issue 14: the opening reads the record (memory-recall-v1) and proposes 组织调整 and 诫勉谈话; both are
    approved and carried out (the secretary replaced); an inspection's findings after approval need a
    supplementary plan with a partner; reminders and an overdue notice reach the partner; then close."""
    from domain.rectification import DecideSanction, FindingInput, RecordExecution, RecordFindings, SanctionDecision

    await case.start()  # waits for the first event only: the opening appends its proposals with it
    await case.settle()
    assert case.types()[:1] == ["CaseOpened"] and "SanctionProposed" in case.types(), case.types()
    t0 = await case.now()
    state = await case.state()
    for p in state.proposals:
        await case.cmd(DecideSanction(actor=COUNTY, proposal_id=p.proposal_id, decision=SanctionDecision.APPROVED, comment="同意"))
    today = (await case.now()).date()
    for p in state.proposals:
        new = "李新书记" if p.rung.value == "personnel_adjustment" else None
        await case.cmd(RecordExecution(actor=SUPERVISOR, proposal_id=p.proposal_id, action="已落实", executed_on=today, new_secretary=new))
    partnered = measure("M1", ["P1"], t0 + 30 * DAY, responsible="resp-a").model_copy(update={"partners": ["unit-li"]})
    await case.cmd(plan(partnered, measure("M2", ["P2"], t0 + 30 * DAY, responsible="resp-b")))
    await case.cmd(approve())
    finding = FindingInput(finding_id="F1", category="organization_life", description="明察暗访发现会议记录后补")
    await case.cmd(RecordFindings(actor=COUNTY, source="insp-2026-001", findings=[finding]))
    await case.cmd(plan(measure("M3", ["P3"], t0 + 40 * DAY, responsible="resp-a")))
    await case.cmd(approve())
    await case.advance_to(t0 + 31 * DAY)  # reminders, then M1 and M2 overdue (partner told)
    partner = Actor(id="unit-li", name="李结对", roles=[Role.SUPERVISOR], scope=["other"])
    await case.cmd(ReportProgress(actor=partner, measure_id="M1", note="结对单位协助完成", evidence=["photo.jpg"]))
    await case.cmd(complete("M1"))
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(complete("M3"))
    await case.cmd(SubmitSelfCheck(actor=BRANCH, summary="自查完成"))
    passed = await case.cmd(RecordAcceptance(actor=COUNTY, score=82, unsatisfied_share=0.1, comments="通过"))
    assert passed.stage == Stage.CONSOLIDATING, passed
    await case.advance(366 * DAY)
    await case.cmd(RecordFollowUp(actor=COUNTY, relapsed=False, note="回头看无反弹"))
    await case.cmd(CloseCase(actor=SUPERVISOR, outcome=Outcome.UPGRADED, note="销号"))
    assert case.handle is not None
    await case.handle.result()
    expected = {"AdjustmentExecuted", "FindingsRecorded", "SanctionDecided", "ReminderSent", "MeasureOverdue", "CaseClosed"}
    missing = expected - set(case.types())
    assert not missing, f"the recorded case lacks {missing}"


async def record(output: Path = DEFAULT_OUTPUT, timing: bool = False, memory: bool = False) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=4) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = "record-history"
            async with build_worker(env.client, audit_log, queue, executor=executor):
                if memory:
                    seed_directory(audit_log)
                    case = Case(env, audit_log, queue, MEMORY_ORG)
                    await drive_memory(case)
                elif timing:
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
    timing, memory = "--timing" in args, "--memory" in args
    args = [a for a in args if a not in {"--timing", "--memory"}]
    output = Path(args[0]) if args else (MEMORY_OUTPUT if memory else TIMING_OUTPUT if timing else DEFAULT_OUTPUT)
    asyncio.run(record(output, timing=timing, memory=memory))


if __name__ == "__main__":
    main()
