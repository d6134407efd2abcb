"""销号 waits for every sanction proposal to be decided (issue 14 item 1): a closed case accepts no more
commands, so closing over a pending proposal would leave it undecidable for good."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotAllowedInStage
from domain.rectification import DecideSanction, SanctionDecision, Stage
from domain.rectification.permissions import available
from tests.unit.builders import T0, Case, acceptance, classic_policy, close, follow_up, open_case, supervisor
from tests.unit.test_memory_proposals import SECRETARY, record, to_checking


def consolidated_with_a_memory_proposal() -> Case:
    case = Case(policy=classic_policy())
    case.run(open_case().model_copy(update={"history": [record(2025, designated=True)], "secretary": SECRETARY}), T0)
    to_checking(case)
    case.run(acceptance(90), T0 + timedelta(days=40))
    case.run(follow_up(), T0 + timedelta(days=200))
    return case


def test_closing_is_refused_while_a_proposal_is_pending_and_names_it() -> None:
    case = consolidated_with_a_memory_proposal()
    later = T0 + timedelta(days=500)
    with pytest.raises(NotAllowedInStage, match=r"pending: S1\(case/admonishment_talk\)"):
        case.attempt(close(), later)
    assert "CloseCase" not in available(case.state, supervisor(), case.policy, later)


def test_closing_goes_through_once_the_proposal_is_decided() -> None:
    case = consolidated_with_a_memory_proposal()
    later = T0 + timedelta(days=500)
    decided = DecideSanction(actor=supervisor(), proposal_id="S1", decision=SanctionDecision.DISMISSED, comment="已整改")
    case.run(decided, later)
    assert "CloseCase" in available(case.state, supervisor(), case.policy, later)
    case.run(close(), later)
    assert case.state.stage == Stage.CLOSED
