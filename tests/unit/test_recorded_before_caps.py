"""The input caps (domain/limits.py) judge new input only, at the doors (inside ``capped()``): what was
accepted before a cap existed stays readable and keeps running — a workflow's input and state, a
command in its history (the update handler, which also runs on replay), the decider's own models and
an event in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.decider import Context
from domain.limits import MAX_TEXT, capped
from domain.rectification import DECIDER, EVENT_ADAPTER
from service.commands import command
from service.errors import InvalidField
from settings.files import load_model
from tests.unit.builders import classic_policy
from workflows.rectification import CaseInput

ACTOR = {"id": "sup", "roles": ["supervisor"]}
LONG = "长" * (MAX_TEXT + 500)


def test_a_new_command_over_a_cap_is_refused_at_the_doors_but_a_recorded_one_is_read() -> None:
    body = {"type": "ReportProgress", "measure_id": "M1", "note": LONG, "actor": ACTOR}
    with capped(), pytest.raises(ValidationError, match="at most 2000 characters"):
        DECIDER.commands.validate_python(body)
    assert DECIDER.commands.validate_python(body).note == LONG  # the handler, on replay
    from domain.rectification import ReportProgress

    with pytest.raises(InvalidField, match="note"):
        command(ReportProgress, measure_id="M1", note=LONG, actor=ACTOR)


def test_the_whole_command_cap_applies_to_new_input_only() -> None:
    measures = [
        {"id": f"M{i}", "description": "长" * MAX_TEXT, "problems": ["P1"], "responsible": "张", "deadline": "2026-06-30"}
        for i in range(100)
    ]  # each field within its cap; 600 KB together
    body = {"type": "SubmitPlan", "measures": measures, "actor": ACTOR}
    with capped(), pytest.raises(ValidationError, match="limit is 500,000 bytes"):
        DECIDER.commands.validate_python(body)
    assert len(DECIDER.commands.validate_python(body).measures) == 100


def test_a_file_is_new_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from domain.rectification import ReportProgress

    path = tmp_path / "progress.yaml"
    path.write_text(f"measure_id: M1\nnote: {LONG}\n", encoding="utf-8")
    with pytest.raises(Exception, match="note"):
        load_model(ReportProgress, path, {"actor": ACTOR})


def test_a_workflow_input_its_decisions_and_events_recorded_before_the_caps_are_read() -> None:
    opening = {
        "type": "OpenCase",
        "org_code": "V001",
        "org_name": "名" * 300,
        "region": "城关镇",
        "year": 2026,
        "problems": [{"category": "weak_leadership", "description": LONG}],
        "leaders": ["李"],
        "basis": {"kind": "direct", "detail": "上级巡察发现"},
        "actor": ACTOR,
    }
    with capped(), pytest.raises(ValidationError):
        DECIDER.commands.validate_python(opening)
    policy = classic_policy()
    case_input = CaseInput.model_validate({"case_id": "rect-V001-2026", "policy": policy.model_dump(mode="json"), "open": opening})
    assert case_input.open is not None and case_input.open.problems[0].description == LONG

    events = DECIDER.decide(DECIDER.initial, case_input.open, Context(now=datetime(2026, 3, 2, 9, tzinfo=UTC), policy=policy))
    state = DECIDER.fold(EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(e)) for e in events)
    assert state.problems[0].description == LONG
    carried = CaseInput.model_validate_json(
        CaseInput(case_id="rect-V001-2026", policy=policy, state=state).model_dump_json()
    )  # continue-as-new
    assert carried.state is not None and carried.state.problems[0].description == LONG
