"""The HTTP API without Temporal: credentials verified at the door, sign-in against a seeded people
directory (passwords, lock-out, TOTP), the error mapping, the body limit, and commands handed to the
service with the request's own credential (the service's ``send`` / ``open_stream`` replaced here)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from api import create_app
from domain.actors import Role
from domain.decider import Proof
from domain.identity import Claims, PersonalSignature, PersonKey, encode_credential, generate_key, sign_command, signed_document
from domain.identity.algorithms import b64, unb64
from domain.people import DIRECTORY_ID, DirectoryOpened, Person, PersonAdded, PersonInput
from service import commands, signin
from service.bootstrap import Deps
from service.commands import Done
from service.errors import Closed, NotFound, Refused, Unavailable
from settings import Settings, get_settings
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.keys import KeyStore
from store.migrate import upgrade

PASSWORD = "correct horse battery"
ADMIN = Person(id="admin", name="管理员", roles=[Role.ADMIN], scope=["*"])
SUPERVISOR = Person(id="sup1", name="督导员甲", roles=[Role.SUPERVISOR], scope=["*"])


@dataclass
class World:
    settings: Settings
    app: FastAPI
    http: httpx.AsyncClient
    engine: Any
    home: Path

    def credential(self, person: Person = SUPERVISOR, **kwargs: Any) -> str:
        return signin.issue(self.settings, person, **kwargs)

    def bearer(self, person: Person = SUPERVISOR) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential(person)}"}


def seed_directory(engine: Any) -> None:
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    proof = Proof(credential="jti-admin")
    events: list[DirectoryOpened | PersonAdded] = [
        DirectoryOpened(at=at, actor="admin", proof=proof, admin=PersonInput(id="admin", name="管理员", roles=[Role.ADMIN])),
        PersonAdded(at=at, actor="admin", proof=proof, person=PersonInput(id="sup1", name="督导员甲", roles=[Role.SUPERVISOR])),
    ]
    AuditLog(engine).append(
        DIRECTORY_ID,
        0,
        [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in events],
    )


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_AUTHORITY_DIR", str(tmp_path / "authority"))
    monkeypatch.setenv("PDCA_CREDENTIALS_DIR", str(tmp_path / "credentials"))
    monkeypatch.setenv("PDCA_LOCKOUT_ATTEMPTS", "3")
    monkeypatch.delenv("PDCA_POLICY", raising=False)
    settings = get_settings()
    KeyStore(settings.authority_path).ensure("ed25519")
    engine = make_engine(url)
    upgrade(engine)
    seed_directory(engine)
    signin.set_password(engine, "sup1", PASSWORD)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield World(settings=settings, app=app, http=http, engine=engine, home=tmp_path)
    engine.dispose()


# ----------------------------------------------------------------------------- the shape of the API


async def test_openapi_lists_every_path_and_the_docs_are_served(world: World) -> None:
    response = await world.http.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "PDCA 整改 API"
    assert set(spec["paths"]) == {
        "/api/v1/sign-in",
        "/api/v1/whoami",
        "/api/v1/streams",
        "/api/v1/streams/{stream_id}/commands",
        "/api/v1/streams/{stream_id}/history",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/people",
        "/codec/decode",  # the Temporal UI's codec endpoint (api/codec.py; tests/api/test_codec_api.py)
        "/codec/encode",
    }
    assert "credential" in spec["components"]["securitySchemes"]
    docs = await world.http.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_no_cors_and_unknown_paths_answer_in_the_error_shape(world: World) -> None:
    preflight = await world.http.options(
        "/api/v1/whoami", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    missing = await world.http.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


# ----------------------------------------------------------------------------- credentials at the door


async def test_whoami_answers_the_verified_claims(world: World) -> None:
    response = await world.http.get("/api/v1/whoami", headers=world.bearer())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "sup1" and body["name"] == "督导员甲"
    assert body["roles"] == ["supervisor"] and body["scope"] == ["*"]
    assert body["key_fingerprint"] is None
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    assert response.headers["cache-control"] == "no-store"


async def test_no_credential_is_401(world: World) -> None:
    response = await world.http.get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.json()["error"] == "credential_missing"
    assert response.headers["www-authenticate"].startswith("Bearer")
    other_scheme = await world.http.get("/api/v1/cases", headers={"Authorization": "Basic c3VwMTpwdw=="})
    assert other_scheme.status_code == 401


async def test_an_expired_credential_is_401(world: World) -> None:
    old = world.credential(now=datetime.now(UTC) - timedelta(minutes=world.settings.credential_minutes + 1))
    response = await world.http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert response.json()["error"] == "credential_expired"
    assert "expired" in response.json()["message"]


async def test_a_tampered_credential_is_401(world: World) -> None:
    head, body, signature = world.credential().split(".")
    claims = Claims.model_validate_json(unb64(body))
    forged = claims.model_copy(update={"roles": [Role.COUNTY_LEADER]})
    token = ".".join([head, b64(forged.model_dump_json().encode()), signature])
    response = await world.http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credential"
    assert "does not verify" in response.json()["message"]
    garbage = await world.http.get("/api/v1/whoami", headers={"Authorization": "Bearer not-a-credential"})
    assert garbage.status_code == 401 and "malformed" in garbage.json()["message"]


async def test_a_credential_of_a_foreign_or_retired_key_is_401(world: World) -> None:
    foreign = KeyStore(world.home / "elsewhere")
    foreign.ensure("ed25519")
    signing = foreign.signing_key()
    now = int(datetime.now(UTC).timestamp())
    claims = Claims(sub="sup1", roles=[Role.COUNTY_LEADER], iat=now, exp=now + 600, jti="x")
    token = encode_credential(claims, signing.kid, signing.alg, signing.private)
    response = await world.http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"] == "unknown_key"
    assert signing.kid in response.json()["message"]

    valid = world.credential()
    authority = KeyStore(world.settings.authority_path)
    retired = authority.signing_key().kid
    authority.create("ed25519")
    authority.retire(retired)
    response = await world.http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {valid}"})
    assert response.status_code == 401 and response.json()["error"] == "unknown_key"


# ----------------------------------------------------------------------------- sign-in


async def sign_in(world: World, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    return await world.http.post("/api/v1/sign-in", json={"id": "sup1", "password": password, **extra})


async def test_sign_in_with_the_right_password_issues_a_credential(world: World) -> None:
    response = await sign_in(world)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "sup1" and body["roles"] == ["supervisor"] and body["scope"] == ["*"]
    assert body["key_fingerprint"] is None and body["key_registered"] is False
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    assert response.headers["cache-control"] == "no-store"
    whoami = await world.http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {body['credential']}"})
    assert whoami.status_code == 200 and whoami.json()["id"] == "sup1"


async def test_a_wrong_password_or_unknown_person_is_401_in_the_same_words(world: World) -> None:
    wrong = await sign_in(world, "not the password")
    unknown = await world.http.post("/api/v1/sign-in", json={"id": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "sign_in_failed", "message": "wrong id, password or second factor"}


async def test_repeated_failures_lock_the_account(world: World) -> None:
    for _ in range(3):
        assert (await sign_in(world, "not the password")).status_code == 401
    locked = await sign_in(world)  # even the right password, while locked
    assert locked.status_code == 423
    assert locked.json()["error"] == "account_locked"


async def test_an_enrolled_second_factor_is_required(world: World) -> None:
    secret, _uri = signin.enroll_totp(world.engine, "sup1")
    without = await sign_in(world)
    assert without.status_code == 401 and without.json()["error"] == "sign_in_failed"
    wrong = await sign_in(world, totp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code == 401
    right = await sign_in(world, totp=pyotp.TOTP(secret).now())
    assert right.status_code == 200, right.text


async def test_sign_in_with_a_new_key_registers_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, Any]] = []

    async def fake_send(deps: Deps, stream_id: str, cmd: Any, request_id: str | None = None, signature: Any = None) -> Done:
        sent.append((stream_id, cmd))
        assert deps.caller.id == "sup1"
        return Done(stream_id=stream_id, version=3, stage="open", events=["KeyRegistered"])

    monkeypatch.setattr(commands, "send", fake_send)
    _private, public = generate_key("ed25519")
    key = PersonKey.of("ed25519", public)
    response = await sign_in(world, key=key.model_dump())
    assert response.status_code == 200, response.text
    assert response.json()["key_fingerprint"] == key.fingerprint and response.json()["key_registered"] is True
    assert [(s, c.type, c.key) for s, c in sent] == [(DIRECTORY_ID, "RegisterKey", key)]


async def test_a_malformed_sign_in_never_echoes_the_password(world: World) -> None:
    response = await world.http.post("/api/v1/sign-in", json={"id": "sup1", "password": 12345678901, "extra": 1})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "12345678901" not in response.text


# ----------------------------------------------------------------------------- commands


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the service's Temporal calls: record what the API hands them; a command's ``type``
    names an error to raise instead."""
    calls: list[dict[str, Any]] = []
    failures: dict[str, Exception] = {
        "Forbidden": Refused("supervisors only", code="permission_denied"),
        "Unsigned": Refused("sign it", code="signature_required"),
        "Missing": NotFound("unknown case rect-X-2026", "rect-X-2026"),
        "Finished": Closed("case rect-X-2026 is closed (已销号)"),
        "Down": Unavailable("cannot reach Temporal"),
        "Rules": Refused("not now", code="not_allowed_in_stage"),
        "Boom": RuntimeError("secret internals /etc/passwd"),
    }

    async def client(self: Any) -> Any:
        return object()

    async def fake_send(deps: Deps, stream_id: str, cmd: Any, request_id: str | None = None, signature: Any = None) -> Done:
        calls.append({"stream": stream_id, "cmd": cmd, "request_id": request_id, "signature": signature, "caller": deps.caller})
        if cmd["type"] in failures:
            raise failures[cmd["type"]]
        return Done(stream_id=stream_id, version=4, stage="plan_review", events=["PlanApproved"], request_id=request_id or "fresh")

    async def fake_open(deps: Deps, opening: Any, policy: Any) -> Done:
        calls.append({"opening": opening, "policy": policy, "caller": deps.caller})
        return Done(stream_id="rect-V001-2026", version=1, stage="designated", events=["CaseOpened"])

    monkeypatch.setattr("api.app.Resources.client", client)
    monkeypatch.setattr(commands, "send", fake_send)
    monkeypatch.setattr(commands, "open_stream", fake_open)
    return calls


async def test_a_command_goes_to_the_service_with_the_request_credential_and_signature(
    world: World, fake_service: list[dict[str, Any]]
) -> None:
    token = world.credential()
    command = {"type": "ApprovePlan", "comments": "同意"}
    private, public = generate_key("ed25519")
    signature = sign_command(signed_document("rect-V001-2026", "r-1", command), PersonKey.of("ed25519", public), private)
    response = await world.http.post(
        "/api/v1/streams/rect-V001-2026/commands",
        json={"command": command, "request_id": "r-1", "signature": signature.model_dump(mode="json")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "stream_id": "rect-V001-2026",
        "version": 4,
        "stage": "plan_review",
        "events": ["PlanApproved"],
        "duplicate": False,
        "request_id": "r-1",
    }
    [call] = fake_service
    assert call["stream"] == "rect-V001-2026" and call["cmd"] == command and call["request_id"] == "r-1"
    assert call["signature"] == PersonalSignature.model_validate(signature.model_dump())
    assert call["caller"].credential == token and call["caller"].private_key is None


async def test_a_command_may_not_name_its_actor_nor_be_signed_without_its_request_id(
    world: World, fake_service: list[dict[str, Any]]
) -> None:
    url = "/api/v1/streams/rect-V001-2026/commands"
    named = await world.http.post(
        url, json={"command": {"type": "ApprovePlan", "actor": {"id": "boss", "roles": ["county_leader"]}}}, headers=world.bearer()
    )
    assert named.status_code == 400 and named.json()["error"] == "invalid_command" and "actor" in named.json()["message"]
    signature = {"alg": "ed25519", "digest_alg": "sha256", "digest": "00", "value": "AA", "key": "sha256:00"}
    unsent = await world.http.post(url, json={"command": {"type": "ApprovePlan"}, "signature": signature}, headers=world.bearer())
    assert unsent.status_code == 400 and "request_id" in unsent.json()["message"]
    untyped = await world.http.post(url, json={"command": {"comments": "x"}}, headers=world.bearer())
    assert untyped.status_code == 400
    assert fake_service == []
    anonymous = await world.http.post(url, json={"command": {"type": "ApprovePlan"}})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("Forbidden", 403, "permission_denied"),
        ("Unsigned", 403, "signature_required"),
        ("Missing", 404, "not_found"),
        ("Finished", 409, "closed"),
        ("Down", 503, "unavailable"),
        ("Rules", 400, "not_allowed_in_stage"),
        ("Boom", 500, "internal_error"),
    ],
)
async def test_service_errors_map_to_statuses(world: World, fake_service: list[dict[str, Any]], kind: str, status: int, code: str) -> None:
    response = await world.http.post("/api/v1/streams/rect-X-2026/commands", json={"command": {"type": kind}}, headers=world.bearer())
    assert response.status_code == status
    assert response.json()["error"] == code
    assert "Traceback" not in response.text and "/etc/passwd" not in response.text


async def test_an_opening_takes_the_claimed_actor_and_the_server_policy(world: World, fake_service: list[dict[str, Any]]) -> None:
    opening = {
        "type": "OpenCase",
        "org_code": "V001",
        "org_name": "一村党支部",
        "region": "城关镇",
        "year": 2026,
        "basis": {"kind": "direct", "detail": "软弱涣散直接认定"},
        "problems": [{"category": "weak_leadership", "description": "班子软弱"}],
        "leaders": ["cl1"],
    }
    response = await world.http.post("/api/v1/streams", json={"opening": opening}, headers=world.bearer())
    assert response.status_code == 200, response.text
    [call] = fake_service
    assert type(call["opening"]).__name__ == "OpenCase"
    assert call["opening"].actor.id == "sup1" and call["opening"].actor.roles == [Role.SUPERVISOR]
    assert call["policy"].version == "default-2026.1"

    forged = await world.http.post(
        "/api/v1/streams", json={"opening": {**opening, "actor": {"id": "x", "roles": ["admin"]}}}, headers=world.bearer()
    )
    assert forged.status_code == 400
    other = await world.http.post("/api/v1/streams", json={"opening": {"type": "OpenDirectory"}}, headers=world.bearer())
    assert other.status_code == 400 and "OpenCase" in other.json()["message"]
    bad_policy = await world.http.post("/api/v1/streams", json={"opening": opening, "policy": {"nonsense": 1}}, headers=world.bearer())
    assert bad_policy.status_code == 400 and "nonsense" in bad_policy.json()["message"]


async def test_a_body_over_one_megabyte_is_413(world: World) -> None:
    big = {"command": {"type": "ApprovePlan", "comments": "x" * (1024 * 1024 + 1)}}
    response = await world.http.post("/api/v1/streams/rect-V001-2026/commands", json=big, headers=world.bearer())
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * (300 * 1024)

    streamed = await world.http.post("/api/v1/sign-in", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


# ----------------------------------------------------------------------------- reads


async def test_reads_need_a_credential_and_answer_from_the_audit_log(world: World) -> None:
    for path in ("/api/v1/cases", "/api/v1/projects", "/api/v1/people", f"/api/v1/streams/{DIRECTORY_ID}/history"):
        assert (await world.http.get(path)).status_code == 401, path
    cases = await world.http.get("/api/v1/cases", headers=world.bearer())
    assert cases.status_code == 200 and cases.json() == []
    projects = await world.http.get("/api/v1/projects?year=2026", headers=world.bearer())
    assert projects.status_code == 200 and projects.json() == []
    unknown = await world.http.get("/api/v1/cases/rect-V001-2026", headers=world.bearer())
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    not_a_case = await world.http.get("/api/v1/cases/proj-x", headers=world.bearer())
    assert not_a_case.status_code == 404
    unknown_project = await world.http.get("/api/v1/projects/proj-secretary-V001-2026", headers=world.bearer())
    assert unknown_project.status_code in (400, 404)


async def test_people_lists_the_directory_without_secrets(world: World) -> None:
    response = await world.http.get("/api/v1/people", headers=world.bearer())
    assert response.status_code == 200
    people = {p["id"]: p for p in response.json()}
    assert set(people) == {"admin", "sup1"}
    assert people["sup1"] == {
        "id": "sup1",
        "name": "督导员甲",
        "roles": ["supervisor"],
        "scope": ["*"],
        "status": "active",
        "key_fingerprint": None,
        "keys": [],
    }
    assert "argon2" not in response.text and "password" not in response.text


async def test_history_shows_who_acted_with_which_proof(world: World) -> None:
    response = await world.http.get(f"/api/v1/streams/{DIRECTORY_ID}/history", headers=world.bearer())
    assert response.status_code == 200
    rows = response.json()
    assert [(r["position"], r["version"], r["type"], r["actor"]) for r in rows] == [
        (1, 1, "DirectoryOpened", "admin"),
        (2, 2, "PersonAdded", "admin"),
    ]
    assert all(r["credential"] == "jti-admin" and r["signed"] is False for r in rows)
    assert datetime.fromisoformat(rows[0]["at"]) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    unknown = await world.http.get("/api/v1/streams/rect-V009-2026/history", headers=world.bearer())
    assert unknown.status_code == 404
    nonsense = await world.http.get("/api/v1/streams/zzz/history", headers=world.bearer())
    assert nonsense.status_code == 400


async def test_a_case_reads_back_as_its_ledger_row_its_state_and_its_trail(world: World) -> None:
    from domain import rectification
    from domain.decider import Context
    from domain.policy import Policy
    from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput
    from store.projections import PROJECTORS

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    opening = OpenCase(
        actor=SUPERVISOR.actor(),
        proof=Proof(credential="jti-sup"),
        org_code="V001",
        org_name="青山村党支部",
        region="青山镇",
        year=2026,
        basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第3名", rank=3),
        problems=[ProblemInput(category="weak_leadership", description="班子软弱")],
        leaders=["cl-1"],
    )
    events = rectification.decide(rectification.INITIAL_STATE, opening, Context(now, Policy()))
    case_id = rectification.case_id_for(opening.org_code, opening.year)
    rows = [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in events]
    AuditLog(world.engine, PROJECTORS).append(case_id, 0, rows)

    listed = await world.http.get("/api/v1/cases", headers=world.bearer())
    assert listed.status_code == 200, listed.text
    assert [(c["case_id"], c["org_code"], c["stage"]) for c in listed.json()] == [(case_id, "V001", "designated")]
    assert (await world.http.get("/api/v1/cases?org_code=V999", headers=world.bearer())).json() == []
    shown = await world.http.get(f"/api/v1/cases/{case_id}", headers=world.bearer())
    assert shown.status_code == 200, shown.text
    assert shown.json()["org_code"] == "V001" and shown.json()["stage"] == "designated"
    trail = await world.http.get(f"/api/v1/streams/{case_id}/history", headers=world.bearer())
    assert [r["type"] for r in trail.json()] == [e.type for e in events]
    assert trail.json()[0]["credential"] == "jti-sup"
