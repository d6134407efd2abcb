"""The browser chain works: a real `pdca up`, Debian's Chromium through Playwright, a page of the app
served at http://localhost:<port> (the API's Swagger page), a screenshot at phone width; a WebAuthn
virtual authenticator; the CLI and the notice inbox on the same stack."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.stack_driver import Inbox, Stack


def test_the_api_docs_open_in_chromium_at_phone_width(
    stack: Stack,
    page_at: Callable[..., Any],
    screenshot: Callable[..., Path],
    external_requests: Callable[[Any], list[str]],
    tmp_path: Path,
) -> None:
    page = page_at(375)
    response = page.goto(stack.url("/api/docs"))
    assert response is not None and response.ok
    expect(page).to_have_title(re.compile(r"API - Swagger UI$"))  # FastAPI's docs page, titled after the app
    expect(page.locator("#swagger-ui")).to_be_attached()
    # FastAPI's Swagger page loads its JS and CSS from cdn.jsdelivr.net and its icon from fastapi.tiangolo.com:
    # blocked here (no network beyond this machine), so the page stays blank below its title. The console
    # itself must load nothing from elsewhere (its tests can assert external_requests(page) == []).
    external = external_requests(page)
    assert {urlsplit(url).hostname for url in external} <= {"cdn.jsdelivr.net", "fastapi.tiangolo.com"}, external
    assert page.evaluate("window.innerWidth") == 375 and page.evaluate("window.devicePixelRatio") == 2
    # Not into docs/screenshots: a blank page is no picture of the product.
    path = screenshot(page, "smoke-api-docs-phone", directory=tmp_path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chinese_text_renders_with_a_cjk_font(page_at: Callable[..., Any]) -> None:
    """Chromium finds a CJK font (fonts-wqy-microhei): without one every Chinese character is the same
    empty box, and the console's screenshots are unreadable."""
    page = page_at(375)
    page.set_content('<span id="a" style="font-size:48px">整</span><span id="b" style="font-size:48px">顿</span>')
    first, second = page.locator("#a").screenshot(), page.locator("#b").screenshot()
    assert first != second, "Chromium draws every Chinese character alike: no CJK font (apt-get install fonts-wqy-microhei)"


def test_a_virtual_authenticator_makes_and_uses_a_passkey_on_localhost(
    stack: Stack, page_at: Callable[..., Any], virtual_authenticator: Callable[[Any], str], cdp_session: Callable[[Any], Any]
) -> None:
    """The virtual authenticator answers WebAuthn on http://localhost:<port> (a secure context, the RP id
    localhost): a discoverable credential is created, then used without naming it (passkey sign-in)."""
    page = page_at(1280)
    page.goto(stack.url("/api/openapi.json"))
    authenticator = virtual_authenticator(page)
    assert authenticator
    assert cdp_session(page).send("WebAuthn.getCredentials", {"authenticatorId": authenticator}) == {"credentials": []}
    created = page.evaluate(PASSKEY_CREATE)
    assert created["type"] == "public-key" and created["attachment"] == "platform"
    stored = cdp_session(page).send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] is True and stored[0]["rpId"] == "localhost"
    used = page.evaluate(PASSKEY_GET)
    assert used["id"] == created["id"] and used["userHandle"] == "smoke-user"


PASSKEY_CREATE = """async () => {
  const credential = await navigator.credentials.create({publicKey: {
    challenge: crypto.getRandomValues(new Uint8Array(32)),
    rp: {id: "localhost", name: "pdca"},
    user: {id: new TextEncoder().encode("smoke-user"), name: "smoke", displayName: "烟测"},
    pubKeyCredParams: [{type: "public-key", alg: -7}],
    authenticatorSelection: {residentKey: "required", userVerification: "required"},
  }});
  return {id: credential.id, type: credential.type, attachment: credential.authenticatorAttachment};
}"""
PASSKEY_GET = """async () => {
  const assertion = await navigator.credentials.get({publicKey: {
    challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: "localhost", userVerification: "required",
  }});
  return {id: assertion.id, userHandle: new TextDecoder().decode(assertion.response.userHandle)};
}"""


def test_people_act_through_the_cli_and_notices_reach_the_inbox(stack: Stack, inbox: Inbox) -> None:
    """The admin adds people with roles and scope and their own passwords; they sign in; the case is
    opened and its plan submitted by the right people; the plan's approval starts the measures and the
    first reminder (walkthrough policy: 1 day lead, notices at any hour) reaches the inbox."""
    stack.sign_in_admin()
    stack.add_person("smoke.sup", ["supervisor"], password="smoke-sup-pass-1", name="烟督导")
    stack.add_person("smoke.town", ["township_secretary"], password="smoke-town-pass-1", scope=["城关镇"])
    stack.add_person("smoke.branch", ["branch_secretary"], password="smoke-branch-pass-1", scope=["V901"])
    stack.add_person("smoke.leader", ["county_leader"], password="smoke-leader-pass-1", scope=["城关镇"], sign_in=False)
    people = {p["id"]: p for p in stack.cli_json("person", "list", as_="admin")}
    assert people["smoke.town"]["scope"] == ["城关镇"] and "township_secretary" in people["smoke.town"]["roles"]
    assert people["smoke.branch"]["scope"] == ["V901"]

    case_file, plan_file = stack.home.parent / "case-V901.yaml", stack.home.parent / "plan-V901.yaml"
    case_file.write_text(CASE, encoding="utf-8")
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat(timespec="seconds")
    plan_file.write_text(PLAN.format(deadline=soon), encoding="utf-8")
    refused = stack.cli("case", "open", str(case_file), as_="smoke.branch", ok=False)
    assert refused.returncode == 1 and "无权操作" in refused.stderr
    opened = stack.cli_json("case", "open", str(case_file), as_="smoke.sup")
    assert opened["stream_id"] == SMOKE_CASE and opened["stage"] == "designated"
    stack.cli("case", "plan", "submit", SMOKE_CASE, str(plan_file), as_="smoke.branch")
    approved = stack.cli_json("case", "plan", "approve", SMOKE_CASE, "--comment", "同意", as_="smoke.town")
    assert approved["events"][0] == "PlanApproved" and approved["stage"] == "implementing"

    notice = inbox.wait_for(recipient="smoke.branch", event_type="ReminderSent", case_id=SMOKE_CASE, timeout=120)
    assert notice.message.startswith("【到期提醒】") and "烟测村党支部" in notice.message and "M1" in notice.message
    assert notice.headers["Idempotency-Key"] == notice.body["key"]


SMOKE_CASE = "rect-V901-2026"
CASE = """\
org_code: V901
org_name: 烟测村党支部
region: 城关镇
year: 2026
basis:
  kind: direct
  detail: 浏览器测试烟测
problems:
  - category: weak_leadership
    description: 班子不团结
leaders: [smoke.leader]
"""
PLAN = """\
summary: 烟测方案
measures:
  - id: M1
    description: 调整充实班子
    problems: [P1]
    responsible: smoke.branch
    deadline: {deadline}
"""
