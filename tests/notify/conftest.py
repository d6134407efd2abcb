from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine

from activities.channels import load_channels_config, load_directory
from activities.notify import Notice, Notifier, NotifyActivities
from domain.rectification import MeasureOverdue, ReminderSent
from store.db import make_engine
from store.migrate import upgrade
from store.notify_models import DeliveryLedger
from tests.notify.servers import HttpRecorder, MailBox, start_http, start_smtp

# Temporal fixtures of tests/workflow (time-skipping and dev servers), for the workflow tests here.
from tests.workflow.conftest import dev_env, time_env  # noqa: F401

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing


@pytest.fixture(autouse=True)
def _local_servers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorders here listen on 127.0.0.1, which webhook URLs may not reach unless allowed
    (settings/urls.py); a worker started by a test inherits the variable."""
    monkeypatch.setenv("PDCA_ALLOW_PRIVATE_URLS", "1")


@pytest.fixture
def http() -> Iterator[HttpRecorder]:
    recorder, server = start_http()
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[tuple[MailBox, int]]:
    box, controller = start_smtp()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    return engine


def reminder(recipients: list[str], measure: str = "M1") -> Notice:
    event = ReminderSent(
        at=NOW, actor="system", measure_id=measure, deadline=NOW + timedelta(days=5), lead="5wd", covers=["5wd"], recipients=recipients
    )
    return Notice(event_id=str(uuid.uuid4()), case_id="rect-V001-2026", org_name="城关镇东村党支部", payload=event.model_dump_json())


def overdue(recipients: list[str]) -> Notice:
    event = MeasureOverdue(at=NOW, actor="system", measure_id="M2", deadline=NOW - timedelta(hours=1), recipients=recipients)
    return Notice(event_id=str(uuid.uuid4()), case_id="rect-V001-2026", org_name="城关镇东村党支部", payload=event.model_dump_json())


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def activities_from(tmp_path: Path, channels: dict, actors: list[dict], engine: Engine) -> NotifyActivities:
    """NotifyActivities exactly as the worker builds them, from a channels file and an actor directory."""
    config, _ = load_channels_config(write(tmp_path / "channels.yaml", channels))
    directory = load_directory(write(tmp_path / "actors.yaml", {"actors": actors}), config)
    return NotifyActivities(notifier=Notifier.from_config(config, directory, DeliveryLedger(engine)))


def actor(actor_id: str, **contact) -> dict:  # type: ignore[no-untyped-def]
    return {"id": actor_id, "name": contact.pop("name", actor_id), "roles": ["branch_secretary"], **contact}

