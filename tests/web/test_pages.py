"""The console's pages against a seeded case: sign-in, my tasks, visibility by scope, forms to commands,
CSRF, safe headers and what each page offers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.actors import Role
from domain.identity import signed_document, verify_command_signature
from domain.identity.algorithms import unb64
from domain.people import DIRECTORY_ID, KeyRegistered
from service.commands import Done
from tests.unit import builders
from tests.web.conftest import BASE, CASE, Console, Sent, _append, csrf_of
from tests.webauthn import SoftAuthenticator


async def test_pages_need_a_session_and_sign_in_brings_the_person_back(console: Console) -> None:
    async with console.client() as http:
        page = await http.get(f"/cases/{CASE}")
        assert page.status_code == 303 and page.headers["location"] == f"/login?next=%2Fcases%2F{CASE}"
        login = await http.get("/login")
        assert login.status_code == 200 and "登录整改工作台" in login.text
        bad = await http.post("/login", data={"id": "bs-1", "password": "wrong", "login_csrf": "x"})
        assert bad.status_code == 403  # the login form's own token is missing: stale or forged
    http = await console.signed_in("bs-1")
    async with http:
        cookie = next(c for c in http.cookies.jar if c.name == "pdca_session")
        assert cookie.has_nonstandard_attr("HttpOnly") or "httponly" in str(cookie._rest).lower()  # noqa: SLF001
        tasks = await http.get("/tasks")
        assert tasks.status_code == 200
        assert "M1" in tasks.text and 'class="light' in tasks.text
        assert tasks.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in tasks.headers["content-security-policy"]
        assert tasks.headers["cache-control"] == "no-store"


async def test_wrong_password_shows_the_form_again_with_the_reason(console: Console) -> None:
    async with console.client() as http:
        login = await http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        answer = await http.post("/login", data={"id": "bs-1", "password": "nope", "login_csrf": token})
        assert answer.status_code == 401
        assert 'value="bs-1"' in answer.text and "wrong id, password" in answer.text


async def test_a_village_sees_its_own_case_and_not_another(console: Console) -> None:
    mine = await console.signed_in("bs-1")
    other = await console.signed_in("bs-9")
    async with mine, other:
        assert (await mine.get(f"/cases/{CASE}")).status_code == 200
        hidden = await other.get(f"/cases/{CASE}")
        assert hidden.status_code == 404 and "unknown case" in hidden.text
        listed = await other.get("/cases")
        assert CASE not in listed.text
        assert (await other.get(f"/cases/{CASE}/measures/M1")).status_code == 404


async def test_progress_form_sends_report_progress_as_the_signed_in_person(console: Console) -> None:
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        assert page.status_code == 200 and 'id="report-form"' in page.text
        csrf = csrf_of(page.text)
        answer = await http.post(
            f"/cases/{CASE}/do/progress",
            data={"csrf": csrf, "measure_id": "M1", "note": "召开支委会", "evidence": "档案 2026-01\nhttps://x"},
        )
        assert answer.status_code == 303, answer.text
        sent = console.sent[-1]
        assert sent.caller == "bs-1" and sent.stream_id == CASE
        assert sent.command["type"] == "ReportProgress" and sent.command["evidence"] == ["档案 2026-01", "https://x"]
        assert "actor" not in sent.command


async def test_a_form_without_its_token_or_from_another_site_is_refused(console: Console) -> None:
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        csrf = csrf_of(page.text)
        missing = await http.post(f"/cases/{CASE}/do/progress", data={"measure_id": "M1", "note": "x"})
        assert missing.status_code == 403
        foreign = await http.post(
            f"/cases/{CASE}/do/progress", data={"csrf": csrf, "measure_id": "M1", "note": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        assert console.sent == []


async def test_a_refused_form_comes_back_with_the_error_and_what_was_typed(console: Console) -> None:
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        answer = await http.post(
            f"/cases/{CASE}/do/complete", data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": "做完了", "evidence": ""}
        )
        assert answer.status_code == 400
        assert "needs evidence" in answer.text and "做完了" in answer.text
        assert console.sent == []


async def test_pages_offer_only_what_the_rules_allow(console: Console) -> None:
    secretary = await console.signed_in("bs-1")
    supervisor = await console.signed_in("sup-1")
    async with secretary, supervisor:
        mine = await secretary.get(f"/cases/{CASE}/measures/M1")
        assert 'id="report-form"' in mine.text
        not_mine = await secretary.get(f"/cases/{CASE}/measures/M2")  # fs-1's measure; bs-1 is an implementer in scope
        assert 'id="report-form"' in not_mine.text
        case = await supervisor.get(f"/cases/{CASE}")
        assert 'id="acceptance-form"' not in case.text  # implementing: nothing to accept yet
        assert 'id="self-check-form"' not in case.text  # a supervisor does not self-check
        assert (await supervisor.get(f"/cases/{CASE}/measures/M1")).status_code == 200


async def test_english_on_request(console: Console) -> None:
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get("/tasks?lang=en")
        assert "My tasks" in page.text
        again = await http.get("/tasks")
        assert "My tasks" in again.text  # the choice is kept


# ----------------------------------------------------------------------------- passkeys


async def _register_passkey(console: Console, http: Any, person: str, authenticator: SoftAuthenticator) -> None:
    page = await http.get("/account")
    csrf = csrf_of(page.text)
    options = (await http.post("/account/passkeys/options", headers={"X-CSRF-Token": csrf})).json()["publicKey"]
    assert options["rp"]["id"] == "localhost" and options["challenge"]
    made = authenticator.create(options["challenge"])
    body = {
        "challenge": options["challenge"],
        "credential_id": made["credential_id"],
        "client_data_json": made["client_data_json"],
        "attestation_object": made["attestation_object"],
        "public_key_spki": made["public_key_spki"],
        "cose_alg": made["cose_alg"],
    }
    answer = await http.post("/account/passkeys", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200, answer.text


async def test_a_decision_is_signed_with_the_persons_passkey_and_verifies_as_the_workflow_checks(
    console: Console, monkeypatch: Any
) -> None:
    authenticator = SoftAuthenticator(rp_id="localhost", origin=BASE)
    seen: list[Any] = []

    async def registering(deps: Any, stream_id: str, cmd: Any, request_id: str | None = None, signature: Any = None) -> Done:
        seen.append(cmd)
        if getattr(cmd, "type", None) == "RegisterKey":  # as the directory's workflow would record it
            event = KeyRegistered(at=datetime.now(UTC), actor=deps.caller.id, person_id=cmd.person_id, key=cmd.key)
            _append(console.engine, DIRECTORY_ID, [event])
            return Done(stream_id=stream_id, version=1, stage="open", events=["KeyRegistered"])
        console.sent.append(Sent(stream_id, cmd, request_id, signature, deps.caller.id))
        return Done(stream_id=stream_id, version=99, stage="checking", events=["AcceptanceRecorded"], request_id=request_id)

    monkeypatch.setattr("service.commands.send", registering)
    # the case reaches acceptance: M1 and M2 completed by their people, bs-1 self-checks
    for cmd in (builders.complete("M1"), builders.complete("M2", by=builders.first_secretary()), builders.self_check()):
        console.case.run(cmd, console.case.now + timedelta(days=1))
    console.append(console.case.events[-3:])

    http = await console.signed_in("sup-1")
    async with http:
        await _register_passkey(console, http, "sup-1", authenticator)
        page = await http.get(f"/cases/{CASE}")
        assert 'id="acceptance-form"' in page.text
        csrf = csrf_of(page.text)
        prepared = await http.post(f"/cases/{CASE}/sign/acceptance/prepare", data={"csrf": csrf, "score": "92", "unsatisfied": "5"})
        assert prepared.status_code == 200, prepared.text
        ready = prepared.json()
        assert ready["command"] == {"type": "RecordAcceptance", "score": 92.0, "unsatisfied_share": 0.05, "comments": ""}
        assertion = authenticator.get(unb64(ready["publicKey"]["challenge"]))
        body = {"request_id": ready["request_id"], "command": ready["command"], "assertion": assertion}
        answer = await http.post(f"/cases/{CASE}/sign/acceptance/send", json=body, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text
        sent = console.sent[-1]
        assert sent.caller == "sup-1" and sent.signature.alg.startswith("webauthn")
        # the signature is what the workflow verifies: over this stream, this request and this command
        key = authenticator.key
        verify_command_signature(sent.signature, signed_document(CASE, ready["request_id"], ready["command"]), key, "sup-1")

        # a command changed after signing is refused before it is sent
        tampered = {**body, "command": {**ready["command"], "score": 99.0}}
        refused = await http.post(f"/cases/{CASE}/sign/acceptance/send", json=tampered, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403 and len(console.sent) == 1
        # and a plain form post of a signed decision is refused, asking for the passkey
        plain = await http.post(f"/cases/{CASE}/do/acceptance", data={"csrf": csrf, "score": "92", "unsatisfied": "5"})
        assert plain.status_code == 403 and "passkey" in plain.text


async def test_signing_without_a_passkey_says_to_register_one(console: Console) -> None:
    for cmd in (builders.complete("M1"), builders.complete("M2", by=builders.first_secretary()), builders.self_check()):
        console.case.run(cmd, console.case.now + timedelta(days=1))
    console.append(console.case.events[-3:])
    http = await console.signed_in("sup-1")
    async with http:
        page = await http.get(f"/cases/{CASE}")
        prepared = await http.post(
            f"/cases/{CASE}/sign/acceptance/prepare", data={"csrf": csrf_of(page.text), "score": "92", "unsatisfied": "5"}
        )
        assert prepared.status_code == 403 and "passkey" in prepared.json()["message"]


async def test_the_api_reads_follow_the_same_scope(console: Console) -> None:
    from domain.people import Person
    from service import signin

    outsider = Person(id="bs-9", name="别村支书", roles=[Role.BRANCH_SECRETARY], scope=["V009"])
    township = Person(id="ts-1", name="镇党委书记", roles=[Role.TOWNSHIP_SECRETARY], scope=[builders.REGION])
    async with console.client() as http:
        for person, visible in ((outsider, False), (township, True)):
            bearer = {"Authorization": f"Bearer {signin.issue(console.settings, person)}"}
            listed = await http.get("/api/v1/cases", headers=bearer)
            assert (CASE in listed.text) is visible
            one = await http.get(f"/api/v1/cases/{CASE}", headers=bearer)
            assert one.status_code == (200 if visible else 404)
            history = await http.get(f"/api/v1/streams/{CASE}/history", headers=bearer)
            assert history.status_code == (200 if visible else 404)


async def test_every_form_on_every_page_carries_the_sessions_token(console: Console) -> None:
    """A form without its token is refused as stale: each POST form of each page must carry the page's token
    (the shared form macros render with the page's context)."""
    for cmd in (builders.complete("M1"), builders.complete("M2", by=builders.first_secretary()), builders.self_check()):
        console.case.run(cmd, console.case.now + timedelta(days=1))
    console.append(console.case.events[-3:])
    pages = {
        "sup-1": ["/tasks", f"/cases/{CASE}", f"/cases/{CASE}/plan", "/account", "/dashboard"],
        "ts-1": [f"/cases/{CASE}", f"/cases/{CASE}/plan?lang=en"],
        "bs-1": [f"/cases/{CASE}/measures/M1", "/cases"],
    }
    forms_seen = 0
    for person, paths in pages.items():
        http = await console.signed_in(person)
        async with http:
            for path in paths:
                page = await http.get(path)
                assert page.status_code == 200, (person, path)
                token = csrf_of(page.text)
                assert token
                for form in re.findall(r'<form[^>]*method="post".*?</form>', page.text, flags=re.S):
                    forms_seen += 1
                    assert f'name="csrf" value="{token}"' in form, (person, path, form[:200])
    assert forms_seen >= 6


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "PNG")
    return out.getvalue()


async def test_a_photo_goes_to_the_store_and_its_hash_into_the_command(console: Console) -> None:
    import hashlib

    photo = _png()
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        answer = await http.post(
            f"/cases/{CASE}/do/complete",
            data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": "支委会已召开"},
            files=[("files", ("会议记录.png", photo, "image/png"))],
        )
        assert answer.status_code == 303, answer.text
        sent = console.sent[-1].command
        assert sent["type"] == "CompleteMeasure" and sent["evidence"] == []
        assert sent["files"] == [
            {"sha256": hashlib.sha256(photo).hexdigest(), "name": "会议记录.png", "type": "image/png", "size": len(photo)}
        ]
        stored = console.home / "evidence"
        assert any(p.name == hashlib.sha256(photo).hexdigest() for p in stored.rglob("*"))


async def test_a_file_that_is_not_what_it_says_is_refused_and_the_good_ones_are_kept(console: Console) -> None:
    photo = _png((10, 120, 10))
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        answer = await http.post(
            f"/cases/{CASE}/do/progress",
            data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": "进展"},
            files=[("files", ("照片.png", photo, "image/png")), ("files", ("照片2.jpg", b"MZ\x90\x00 not a photo", "image/jpeg"))],
        )
        assert answer.status_code == 400
        assert "照片2.jpg" in answer.text and console.sent == []
        assert 'name="note"' in answer.text and "进展" in answer.text  # what was typed comes back
        # nothing half-done: the refused report sent nothing; a form with no note is refused, naming the field
        empty = await http.post(f"/cases/{CASE}/do/progress", data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": ""})
        assert empty.status_code == 400 and "note" in empty.text and console.sent == []


async def test_a_file_over_the_limit_is_refused_with_the_limit_named(console: Console, monkeypatch: Any) -> None:
    monkeypatch.setenv("PDCA_EVIDENCE_MAX_MB", "1")
    from settings import get_settings

    console.app.state.resources.settings = get_settings()
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
        answer = await http.post(
            f"/cases/{CASE}/do/progress",
            data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": "附件"},
            files=[("files", ("台账.pdf", big, "application/pdf"))],
        )
        assert answer.status_code in {400, 413}
        assert "1 MB" in answer.text and console.sent == []


async def test_hostile_values_are_shown_as_text_and_next_never_leaves_the_site(console: Console) -> None:
    async with console.client() as http:
        login = await http.get("/login?next=https://evil.example/x")
        assert 'value="/tasks"' in login.text  # an off-site next falls back to my tasks
        login = await http.get("/login?next=//evil.example")
        assert 'value="/tasks"' in login.text
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/cases/{CASE}/measures/M1")
        answer = await http.post(
            f"/cases/{CASE}/do/complete",
            data={"csrf": csrf_of(page.text), "measure_id": "M1", "note": "<script>alert(1)</script>", "evidence": ""},
        )
        assert "<script>alert(1)</script>" not in answer.text and "&lt;script&gt;" in answer.text
        assert (await http.get("/cases/..%2F..%2Fetc%2Fpasswd")).status_code in {400, 404}
        assert (await http.get(f"/evidence/{CASE}/{'0' * 64}")).status_code == 404
        assert (await http.get(f"/evidence/{CASE}/..%2F..%2Faudit.db")).status_code == 404


async def test_the_plan_form_offers_the_people_who_may_act_on_the_organization(console: Console) -> None:
    other = builders.Case()
    other.run(builders.open_case(org_code="V002"), builders.T0)  # in 青山镇 too, opened and not yet planned
    _append(console.engine, "rect-V002-2026", other.events)
    village = await console.signed_in("bs-1")
    async with village:
        assert (await village.get("/cases/rect-V002-2026/plan")).status_code == 404  # bs-1's scope is V001
    town = await console.signed_in("ts-1")
    async with town:
        page = await town.get("/cases/rect-V002-2026/plan")
        assert 'id="plan-form"' in page.text
        datalist = page.text.split('<datalist id="people">')[1].split("</datalist>")[0]
        offered = set(re.findall(r'<option value="([^"]+)">', datalist))
        assert offered == {"sup-1", "ts-1"}  # whose scope covers V002 (青山镇); not bs-1 (V001), bs-9 (V009), nor the admin


async def test_a_refused_field_is_named_as_the_form_labels_it(console: Console) -> None:
    other = builders.Case()
    other.run(builders.open_case(org_code="V002"), builders.T0)
    _append(console.engine, "rect-V002-2026", other.events)
    town = await console.signed_in("ts-1")
    async with town:
        page = await town.get("/cases/rect-V002-2026/plan")
        form = {"csrf": csrf_of(page.text), "m-1-id": "M1", "m-1-description": "", "m-1-responsible": "ts-1", "m-1-budget": "5wd"}
        answer = await town.post("/cases/rect-V002-2026/do/plan", data={**form, "m-1-problems": "P1"})
        assert answer.status_code == 400 and "输入有误：整改措施 1 · 措施内容：必填" in answer.text
        english = await town.post("/cases/rect-V002-2026/do/plan?lang=en", data={**form, "m-1-description": "x"})
        assert "invalid input: measures 1 · problems addressed: choose at least one" in english.text
        assert console.sent == []


async def test_an_approver_pauses_extends_to_a_date_and_resumes_from_the_case_page(console: Console) -> None:
    from domain.rectification import PauseMeasures

    http = await console.signed_in("sup-1")
    async with http:
        page = await http.get(f"/cases/{CASE}")
        assert 'id="pause-form"' in page.text and 'id="extend-form"' in page.text and 'id="resume-form"' not in page.text
        csrf = csrf_of(page.text)
        paused = await http.post(
            f"/cases/{CASE}/do/pause", data={"csrf": csrf, "measure_ids": "M1", "requested_by": "村委会来函", "reason": "换届"}
        )
        assert paused.status_code == 303, paused.text
        assert console.sent[-1].command == {
            "type": "PauseMeasures", "measure_ids": ["M1"], "reason": "换届", "requested_by": "村委会来函", "request": None
        }  # fmt: skip
        extended = await http.post(
            f"/cases/{CASE}/do/extend",
            data={"csrf": csrf, "measure_id": "M2", "to": "2026-09-30", "requested_by": "刘书记", "reason": "汛期"},
        )
        assert extended.status_code == 303, extended.text
        sent = console.sent[-1].command
        assert sent["type"] == "ExtendDeadline" and sent["to"] == "2026-09-30" and sent["by"] is None

        pause = PauseMeasures(actor=builders.supervisor(), measure_ids=["M1"], reason="换届", requested_by="村委会来函")
        console.case.run(pause, console.case.now + timedelta(days=1))
        console.append(console.case.events[-1:])
        page = await http.get(f"/cases/{CASE}")
        assert 'id="resume-form"' in page.text
        resumed = await http.post(f"/cases/{CASE}/do/resume", data={"csrf": csrf, "measure_ids": "M1", "note": "换届完成"})
        assert resumed.status_code == 303
        assert console.sent[-1].command == {"type": "ResumeMeasures", "measure_ids": ["M1"], "note": "换届完成"}
