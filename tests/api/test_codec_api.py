"""The codec endpoint (api/codec.py): the Temporal UI's /codec/decode and /codec/encode — who may call it
(401 without a valid credential, 403 for anyone but administrators and county-wide supervisors), the
bearer header or the console's session cookie, CORS for the configured origins only, and the log line."""

from __future__ import annotations

import base64
import json
from typing import Any

import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from domain.actors import Role
from domain.people import Person
from store.payload_codec import ENCODING, PayloadKeys, data_converter
from tests.api import test_api
from tests.api.test_api import ADMIN, SUPERVISOR, World
from web.session import SESSION

UI = "http://localhost:8233"
SECRET = "独特问题文本：集体资产台账缺失"
TOWNSHIP_SUPERVISOR = Person(id="sup-town", name="乡镇督导", roles=[Role.SUPERVISOR], scope=["城关镇"])
BRANCH = Person(id="chen", name="陈书记", roles=[Role.BRANCH_SECRETARY], scope=["V001"])
JSON = {"Content-Type": "application/json"}

world = test_api.world  # the API's fixture: a FastAPI app over a seeded directory, its settings, an httpx client


async def sealed_body(world: World, *values: Any) -> str:
    converter = data_converter(keys=PayloadKeys(world.settings.payload_keys_path))
    payloads = await converter.encode(list(values))
    return json_format.MessageToJson(Payloads(payloads=payloads))


def values_of(answer: dict[str, Any]) -> list[Any]:
    return [json.loads(base64.b64decode(p["data"])) for p in answer["payloads"]]


async def test_permitted_staff_decode_with_a_bearer_credential_and_it_is_logged(world: World) -> None:
    body = await sealed_body(world, {"description": SECRET}, 7)
    assert SECRET not in body and "binary/encrypted" not in body  # metadata values are base64 too
    with structlog.testing.capture_logs() as logs:
        headers = {**JSON, **world.bearer(SUPERVISOR), "X-Namespace": "default"}
        response = await world.http.post("/codec/decode", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert values_of(response.json()) == [{"description": SECRET}, 7]
    decoded = [e for e in logs if e["event"] == "payloads_decoded"]
    assert decoded == [{"event": "payloads_decoded", "actor": "sup1", "namespace": "default", "payloads": 2, "log_level": "info"}]
    admin = await world.http.post("/codec/decode", content=body, headers={**JSON, **world.bearer(ADMIN)})
    assert admin.status_code == 200


async def test_the_console_session_cookie_is_accepted(world: World) -> None:
    body = await sealed_body(world, "文本")
    response = await world.http.post("/codec/decode", content=body, headers={**JSON, "Cookie": f"{SESSION}={world.credential(ADMIN)}"})
    assert response.status_code == 200 and values_of(response.json()) == ["文本"]


async def test_no_credential_is_401_and_others_are_403(world: World) -> None:
    body = await sealed_body(world, SECRET)
    missing = await world.http.post("/codec/decode", content=body, headers=JSON)
    assert missing.status_code == 401 and SECRET not in missing.text
    forged = await world.http.post("/codec/decode", content=body, headers={**JSON, "Authorization": "Bearer not-a-credential"})
    assert forged.status_code == 401
    for person in (TOWNSHIP_SUPERVISOR, BRANCH):
        with structlog.testing.capture_logs() as logs:
            refused = await world.http.post("/codec/decode", content=body, headers={**JSON, **world.bearer(person)})
        assert refused.status_code == 403 and refused.json()["error"] == "permission_denied", refused.text
        assert SECRET not in refused.text
        assert [e["actor"] for e in logs if e["event"] == "codec_refused"] == [person.id]
    encode = await world.http.post("/codec/encode", content=body, headers={**JSON, **world.bearer(BRANCH)})
    assert encode.status_code == 403


async def test_encode_then_decode_round_trips(world: World) -> None:
    plain = json_format.MessageToJson(Payloads(payloads=data_converter(keys=PayloadKeys(None)).payload_converter.to_payloads([SECRET])))
    encoded = await world.http.post("/codec/encode", content=plain, headers={**JSON, **world.bearer(ADMIN)})
    assert encoded.status_code == 200 and SECRET not in encoded.text
    [payload] = encoded.json()["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING
    decoded = await world.http.post("/codec/decode", content=encoded.text, headers={**JSON, **world.bearer(ADMIN)})
    assert values_of(decoded.json()) == [SECRET]


async def test_bad_bodies_are_refused(world: World) -> None:
    body = await sealed_body(world, 1)
    not_json = await world.http.post("/codec/decode", content=body, headers={"Content-Type": "text/plain", **world.bearer(ADMIN)})
    assert not_json.status_code == 400 and not_json.json()["error"] == "invalid_request"
    garbage = await world.http.post("/codec/decode", content="{nope", headers={**JSON, **world.bearer(ADMIN)})
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"
    tampered = json.loads(body)
    data = bytearray(base64.b64decode(tampered["payloads"][0]["data"]))
    data[-1] ^= 1
    tampered["payloads"][0]["data"] = base64.b64encode(bytes(data)).decode()
    altered = await world.http.post("/codec/decode", content=json.dumps(tampered), headers={**JSON, **world.bearer(ADMIN)})
    assert altered.status_code == 400 and "failed authentication" in altered.json()["message"]


async def test_cors_only_for_the_configured_origins(world: World) -> None:
    preflight = await world.http.options(
        "/codec/decode",
        headers={"Origin": UI, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == UI
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-namespace" in preflight.headers["access-control-allow-headers"].lower()
    evil = await world.http.options("/codec/decode", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
    body = await sealed_body(world, 1)
    ok = await world.http.post("/codec/decode", content=body, headers={**JSON, **world.bearer(ADMIN), "Origin": "http://127.0.0.1:8233"})
    assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8233" and "Origin" in ok.headers["vary"]
    unauthenticated = await world.http.post("/codec/decode", content=body, headers={**JSON, "Origin": UI})
    assert unauthenticated.status_code == 401 and unauthenticated.headers["access-control-allow-origin"] == UI  # the UI can read why
    foreign = await world.http.post("/codec/decode", content=body, headers={**JSON, **world.bearer(ADMIN), "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    # the rest of the API stays without CORS, even for the UI's origin
    api = await world.http.options("/api/v1/whoami", headers={"Origin": UI, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in api.headers
