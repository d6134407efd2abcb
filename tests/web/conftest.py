"""The console without Temporal: a seeded audit database (a people directory, a case in implementation,
its projections), the real application, sign-in through the real form; commands the pages send are
captured here (the workflows' own tests and tests/browser cover sending them for real)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api import create_app
from domain.actors import Role
from domain.decider import Proof
from domain.people import DIRECTORY_ID, DirectoryOpened, PersonAdded, PersonInput
from service import signin
from service.commands import Done
from settings import Settings, get_settings
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.keys import KeyStore
from store.migrate import upgrade
from store.projections import PROJECTORS
from tests.unit import builders

PASSWORD = "correct horse battery"
BASE = "http://localhost:8470"
CASE = "rect-V001-2026"
PEOPLE = [
    PersonInput(id="admin", name="管理员", roles=[Role.ADMIN]),
    PersonInput(id="sup-1", name="督导员甲", roles=[Role.SUPERVISOR]),
    PersonInput(id="ts-1", name="镇党委书记", roles=[Role.TOWNSHIP_SECRETARY], scope=[builders.REGION]),
    PersonInput(id="bs-1", name="村支书", roles=[Role.BRANCH_SECRETARY], scope=[builders.ORG]),
    PersonInput(id="fs-1", name="第一书记", roles=[Role.FIRST_SECRETARY], scope=[builders.ORG]),
    PersonInput(id="bs-9", name="别村支书", roles=[Role.BRANCH_SECRETARY], scope=["V009"]),
]


def _append(engine: Any, stream_id: str, events: list[Any]) -> None:
    log = AuditLog(engine, PROJECTORS)
    version = len(log.read_stream(stream_id))
    rows = [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in events]
    log.append(stream_id, version, rows)


def seed(engine: Any) -> builders.Case:
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    proof = Proof(credential="jti-admin")
    directory: list[Any] = [DirectoryOpened(at=at, actor="admin", proof=proof, admin=PEOPLE[0])]
    directory += [PersonAdded(at=at, actor="admin", proof=proof, person=p) for p in PEOPLE[1:]]
    _append(engine, DIRECTORY_ID, directory)
    case = builders.implementing()
    _append(engine, CASE, case.events)
    return case


class Session(httpx.AsyncClient):
    """A signed-in browser: ``async with`` closes it (it is already open from signing in)."""

    async def __aenter__(self) -> Session:
        return self


@dataclass
class Sent:
    stream_id: str
    command: Any
    request_id: str | None
    signature: Any
    caller: str


@dataclass
class Console:
    settings: Settings
    app: FastAPI
    engine: Any
    home: Path
    case: builders.Case
    sent: list[Sent] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url=BASE, follow_redirects=False)

    async def signed_in(self, person_id: str) -> Session:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        http = Session(transport=transport, base_url=BASE, follow_redirects=False)
        page = await http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token, page.text
        answer = await http.post("/login", data={"id": person_id, "password": PASSWORD, "login_csrf": token.group(1), "next": "/tasks"})
        assert answer.status_code == 303, answer.text
        return http

    def append(self, events: list[Any]) -> None:
        _append(self.engine, CASE, events)


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_AUTHORITY_DIR", str(tmp_path / "authority"))
    monkeypatch.setenv("PDCA_CREDENTIALS_DIR", str(tmp_path / "credentials"))
    monkeypatch.setenv("PDCA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("PDCA_POLICY", raising=False)
    monkeypatch.delenv("PDCA_PUBLIC_URL", raising=False)
    monkeypatch.delenv("PDCA_API_PORT", raising=False)
    settings = get_settings()
    KeyStore(settings.authority_path).ensure("ed25519")
    engine = make_engine(url)
    upgrade(engine)
    case = seed(engine)
    for person in PEOPLE:
        signin.set_password(engine, person.id, PASSWORD)
    app = create_app(settings)
    world = Console(settings=settings, app=app, engine=engine, home=tmp_path, case=case)

    async def send(deps: Any, stream_id: str, cmd: Any, request_id: str | None = None, signature: Any = None) -> Done:
        world.sent.append(Sent(stream_id, cmd, request_id, signature, deps.caller.id))
        return Done(stream_id=stream_id, version=99, stage="implementing", events=[], request_id=request_id)

    monkeypatch.setattr("web.pages.commands.send", send)

    async def no_client() -> None:
        return None

    monkeypatch.setattr(app.state.resources, "client", no_client)
    yield world
    engine.dispose()
