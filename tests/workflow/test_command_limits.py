"""Size caps (domain/limits.py) hold at the workflow door too: a raw ``command`` Update — what
``temporal workflow update execute`` can send, skipping every client-side check — with an oversized
field or an oversized whole command is refused by the update validator, before anything enters the
history, and the case keeps answering (no workflow task failed on a too-large payload)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.actors import Actor
from domain.limits import MAX_COMMAND_BYTES, MAX_TEXT
from tests.identity import credential
from tests.workflow.scenario import BRANCH, SUPERVISOR, Case, approve, complete, measure, plan
from workflows.audited import Request
from workflows.rectification import UPDATE_NAME, CommandResult

DAY = timedelta(days=1)


async def _raw(case: Case, body: dict[str, Any], actor: Actor = BRANCH) -> str:
    """Send ``body`` as the command Update with a valid credential; the refusal's message."""
    assert case.handle is not None
    rid = f"raw-{uuid.uuid4().hex[:8]}"
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.handle.execute_update(
            UPDATE_NAME,
            Request(request_id=rid, command=body, credential=credential(actor)),
            id=rid,
            result_type=CommandResult,
        )
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == "invalid_command", cause
    return str(cause)


async def test_oversized_commands_are_refused_by_the_validator(cases: Any) -> None:
    case: Case = cases()
    handle = await case.start()
    t0 = await case.now()
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
    await case.cmd(approve(actor=SUPERVISOR))
    before = len(case.stream())

    # a 1.5 MB note (the measured failure was a ~2.1 MB note: "Workflow Task in failed state")
    note = "整" * 500_000
    message = await _raw(case, {"type": "ReportProgress", "measure_id": "M1", "note": note})
    assert f"at most {MAX_TEXT} characters" in message and "note" in message

    # every field within its cap, the whole command over MAX_COMMAND_BYTES: 100 measures × 2,000 CJK characters
    measures = [
        {"id": f"M{i}", "description": "措" * MAX_TEXT, "problems": [f"P{j}" * 20 for j in range(20)], "responsible": "resp-a",
         "deadline": (t0 + 30 * DAY).isoformat()}
        for i in range(100)
    ]
    message = await _raw(case, {"type": "SubmitPlan", "measures": measures, "summary": "整改方案"})
    assert f"{MAX_COMMAND_BYTES:,} bytes" in message

    assert len(case.stream()) == before
    # the case still answers and accepts a good command at once
    done = await case.cmd(complete("M1"))
    assert done.events == ["MeasureCompleted"] or "MeasureCompleted" in done.events
    history = await handle.fetch_history()
    assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
