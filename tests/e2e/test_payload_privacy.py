"""Private inside Temporal, on the real embedded stack: after `pdca up`, a people import, a case opened
with distinctive text and its plan submitted, Temporal's own database (PDCA_HOME/temporal.db and its
-wal / -shm files) holds none of that text, none of the people's names or ids — in UTF-8 or in any
JSON-escaped form — and the case's search attributes carry no names. The stack configured its Web UI's
codec endpoint, and a county-wide supervisor decodes the case's input through it.
"""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest

from service.identity import CredentialStore
from tests.stack_driver import EXAMPLES, Stack, start_stack

pytestmark = pytest.mark.e2e

CASE = "rect-V001-2026"


def forms(text: str) -> set[bytes]:
    """``text`` as it could sit in a file: UTF-8, and JSON-escaped (``\\uXXXX``, lower and upper case hex)."""
    escaped = json.dumps(text)[1:-1]  # ensure_ascii: every non-ASCII character as \\uxxxx
    return {text.encode(), escaped.encode(), escaped.upper().replace("\\U", "\\u").encode(), text.encode("utf-16-le")}


def found_in(files: Iterable[Path], texts: Iterable[str]) -> dict[str, list[str]]:
    """Which of ``texts`` occur, in any form, in which of ``files``."""
    contents = {f.name: f.read_bytes() for f in files if f.exists()}
    hits: dict[str, list[str]] = {}
    for text in texts:
        where = [name for name, data in contents.items() if any(form in data for form in forms(text))]
        if where:
            hits[text] = where
    return hits


def temporal_files(home: Path) -> list[Path]:
    return [home / name for name in ("temporal.db", "temporal.db-wal", "temporal.db-shm")]


def test_temporal_db_holds_no_case_text_names_or_ids(tmp_path_factory: pytest.TempPathFactory) -> None:
    marker = uuid.uuid4().hex[:12]
    problem = f"独特问题文本-{marker}"
    org_name = f"独特村党支部-{marker}"
    measure = f"独特整改措施-{marker}"
    summary = f"独特方案摘要-{marker}"
    person_name = f"独特姓名-{marker}"
    home = tmp_path_factory.mktemp("payload-privacy") / "home"
    stack = start_stack(home, ui=True)
    try:
        stack.sign_in_admin()
        passwords = stack.import_people(sign_in=False)
        for who in ("wang.sup", "chen.branch"):
            stack.sign_in(who, passwords[who])
        stack.add_person("codec.sup", ["supervisor"], password="codec-sup-password-1", name=person_name, scope=["*"])
        case_file = home.parent / "case.yaml"
        case_file.write_text(
            (EXAMPLES / "case-V001.yaml")
            .read_text(encoding="utf-8")
            .replace("城关镇东村党支部", org_name)
            .replace("班子不团结，“三会一课”长期不落实", problem),
            encoding="utf-8",
        )
        plan_file = home.parent / "plan.yaml"
        plan_file.write_text(
            (EXAMPLES / "plan-V001.yaml")
            .read_text(encoding="utf-8")
            .replace("调整充实村“两委”班子，规范“三会一课”", measure)
            .replace("一村一策：配强班子、规范组织生活、发展集体经济", summary),
            encoding="utf-8",
        )
        stack.cli("case", "open", str(case_file), as_="wang.sup")
        stack.cli("case", "plan", "submit", CASE, str(plan_file), as_="chen.branch")
        shown = stack.cli("case", "show", CASE, "--json", as_="wang.sup").stdout
        assert problem in shown and measure in shown  # the product itself still reads it all

        ui_settings = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{stack.ui_port}/api/v1/settings", timeout=30).read())
        assert ui_settings["Codec"]["Endpoint"] == f"{stack.public_url}/codec"
        decoded = decode_case_input(stack)
        assert problem in decoded and org_name in decoded

        secrets = [problem, org_name, measure, summary, person_name, "王督导", "陈书记", "wang.sup", "chen.branch", "li.county"]
        assert found_in(temporal_files(home), secrets) == {}, "clear text in Temporal's database while running"
        # the scan has teeth: what Temporal keeps in clear on purpose (workflow id, search attributes) is found
        assert set(found_in(temporal_files(home), [CASE, "城关镇"])) == {CASE, "城关镇"}
        attributes = search_attributes(stack)
        assert attributes["PdcaOrgCode"] == "V001" and attributes["PdcaRegion"] == "城关镇"
        for value in attributes.values():
            assert not any(secret in json.dumps(value, ensure_ascii=False) for secret in secrets), attributes
    finally:
        stack.stop()
    assert found_in(temporal_files(home), secrets) == {}, "clear text in Temporal's database after it stopped"


def decode_case_input(stack: Stack) -> str:
    """The case workflow's start input as the Temporal UI would show it: fetched raw (encrypted) from the
    server's HTTP API and decoded by /codec/decode with a county-wide supervisor's credential."""
    raw = urllib.request.urlopen(
        f"http://127.0.0.1:{stack.ui_port}/api/v1/namespaces/default/workflows/{CASE}/history?maximumPageSize=1", timeout=30
    ).read()
    started = json.loads(raw)["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
    payloads = started["input"]["payloads"]
    assert base64.b64decode(payloads[0]["metadata"]["encoding"]) == b"binary/encrypted"
    credential = CredentialStore(stack.home / "credentials").load("codec.sup").credential
    request = urllib.request.Request(
        f"{stack.api_url}/codec/decode",
        data=json.dumps({"payloads": payloads}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {credential}", "Origin": f"http://localhost:{stack.ui_port}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["Access-Control-Allow-Origin"] == f"http://localhost:{stack.ui_port}"
        body = json.loads(answer.read())
    return base64.b64decode(body["payloads"][0]["data"]).decode("utf-8")


def search_attributes(stack: Stack) -> dict[str, object]:
    """The case's search attributes as the server's HTTP API describes them (values decoded: never encrypted)."""
    raw = urllib.request.urlopen(f"http://127.0.0.1:{stack.ui_port}/api/v1/namespaces/default/workflows/{CASE}", timeout=30).read()
    fields = json.loads(raw)["workflowExecutionInfo"]["searchAttributes"]["indexedFields"]
    return {name: json.loads(base64.b64decode(p.get("data", "")) or b"null") for name, p in fields.items()}
