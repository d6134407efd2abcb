"""Memory on every case (issue 14 item 3, ``memory-recall-v1``): a case opened by hand reads its
organization's record from the directory before its opening is recorded (never from the command body),
so the memory rules apply to it; each piece of evidence is proposed once across cases; the case's own
outcomes are written back to the organization's history."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from domain.directory import Assessment, HistoryRecord, Organization
from domain.rectification import OpenCase, RecordAcceptance, SubmitSelfCheck
from store.directory import Directory, ParsedDirectory, YearRecord
from store.eventlog import AuditLog
from tests.identity import credential
from tests.workflow.scenario import BRANCH, REGION, SUPERVISOR, YEAR, Case, approve, complete, measure, open_command, plan, unique_org
from worker import build_worker, open_audit_log
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes


@pytest.fixture
def audit_log(tmp_path: Path) -> AuditLog:
    return open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")


def org(code: str, secretary: str = "陈书记") -> Organization:
    return Organization(code=code, name=f"{code}村党支部", level="党支部", domain="农村", region=REGION, secretary=secretary)


def year(code: str, y: int, rank: int, person: str = "陈书记") -> YearRecord:
    return YearRecord(Assessment(org_code=code, year=y, rank=rank), person=person)


async def test_a_hand_opened_case_gets_the_memory_rules_from_the_directory(time_env: WorkflowEnvironment, audit_log: AuditLog) -> None:
    code, other = unique_org(), unique_org()
    directory = Directory(audit_log.engine)
    # last of two in 2024 and 2025 (末位): last_place fires at designation (提醒谈话)
    directory.import_records(
        ParsedDirectory(
            organizations=[org(code), org(other, "王书记")],
            years=[year(code, 2024, 2), year(other, 2024, 1), year(code, 2025, 2), year(other, 2025, 1)],
        )
    )
    forged = open_command(code).model_copy(
        update={"secretary": "别人", "history": [HistoryRecord(org_code=code, year=2025, designated=True)]}
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, executor=executor):
            case = Case(time_env, audit_log, queue, code)
            await start(case, forged)
            assert case.types() == ["CaseOpened", "SanctionProposed"]
            [opened] = case.events("CaseOpened")
            assert opened["secretary"] == "陈书记"  # the directory's, not the body's
            assert [r["year"] for r in opened["history"]] == [2024, 2025]  # the body's forged 2025 designation is gone
            [proposal] = case.events("SanctionProposed")
            assert (proposal["rule"], proposal["years"], proposal["source"]) == ("last_place", [2024, 2025], "memory")
            # written back: the case's year designated, the cited years spent for last_place
            by_year = {r.year: r for r in directory.history(org_code=code)}
            assert by_year[YEAR].designated
            assert by_year[2024].proposed == ["last_place"] and by_year[2025].proposed == ["last_place"]

            # the next year's case: 2025 was cited already; with 2026 last again that is one year, not two
            directory.import_records(
                ParsedDirectory(organizations=[org(code), org(other, "王书记")], years=[year(code, 2026, 2), year(other, 2026, 1)])
            )
            later = Case(time_env, audit_log, queue, code)
            await start(later, open_command(code).model_copy(update={"year": YEAR + 1}), f"rect-{code}-{YEAR + 1}")
            rows = audit_log.read_stream(f"rect-{code}-{YEAR + 1}")
            proposed = [json.loads(r.payload) for r in rows if r.event_type == "SanctionProposed"]
            # no last_place again; designated 2026 (written back by the first case) and 2027: 连续两年被认定
            assert [(p["rule"], p["years"]) for p in proposed] == [("designated_repeatedly", [YEAR, YEAR + 1])]


async def start(case: Case, opening: OpenCase, case_id: str | None = None) -> None:
    """Start a case as a client does (with the opener's credential) and wait until its opening is durable."""
    case_id = case_id or case.case_id
    case.handle = await case.client.start_workflow(
        RectificationWorkflow.run,
        CaseInput(case_id=case_id, policy=case.policy, open=opening, credential=credential(opening.actor)),
        id=case_id,
        task_queue=case.queue,
        search_attributes=initial_search_attributes("rectification", "designated", opening.org_code, REGION),
    )
    await case.handle.query("opening")
    await case.wait_for(lambda: bool(case.audit_log.read_stream(case_id)), "opening appended")
    deadline = 50
    while not (await case.handle.query("opening"))["durable"] and deadline:
        deadline -= 1


async def test_a_hand_opened_case_outside_the_directory_still_counts_its_own_failed_rounds(
    time_env: WorkflowEnvironment, audit_log: AuditLog
) -> None:
    """Two failed acceptance rounds in the case's own year: 组织调整 proposed, though the organization has
    no recorded history (issue 14: a case opened by hand that failed twice got no proposal)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, executor=executor):
            case = Case(time_env, audit_log, queue, unique_org())
            await case.start()
            await case.settle()
            [opened] = case.events("CaseOpened")
            assert opened["history"] == [] and opened["secretary"] is None
            now = await case.now()
            await case.cmd(plan(measure("M1", ["P1", "P2"], now + timedelta(days=30))))
            await case.cmd(approve())
            for _ in (1, 2):
                await case.cmd(complete("M1"))
                await case.cmd(SubmitSelfCheck(actor=BRANCH, summary="自查"))
                await case.cmd(RecordAcceptance(actor=SUPERVISOR, score=40, unsatisfied_share=0.1))
            proposals = case.events("SanctionProposed", source="memory")
            assert [(p["rule"], p["rung"], p["years"]) for p in proposals] == [("failed_acceptance", "personnel_adjustment", [YEAR, YEAR])]


async def test_the_township_a_case_is_scoped_on_is_the_directorys(time_env: WorkflowEnvironment, audit_log: AuditLog) -> None:
    """A supervisor of one township cannot open a case on another township's organization by writing their
    own township into the case file: the directory's region is the one checked (and recorded)."""
    code = unique_org()
    Directory(audit_log.engine).import_records(
        ParsedDirectory(organizations=[org(code).model_copy(update={"region": "柳林乡"})], years=[year(code, 2025, 1)])
    )
    township = SUPERVISOR.model_copy(update={"id": "sup-town", "scope": [REGION]})
    opening = open_command(code).model_copy(update={"actor": township, "region": REGION})
    case_id = f"rect-{code}-{YEAR}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, executor=executor):
            handle = await time_env.client.start_workflow(
                RectificationWorkflow.run,
                CaseInput(
                    case_id=case_id, policy=Case(time_env, audit_log, queue, code).policy, open=opening, credential=credential(township)
                ),
                id=case_id,
                task_queue=queue,
                search_attributes=initial_search_attributes("rectification", "designated", code, REGION),
            )
            # polled, not awaited: a run that wrongly opened would wait on its timers for good
            deadline = time.monotonic() + 120
            while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING and not audit_log.read_stream(case_id):
                assert time.monotonic() < deadline, "the opening neither failed nor was recorded"
                await asyncio.sleep(0.2)
            assert audit_log.read_stream(case_id) == []
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
    assert "柳林乡" in str(failed.value.cause), failed.value.cause
