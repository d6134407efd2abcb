"""One settings object: every PDCA_* variable, the locations derived from PDCA_HOME, read afresh."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from domain.policy import Policy
from settings import Settings, get_settings, secret
from settings.directory import load_policy
from settings.errors import InputError
from settings.files import load_model


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("PDCA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))


def test_defaults_live_under_the_home_directory(tmp_path: Path) -> None:
    s = get_settings()
    home = tmp_path / "user" / ".pdca"
    assert s.home == home
    assert s.audit_database_url == f"sqlite:///{home / 'audit.db'}"
    assert (s.actors_file, s.channels_file, s.calendar_file) == (home / "actors.yaml", home / "channels.yaml", home / "calendar.yaml")
    assert (s.checkpoints_path, s.audit_key_path, s.reports_path) == (home / "checkpoints", home / "audit-keys", home / "reports")
    assert (s.task_queue, s.metrics_port, s.sdk_metrics_port, s.metrics_addr) == ("pdca-rectification", 9464, 9465, "127.0.0.1")
    assert (s.lang, s.log_format, s.actor, s.policy, s.report_font) == ("zh", None, None, None, None)


def test_pdca_home_moves_every_derived_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDCA_HOME", "~/elsewhere")
    s = get_settings()
    assert s.home == tmp_path / "user" / "elsewhere"  # ~ expanded, once, here
    assert s.channels_file == s.home / "channels.yaml" and s.audit_database_url.endswith("/elsewhere/audit.db")


def test_explicit_variables_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {
        "PDCA_DATABASE_URL": "postgresql://u@db/pdca",
        "PDCA_ACTORS": str(tmp_path / "a.yaml"),
        "PDCA_CHANNELS": str(tmp_path / "c.yaml"),
        "PDCA_CALENDAR": str(tmp_path / "cal.yaml"),
        "PDCA_DIGEST_DIR": str(tmp_path / "d"),
        "PDCA_REPORTS_DIR": str(tmp_path / "r"),
        "PDCA_TASK_QUEUE": "q2",
        "PDCA_METRICS_PORT": "0",
        "PDCA_SDK_METRICS_PORT": "19465",
        "PDCA_METRICS_ADDR": "0.0.0.0",
        "PDCA_LOG_FORMAT": "json",
        "PDCA_LANG": "en",
        "PDCA_ACTOR": "sup-1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = get_settings()
    assert s.audit_database_url == "postgresql://u@db/pdca"
    assert (s.actors_file, s.channels_file, s.calendar_file) == (tmp_path / "a.yaml", tmp_path / "c.yaml", tmp_path / "cal.yaml")
    assert (s.checkpoints_path, s.reports_path) == (tmp_path / "d", tmp_path / "r")  # the retired PDCA_DIGEST_DIR: an alias
    assert (s.task_queue, s.metrics_port, s.sdk_metrics_port, s.metrics_addr) == ("q2", 0, 19465, "0.0.0.0")
    assert (s.log_format, s.lang, s.actor) == ("json", "en", "sup-1")


def test_every_call_sees_the_environment_as_it_is_now(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = get_settings()
    assert get_settings() is first  # unchanged environment: the same (frozen) object
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "up"))  # what `pdca up` does for its children
    assert get_settings().home == tmp_path / "up"
    monkeypatch.setenv("PDCA_HOME", "")  # empty counts as unset
    assert get_settings().home == tmp_path / "user" / ".pdca"


def test_a_value_that_cannot_be_used_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDCA_METRICS_PORT", "ninety")
    with pytest.raises(InputError, match="PDCA_METRICS_PORT='ninety'"):
        get_settings()
    monkeypatch.setenv("PDCA_METRICS_PORT", "9464")
    monkeypatch.setenv("PDCA_LOG_FORMAT", "xml")
    with pytest.raises(InputError, match="PDCA_LOG_FORMAT='xml'"):
        get_settings()


def test_every_field_is_a_pdca_variable() -> None:
    assert {Settings.variable(name) for name in Settings.model_fields} >= {
        "PDCA_HOME", "PDCA_DATABASE_URL", "PDCA_ACTORS", "PDCA_ACTOR", "PDCA_POLICY", "PDCA_LANG", "PDCA_CHANNELS",
        "PDCA_CALENDAR", "PDCA_TASK_QUEUE", "PDCA_METRICS_PORT", "PDCA_SDK_METRICS_PORT", "PDCA_METRICS_ADDR",
        "PDCA_LOG_FORMAT", "PDCA_DIGEST_DIR", "PDCA_REPORTS_DIR", "PDCA_REPORT_FONT",
    }


def test_secrets_are_read_when_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert secret("ROBOT_URL_FOR_TEST") is None
    monkeypatch.setenv("ROBOT_URL_FOR_TEST", "https://robot/?access_token=abc")
    assert secret("ROBOT_URL_FOR_TEST") == "https://robot/?access_token=abc"


def test_a_bad_file_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    from settings.directory import ActorDirectory

    path = tmp_path / "actors.yaml"
    path.write_text("actors:\n  - id: a\n    name: A\n    roles: [nobody]\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{path}:4: actors.0.roles.0"):
        load_model(ActorDirectory, path)
    with pytest.raises(InputError, match="no such file"):
        load_model(ActorDirectory, tmp_path / "missing.yaml")


@pytest.mark.parametrize("value", ["2027-02-30", "2026-13-01", "2026-04-31T10:00:00+08:00"])
def test_an_impossible_date_is_an_input_error_with_its_line(tmp_path: Path, value: str) -> None:
    from domain.rectification import SubmitPlan

    path = tmp_path / "plan.yaml"
    plan = f"measures:\n  - id: M1\n    description: d\n    problems: [P1]\n    responsible: a\n    deadline: {value}\n"
    path.write_text(plan, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}:6: measures.0.deadline: invalid YAML: '{value}' is not a real date or time")):
        load_model(SubmitPlan, path)


def test_the_policy_comes_from_options_or_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_policy(None) == Policy()  # the built-in policy
    monkeypatch.setenv("PDCA_POLICY", str(tmp_path / "policy.yaml"))
    with pytest.raises(InputError, match="policy.yaml: no such file"):
        load_policy(None)
