"""暂停/延期申请: the requester of a pause or an extension is proven when they asked themselves
(RequestRelief, sent with their own credential), and is never the approver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidCommand, PermissionDenied, SeparationOfDuties
from domain.rectification import ExtendDeadline, PauseMeasures, RequestRelief
from tests.unit.builders import T0, branch_secretary, county_leader, implementing, supervisor, township_secretary

LATER = T0 + timedelta(days=3)


def test_a_granted_request_names_its_sender_as_the_requester() -> None:
    case = implementing()
    [asked] = case.run(RequestRelief(actor=branch_secretary(), measure_ids=["M1"], reason="村“两委”换届"), LATER)
    assert (asked.type, asked.request_id, asked.actor) == ("ReliefRequested", "Q1", "bs-1")
    [paused] = case.run(PauseMeasures(actor=supervisor(), measure_ids=["M1"], reason="换届", request="Q1"), LATER)
    assert paused.requested_by == "bs-1" and paused.request == "Q1"
    assert case.state.relief_requests["Q1"].granted_by == "sup-1"
    with pytest.raises(InvalidCommand, match="already granted by sup-1"):
        case.attempt(ExtendDeadline(actor=county_leader(), measure_id="M2", by="5wd", reason="延期", request="Q1"), LATER)


def test_the_requester_never_grants_their_own_request() -> None:
    case = implementing()
    leader = county_leader()
    case.run(RequestRelief(actor=township_secretary(), reason="汛期"), LATER)  # whole case
    case.run(RequestRelief(actor=township_secretary(), measure_ids=["M2"], reason="资金未到位"), LATER)
    # a county leader who is also a township secretary in the directory would be one person: here two
    both = leader.model_copy(update={"id": "ts-1", "roles": [*leader.roles, *township_secretary().roles]})
    with pytest.raises(SeparationOfDuties):
        case.attempt(ExtendDeadline(actor=both, measure_id="M2", by="5wd", reason="延期", request="Q2"), LATER)
    [extended] = case.run(ExtendDeadline(actor=leader, measure_id="M2", by="5wd", reason="延期", request="Q2"), LATER)
    assert extended.requested_by == "ts-1" and extended.request == "Q2"


def test_bad_requests_are_refused_with_their_reason() -> None:
    case = implementing()
    with pytest.raises(InvalidCommand, match="not open measures of this case: M9"):
        case.attempt(RequestRelief(actor=branch_secretary(), measure_ids=["M9"], reason="x"), LATER)
    with pytest.raises(PermissionDenied):
        case.attempt(RequestRelief(actor=supervisor(), reason="x"), LATER)
    with pytest.raises(InvalidCommand, match="no relief request Q7"):
        case.attempt(PauseMeasures(actor=supervisor(), reason="换届", request="Q7"), LATER)
    with pytest.raises(InvalidCommand, match="who asked for the pause"):
        case.attempt(PauseMeasures(actor=supervisor(), reason="换届"), LATER)
    case.run(RequestRelief(actor=branch_secretary(), reason="换届"), LATER)
    with pytest.raises(InvalidCommand, match="was made by bs-1, not fs-1"):
        case.attempt(PauseMeasures(actor=supervisor(), reason="换届", request="Q1", requested_by="fs-1"), LATER)
