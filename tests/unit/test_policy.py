"""Policy parsing and validation; labels for every code people read."""

from __future__ import annotations

import json
import typing
from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from domain.actors import Role
from domain.policy import AcceptancePolicy, EscalationStep, Policy, Recipient, Rung
from domain.rectification import EVENT_ADAPTER, BasisKind, Event, Outcome, PlanStatus, Stage, Verdict
from domain.timeutil import format_duration, parse_duration
from i18n import all_keys, enum_label, label

# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("1d", timedelta(days=1)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        (" 90m ", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("0d", timedelta(0)),
        ("365d", timedelta(days=365)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert Policy(consolidation_period=text).consolidation_period == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=7), "7d"),
        (timedelta(hours=36), "36h"),
        (timedelta(hours=24), "1d"),
        (timedelta(minutes=90), "90m"),
        (timedelta(minutes=60), "1h"),
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_policy_durations_from_a_file() -> None:
    policy = Policy.model_validate(
        {
            "version": "county-2026.3",
            "reminder_leads": ["7d", "12h", "30m"],
            "escalation_ladder": [
                {"rung": "reminder_talk", "after": "3d"},
                {"rung": "supervision_notice", "after": "14d", "notify": ["supervisors"]},
            ],
            "rework_period": "60d",
            "consolidation_period": "180d",
            "deadline_time_of_day": "17:30",
        }
    )
    assert policy.reminder_leads == ["7d", "12h", "30m"]  # offsets (issue 4): "5wd" counts working days
    assert [s.after for s in policy.escalation_ladder] == ["3d", "14d"]
    assert policy.escalation_ladder[0].notify == [Recipient.RESPONSIBLE, Recipient.LEADERS]
    assert policy.escalation_ladder[1].notify == [Recipient.SUPERVISORS]
    assert (policy.rework_period, policy.consolidation_period) == (timedelta(days=60), timedelta(days=180))
    assert policy.deadline_time_of_day == time(17, 30)


def test_defaults_are_the_documented_example() -> None:
    p = Policy()
    assert p.version == "default-2026.1"
    assert p.deadline_time_of_day == time(18, 0)
    assert p.sorted_leads() == ["5wd", "1wd"]
    assert [(s.rung, s.after, s.is_proposal) for s in p.escalation_ladder] == [
        (Rung.REMINDER, "1wd", False),
        (Rung.REMINDER_TALK, "5wd", False),
        (Rung.SUPERVISION_NOTICE, "10wd", False),
        (Rung.ADMONISHMENT_TALK, "20wd", True),
        (Rung.PERSONNEL_ADJUSTMENT, "40wd", True),
    ]
    assert p.notice_window == "working_time"
    assert (p.acceptance.pass_score, p.acceptance.max_unsatisfied_share) == (70.0, 0.5)
    assert (p.rework_period, p.consolidation_period) == (timedelta(days=90), timedelta(days=365))
    assert "weak_leadership" in p.problem_categories and "other" in p.problem_categories


def test_sorted_leads_are_longest_first_and_unique() -> None:
    p = Policy(reminder_leads=["1d", "7d", "24h", "3d"])
    assert p.sorted_leads() == ["7d", "3d", "1d"]


@pytest.mark.parametrize(
    "policy",
    [
        Policy(),
        Policy(
            version="v2",
            reminder_leads=["14d", "36h", "45m"],
            escalation_ladder=[
                EscalationStep(rung=Rung.REMINDER, after="0d"),
                EscalationStep(rung=Rung.ADMONISHMENT_TALK, after="30d", notify=[Recipient.SUPERVISORS]),
            ],
            acceptance=AcceptancePolicy(pass_score=80, max_unsatisfied_share=0.3),
            rework_period="12h",
            consolidation_period="90m",
            supervisors=["sup-1", "sup-2"],
            deadline_time_of_day=time(9, 15),
        ),
    ],
    ids=["default", "custom"],
)
def test_policy_round_trips_through_json(policy: Policy) -> None:
    text = policy.model_dump_json()
    assert Policy.model_validate_json(text) == policy
    data = json.loads(text)
    # durations are written the way people type them
    assert all(isinstance(lead, str) and lead[-1] in "dhm" for lead in data["reminder_leads"])
    assert data["rework_period"] == format_duration(policy.rework_period)


def test_policy_with_sub_minute_durations_round_trips_through_json() -> None:
    policy = Policy(reminder_leads=[timedelta(seconds=90)], rework_period=timedelta(seconds=30))
    assert Policy.model_validate_json(policy.model_dump_json()) == policy


@pytest.mark.parametrize(
    "ladder",
    [
        [{"rung": "supervision_notice", "after": "21d"}, {"rung": "reminder_talk", "after": "7d"}],
        [{"rung": "reminder", "after": "2d"}, {"rung": "reminder_talk", "after": "36h"}],
    ],
)
def test_unsorted_ladder_is_rejected(ladder) -> None:
    with pytest.raises(ValidationError, match="increasing order"):
        Policy.model_validate({"escalation_ladder": ladder})


def test_duplicate_rungs_are_rejected() -> None:
    ladder = [{"rung": "reminder_talk", "after": "7d"}, {"rung": "reminder_talk", "after": "14d"}]
    with pytest.raises(ValidationError, match="once"):
        Policy.model_validate({"escalation_ladder": ladder})


@pytest.mark.parametrize("leads", [["0d"], ["7d", "0m"], [timedelta(hours=-1)], ["1d", timedelta(days=-7)]])
def test_non_positive_leads_are_rejected(leads) -> None:
    with pytest.raises(ValidationError, match="positive"):
        Policy(reminder_leads=leads)


def test_empty_categories_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Policy(problem_categories={})


@pytest.mark.parametrize("key", ["reminder_lead", "pass_score", "Version", "escalation"])
def test_unknown_top_level_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValidationError, match="[Ee]xtra"):
        Policy.model_validate({key: "7d"})


@pytest.mark.parametrize(
    "data",
    [
        {"acceptance": {"pass_scor": 80}},
        {"escalation_ladder": [{"rung": "reminder_talk", "after": "7d", "notfy": ["supervisors"]}]},
    ],
    ids=["acceptance", "ladder-step"],
)
def test_unknown_nested_keys_are_rejected(data) -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate(data)


@pytest.mark.parametrize(
    "data",
    [
        {"acceptance": {"pass_score": 101}},
        {"acceptance": {"max_unsatisfied_share": 1.5}},
        {"version": ""},
        {"escalation_ladder": [{"rung": "no_such_rung", "after": "7d"}]},
        {"reminder_leads": ["1w"]},
        {"reminder_leads": ["seven days"]},
        {"rework_period": "1.5d"},
    ],
)
def test_other_invalid_values_are_rejected(data) -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate(data)


# --------------------------------------------------------------------------- labels


def _event_types() -> list[str]:
    union = typing.get_args(typing.get_args(Event)[0])
    types = [typing.get_args(cls.model_fields["type"].annotation)[0] for cls in union]
    assert len(types) == len(set(types)) >= 17
    return types


def test_event_union_matches_the_adapter() -> None:
    for name in _event_types():
        schema_names = json.dumps(EVENT_ADAPTER.json_schema())
        assert name in schema_names


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("stage", list(Stage)),
        ("rung", list(Rung)),
        ("role", list(Role)),
        ("verdict", list(Verdict)),
        ("outcome", list(Outcome)),
        ("plan", list(PlanStatus)),
        ("basis", list(BasisKind)),
        ("event", _event_types()),
    ],
)
def test_every_code_has_a_chinese_and_an_english_label(prefix: str, values: list) -> None:
    keys = set(all_keys())
    for value in values:
        key = f"{prefix}.{value}"
        assert key in keys, key
        zh, en = label(key, "zh"), label(key, "en")
        assert zh != str(value) and en and zh != en, key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{key}: {zh!r} has no Chinese"
        assert enum_label(prefix, value) == zh and enum_label(prefix, value, "en") == en


def test_labels_for_known_codes() -> None:
    assert label("stage.closed") == "已销号"
    assert label("stage.closed", "en") == "closed"
    assert enum_label("verdict", Verdict.FAILED_SATISFACTION) == "群众满意度否决"
    assert enum_label("rung", Rung.PERSONNEL_ADJUSTMENT) == "组织调整"
    assert label("event.RelapseRecorded") == "问题反弹，重新整顿"


def test_unknown_label_falls_back_to_the_code() -> None:
    assert label("stage.nowhere") == "nowhere"
    assert label("plain") == "plain"
    assert enum_label("stage", None) == "-"


def test_every_default_category_has_both_labels() -> None:
    for code, lab in Policy().problem_categories.items():
        assert lab.zh and lab.en and lab.zh != code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in lab.zh)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rework_period": "0d"}, "rework_period must be positive"),
        ({"consolidation_period": "-1 day"}, "consolidation_period must not be negative"),
        ({"escalation_ladder": [{"rung": "reminder_talk", "after": "-1 day"}]}, "is not an offset"),
    ],
)
def test_durations_that_would_make_no_sense_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Policy.model_validate(data)


def test_a_zero_consolidation_period_is_allowed() -> None:
    assert Policy.model_validate({"consolidation_period": "0d"}).consolidation_period == timedelta(0)


def test_the_complete_example_policy_loads_and_the_readme_shows_it_verbatim() -> None:
    from pathlib import Path

    from settings.files import load_model

    root = Path(__file__).resolve().parents[2]
    example = root / "examples" / "policy.yaml"
    policy = load_model(Policy, example)
    assert policy.version == "county-2026.1" and policy.cadence.monthly_digest.day == 5
    assert policy.designation.shares["village"] == 0.1 and policy.projects.urge_count == 3
    assert "```yaml\n" + example.read_text(encoding="utf-8") + "```" in (root / "README.md").read_text(encoding="utf-8")
