"""Attacks on identity against the real stack: `pdca up` (Temporal dev server, worker, HTTP API) in a
temporary PDCA_HOME, people signed in with `pdca login`, one case waiting for its plan's approval.

Every attempt to approve that plan as someone else, with an altered, expired, foreign or missing
credential, or without the approver's own valid signature, is refused with a clear reason and leaves
the audit log as it was; the refusals are counted (pdca_commands_rejected_total). Last, the township
secretary approves it for real and the record carries the proof.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.actors import Role
from domain.identity import Claims, PersonalSignature, PersonKey, decode_unverified, encode_credential, generate_key, sign_command
from domain.identity.algorithms import b64, unb64
from domain.identity.signatures import signed_document
from service.identity import Caller, CredentialStore
from store.keys import KeyStore
from store.payload_codec import PayloadKeys, data_converter
from tests.stack_driver import EXAMPLES, Stack, pdca, start_stack
from workflows.audited import REFRESH_KEYS, UPDATE_NAME, Request

pytestmark = pytest.mark.e2e

CASE = "rect-V001-2026"
APPROVE: dict[str, Any] = {"type": "ApprovePlan", "comments": "同意"}
FORGED_ACTOR = {"id": "mallory", "roles": ["supervisor"], "scope": ["*"]}


# ----------------------------------------------------------------------------- the stack


@dataclass
class World:
    stack: Stack
    passwords: dict[str, str]

    @property
    def home(self) -> Path:
        return self.stack.home

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    def authority(self) -> KeyStore:
        """The stack's own credential authority (what `pdca up` created and the server signs with)."""
        return KeyStore(self.home / "authority")

    def signed_in(self, person_id: str) -> Caller:
        """A person's credential and private signing key as `pdca login` stored them on this machine."""
        return CredentialStore(self.home / "credentials").load(person_id)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The stack; admin signs in and imports the people; the supervisor, the township secretary and the
    branch secretary sign in; the case is opened and its plan submitted (the README's walkthrough)."""
    stack = start_stack(tmp_path_factory.mktemp("identity-attacks") / "home")
    try:
        env = stack.env
        password = (stack.home / "initial-admin-password").read_text().strip()
        assert any(password in line for line in stack.lines)  # printed once, too
        pdca(env, "login", "admin", "--password-stdin", stdin=password + "\n")
        imported = json.loads(pdca(env, "person", "import", str(EXAMPLES / "actors.yaml"), "--passwords", "--json").stdout)
        passwords: dict[str, str] = imported["passwords"]
        assert {"wang.sup", "zhao.town", "chen.branch"} <= set(passwords)
        for who in ("wang.sup", "zhao.town", "chen.branch"):
            pdca(env, "login", who, "--password-stdin", stdin=passwords[who] + "\n")
        policy = str(EXAMPLES / "policy-walkthrough.yaml")
        opened = pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", "--policy", policy)
        assert "立案认定" in opened.stdout
        submitted = json.loads(
            pdca(env, "case", "plan", "submit", CASE, str(EXAMPLES / "plan-V001.yaml"), "--as", "chen.branch", "--json").stdout
        )
        assert submitted["events"] == ["PlanSubmitted"] and submitted["stage"] == "planning"
        yield World(stack, passwords)
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def client(world: World) -> AsyncIterator[Client]:
    """A raw Temporal client, as an attacker with network access to Temporal would hold one (and the
    stack's payload keys, so that the workflow's refusals can be read: they are encrypted too)."""
    converter = data_converter(keys=PayloadKeys(world.home / "payload-keys"))
    yield await Client.connect(world.env["TEMPORAL_ADDRESS"], data_converter=converter)


# ----------------------------------------------------------------------------- helpers


def audit_rows(home: Path) -> list[tuple[int, str, str]]:
    """The case's rows in the audit database (version, type, hash), read straight from the SQLite file."""
    with closing(sqlite3.connect(f"file:{home / 'audit.db'}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT version, event_type, hash FROM audit_event WHERE stream_id = ? ORDER BY version", (CASE,))
        return [(int(v), str(t), str(h)) for v, t, h in rows]


@contextmanager
def audit_unchanged(world: World) -> Iterator[None]:
    before = audit_rows(world.home)
    assert [t for _, t, _ in before] == ["CaseOpened", "PlanSubmitted"]
    yield
    assert audit_rows(world.home) == before


async def refused(client: Client, payload: Any, name: str = UPDATE_NAME) -> ApplicationError:
    """The workflow's refusal of a raw ``command`` Update (it must be refused)."""
    try:
        accepted = await client.get_workflow_handle(CASE).execute_update(name, payload)
    except WorkflowUpdateFailedError as error:
        assert isinstance(error.cause, ApplicationError), error.cause
        return error.cause
    raise AssertionError(f"accepted: {accepted!r}")


def issue(
    authority: KeyStore,
    sub: str,
    roles: list[Role],
    scope: list[str],
    key: PersonKey | None,
    *,
    iat: datetime | None = None,
    exp: datetime | None = None,
) -> str:
    """A credential signed by ``authority`` as the server's `issue` makes one (the claims chosen here)."""
    now = datetime.now(UTC)
    signing = authority.signing_key()
    claims = Claims(
        sub=sub,
        name=sub,
        roles=roles,
        scope=scope,
        iat=int((iat or now).timestamp()),
        exp=int((exp or now + timedelta(hours=1)).timestamp()),
        jti=uuid.uuid4().hex,
        key=key,
    )
    return encode_credential(claims, signing.kid, signing.alg, signing.private)


def signed(caller: Caller, body: dict[str, Any] = APPROVE, *, credential: str | None = None) -> Request:
    """A well-formed request: ``credential`` (default the caller's) and the caller's valid signature."""
    rid = uuid.uuid4().hex
    return Request(request_id=rid, command=body, credential=credential or caller.credential, signature=caller.signature(CASE, rid, body))


def edited_claims(credential: str, **changes: Any) -> str:
    """The credential with its claims edited after signing (header and signature kept)."""
    head, body, signature = credential.split(".")
    claims = {**json.loads(unb64(body)), **changes}
    return f"{head}.{b64(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"


def altered_signature(signature: str) -> str:
    """A signature (base64url) with one bit of its first byte flipped."""
    raw = unb64(signature)
    return b64(bytes([raw[0] ^ 1]) + raw[1:])


def kid_of(credential: str) -> str:
    """The authority key id a credential names in its header."""
    return str(json.loads(unb64(credential.split(".")[0]))["kid"])


def http_post(world: World, path: str, body: dict[str, Any], bearer: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{world.stack.api_port}{path}", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    return _http(request)


def http_get(world: World, path: str, bearer: str) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{world.stack.api_port}{path}", headers={"Authorization": f"Bearer {bearer}"})
    return _http(request)


def _http(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


# ----------------------------------------------------------------------------- the attempts


async def test_1_2_raw_update_with_a_forged_actor_and_no_credential(world: World, client: Client) -> None:
    with audit_unchanged(world):
        for actor in (FORGED_ACTOR, {**FORGED_ACTOR, "id": "ghost"}, {"id": "system", "roles": ["system"], "scope": ["*"]}):
            error = await refused(client, {"request_id": uuid.uuid4().hex, "command": {**APPROVE, "actor": actor}})
            assert error.type == "credential_missing", (actor, error)
            assert "no credential: sign in first" in error.message
        # "system" with a credential the authority itself signed: still no one may act as the system
        system = issue(world.authority(), "system", [Role.SUPERVISOR], ["*"], None)
        error = await refused(client, Request(request_id=uuid.uuid4().hex, command=APPROVE, credential=system))
        assert error.type == "invalid_credential" and "no person may act as the system" in error.message
        # a valid credential does not make an actor in the body count: such a command is refused
        zhao = world.signed_in("zhao.town")
        error = await refused(client, signed(zhao, {**APPROVE, "actor": FORGED_ACTOR}))
        assert error.type == "invalid_command" and "may not carry 'actor'" in error.message


async def test_3_claims_edited_after_signing(world: World, client: Client) -> None:
    chen = world.signed_in("chen.branch")  # a branch secretary making himself a county-wide supervisor
    forged = edited_claims(chen.credential, roles=["supervisor"], scope=["*"])
    assert decode_unverified(forged).roles == [Role.SUPERVISOR]
    with audit_unchanged(world):
        error = await refused(client, signed(chen, credential=forged))
    assert error.type == "invalid_credential"
    assert "signature does not verify: it was altered or not issued by the authority" in error.message


async def test_4_township_secretary_of_another_region(world: World, client: Client) -> None:
    private, public = generate_key("ed25519")
    key = PersonKey.of("ed25519", public)
    credential = issue(world.authority(), "sun.town", [Role.TOWNSHIP_SECRETARY], ["北关镇"], key)
    rid = uuid.uuid4().hex
    signature = sign_command(signed_document(CASE, rid, APPROVE), key, private)  # his own, valid
    with audit_unchanged(world):
        error = await refused(client, Request(request_id=rid, command=APPROVE, credential=credential, signature=signature))
    assert error.type == "permission_denied" and "sun.town may not act on organization V001 (城关镇)" in error.message


def test_5_the_plan_author_approving_his_own_plan(world: World) -> None:
    with audit_unchanged(world):
        result = pdca(world.env, "case", "plan", "approve", CASE, "--as", "chen.branch", "--comment", "自己批准", ok=False)
    assert result.returncode == 1, result
    assert "错误：无权操作：chen.branch has none of the roles allowed to ApprovePlan: supervisor, township_secretary" in result.stderr
    assert "Traceback" not in result.stderr


def test_6_no_actor_file_and_no_acting_as_someone_not_signed_in(world: World, tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text("actors:\n  - id: mallory\n    name: M\n    roles: [supervisor]\n    scope: ['*']\n", encoding="utf-8")
    with audit_unchanged(world):
        option = pdca(world.env, "--actors", str(evil), "case", "plan", "approve", CASE, "--as", "mallory", ok=False)
        assert option.returncode == 2 and "No such option: --actors" in option.stderr
        # the old variable is no directory any more: whom it names is nobody signed in
        variable = pdca({**world.env, "PDCA_ACTORS": str(evil)}, "case", "plan", "approve", CASE, "--as", "mallory", ok=False)
        assert variable.returncode == 1 and "mallory is not signed in on this machine: run `pdca login mallory`" in variable.stderr
        for args in (("--as", "sup1", "case", "plan", "approve", CASE), ("case", "plan", "approve", CASE, "--as", "sup1")):
            absent = pdca(world.env, *args, ok=False)
            assert absent.returncode == 1 and "错误：未登录：sup1 is not signed in on this machine: run `pdca login sup1`" in absent.stderr
            assert "Traceback" not in absent.stderr


async def test_7_expired_credential(world: World, client: Client) -> None:
    wang = world.signed_in("wang.sup")
    now = datetime.now(UTC)
    expired = issue(
        world.authority(), "wang.sup", [Role.SUPERVISOR], ["*"], wang.claims.key, iat=now - timedelta(hours=9), exp=now - timedelta(hours=1)
    )
    with audit_unchanged(world):
        error = await refused(client, signed(wang, credential=expired))
    assert error.type == "credential_expired" and "the credential of wang.sup expired at" in error.message


async def test_8_credential_of_an_unknown_authority_key(world: World, client: Client) -> None:
    from service.bootstrap import bootstrap
    from service.errors import Refused
    from service.identity import caller_of
    from service.streams import send
    from settings import Settings

    wang = world.signed_in("wang.sup")
    with tempfile.TemporaryDirectory() as elsewhere:
        rogue = KeyStore(Path(elsewhere) / "authority")
        rogue.ensure("ed25519")
        foreign = issue(rogue, "wang.sup", [Role.SUPERVISOR], ["*"], wang.claims.key)
    with audit_unchanged(world):
        # through the service: refused unknown_key, the stream fetches its keys again, refused again
        settings = Settings(home=world.home, authority_dir=world.home / "authority", credentials_dir=world.home / "credentials")
        deps = bootstrap(
            settings=settings,
            database_url=f"sqlite:///{world.home / 'audit.db'}",
            client=client,
            caller=caller_of(foreign, wang.private_key),
        )
        with pytest.raises(Refused) as service_refusal:
            await send(deps, CASE, APPROVE, request_id=uuid.uuid4().hex)
        assert service_refusal.value.code == "unknown_key" and "not a trusted authority key" in service_refusal.value.message
        # raw: a refresh fetches the stack's keys (one: the rogue key is not among them); still refused
        deadline = time.monotonic() + 60
        while True:
            try:
                held = await client.get_workflow_handle(CASE).execute_update(REFRESH_KEYS, result_type=int)
                break
            except WorkflowUpdateFailedError as too_soon:
                assert isinstance(too_soon.cause, ApplicationError) and too_soon.cause.type == "too_soon", too_soon.cause
                assert time.monotonic() < deadline
                await asyncio.sleep(0.5)
        assert held == len(world.authority().trusted().keys) == 1
        error = await refused(client, signed(wang, credential=foreign))
    assert error.type == "unknown_key" and f"{kid_of(foreign)!r}, which is not a trusted authority key" in error.message


async def test_9_personal_signature_altered_or_missing(world: World, client: Client) -> None:
    wang = world.signed_in("wang.sup")
    zhao = world.signed_in("zhao.town")
    with audit_unchanged(world):
        honest = signed(wang)
        assert honest.signature is not None
        tampered = honest.model_copy(
            update={"signature": honest.signature.model_copy(update={"value": altered_signature(honest.signature.value)})}
        )
        error = await refused(client, tampered)
        assert error.type == "invalid_signature" and "the signature does not verify with wang.sup's key" in error.message

        rid = uuid.uuid4().hex  # signed "同意" over another comment, sent with this one
        other: PersonalSignature = wang.signature(CASE, rid, {**APPROVE, "comments": "另一条意见"})
        error = await refused(client, Request(request_id=rid, command=APPROVE, credential=wang.credential, signature=other))
        assert error.type == "invalid_signature" and "the signature is over another command" in error.message

        rid = uuid.uuid4().hex  # another person's valid signature under wang.sup's credential
        error = await refused(
            client, Request(request_id=rid, command=APPROVE, credential=wang.credential, signature=zhao.signature(CASE, rid, APPROVE))
        )
        assert error.type == "invalid_signature" and "not by wang.sup's registered key" in error.message

        error = await refused(client, Request(request_id=uuid.uuid4().hex, command=APPROVE, credential=wang.credential))
        assert error.type == "signature_required" and "it must carry wang.sup's personal signature" in error.message


def test_10_http_api_without_or_with_a_tampered_bearer(world: World) -> None:
    path = f"/api/v1/streams/{CASE}/commands"
    chen = world.signed_in("chen.branch")
    head, body, signature = chen.credential.split(".")
    with tempfile.TemporaryDirectory() as elsewhere:
        rogue = KeyStore(Path(elsewhere) / "authority")
        rogue.ensure("ed25519")
        foreign = issue(rogue, "chen.branch", [Role.SUPERVISOR], ["*"], chen.claims.key)
    with audit_unchanged(world):
        status, answer = http_post(world, path, {"command": APPROVE}, None)
        assert (status, answer["error"]) == (401, "credential_missing"), answer
        attempts = {
            "claims edited": edited_claims(chen.credential, roles=["supervisor"], scope=["*"]),
            "signature altered": f"{head}.{body}.{altered_signature(signature)}",
            "not a credential": "Zm9v.YmFy",
        }
        for what, bearer in attempts.items():
            status, answer = http_post(world, path, {"command": APPROVE}, bearer)
            assert (status, answer["error"]) == (401, "invalid_credential"), (what, answer)
            assert answer["message"], what
        status, answer = http_post(world, path, {"command": APPROVE}, foreign)
        assert (status, answer["error"]) == (401, "unknown_key"), answer
        # a valid bearer does not let the body say who acts
        status, answer = http_post(world, path, {"command": {**APPROVE, "actor": FORGED_ACTOR}}, world.signed_in("zhao.town").credential)
        assert (status, answer["error"]) == (400, "invalid_command") and "may not carry 'actor'" in answer["message"], answer


async def test_refusals_are_counted(world: World, client: Client) -> None:
    with audit_unchanged(world):  # one of each, so that this test stands on its own
        await refused(client, {"request_id": uuid.uuid4().hex, "command": {**APPROVE, "actor": FORGED_ACTOR}})
        chen = world.signed_in("chen.branch")
        await refused(client, signed(chen, credential=edited_claims(chen.credential, roles=["supervisor"])))
    wanted = {"credential_missing", "invalid_credential"}
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{world.stack.sdk_metrics_port}/metrics", timeout=10) as response:
            lines = [line for line in response.read().decode().splitlines() if line.startswith("pdca_commands_rejected_total{")]
        counted = {line.split('reason="', 1)[1].split('"', 1)[0] for line in lines if 'command="ApprovePlan"' in line}
        if wanted <= counted:
            break
        assert time.monotonic() < deadline, f"pdca_commands_rejected_total reasons {counted}, not {wanted}:\n" + "\n".join(lines)
        await asyncio.sleep(0.5)


def test_11_the_township_secretary_approves(world: World) -> None:
    zhao = world.signed_in("zhao.town")
    approved = pdca(world.env, "case", "plan", "approve", CASE, "--as", "zhao.town", "--comment", "同意")
    assert "方案批准" in approved.stdout and "整改实施" in approved.stdout
    assert [t for _, t, _ in audit_rows(world.home)] == ["CaseOpened", "PlanSubmitted", "PlanApproved"]

    history = json.loads(pdca(world.env, "case", "history", CASE, "--json").stdout)
    row = history[-1]
    assert row["event_type"] == "PlanApproved" and row["actor"] == "zhao.town"
    proof = row["event"]["proof"]
    assert proof["credential"] == zhao.claims.jti
    signature = proof["signature"]
    assert zhao.claims.key is not None and signature["key"] == zhao.claims.key.fingerprint
    assert signature["credential"] == zhao.claims.jti and signature["value"]
    assert signature["document"]["stream"] == CASE and signature["document"]["command"] == APPROVE

    status, rows = http_get(world, f"/api/v1/streams/{CASE}/history", zhao.credential)
    assert status == 200 and rows[-1]["type"] == "PlanApproved"
    assert rows[-1]["signed"] is True and rows[-1]["credential"] == zhao.claims.jti

    verified = json.loads(pdca(world.env, "audit", "verify", "--json").stdout)
    assert verified["ok"] is True and verified["bad_position"] is None
    checked = json.loads(pdca(world.env, "audit", "verify", "--signatures", "--json").stdout)
    assert checked["chain"]["ok"] is True and checked["signatures"]["checked"] >= 1 and checked["signatures"]["problems"] == []
