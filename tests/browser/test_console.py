"""The web console end to end, in Chromium against a real `pdca up`: one case from designation to
acceptance as the people who act on it would work it — the plan written on a phone, reviewed on a desktop
(returned once, then approved with a passkey), the reminder's link opened on a phone to report the measure
done with a photo, the self-check, the acceptance signed with a passkey — and the dashboard's figures.

Along the way: no page loads anything from another site, no page logs a script error (the CSP lets the
console's own script run), a village of another organization gets 404 for the case, and the README's
screenshots are written to docs/screenshots/ (375 px and 1280 px).

The stack is shared by the browser tests of a run: this file uses its own organization (V731) and case.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from i18n.labels import label
from tests.stack_driver import ADMIN, EXAMPLES, Inbox, Stack

ORG = "V731"
CASE = f"rect-{ORG}-2026"
OUTSIDER = "v799.branch"  # a branch secretary of another village
PEOPLE = ("wang.sup", "li.county", "zhao.town", "chen.branch", "liu.first")

# What the walk through leaves for the dashboard's test: the figures before the case, the supervisor's session.
WALKED: dict[str, Any] = {}


# ----------------------------------------------------------------------------- files


def case_yaml() -> str:
    text = (EXAMPLES / "case-V001.yaml").read_text(encoding="utf-8")
    text = text.replace("org_code: V001", f"org_code: {ORG}").replace("城关镇东村党支部", "城关镇西岭村党支部")
    assert f"org_code: {ORG}" in text and "西岭村" in text
    return text


def actors_yaml() -> str:
    """examples/actors.yaml with the village people's scope widened to this file's organization."""
    text = (EXAMPLES / "actors.yaml").read_text(encoding="utf-8")
    widened = text.replace('scope: ["V001"]', f'scope: ["V001", "{ORG}"]')
    assert widened.count(f'"{ORG}"') == 2, "examples/actors.yaml changed: chen.branch and liu.first have scope V001"
    return widened


def resubmitted_plan(m1_due: datetime) -> str:
    """The plan after the township's return: M1 due within the reminder's lead (the first reminder goes out at once)."""
    return f"""\
summary: 一村一策（修改稿）
measures:
  - id: M1
    description: 调整充实村“两委”班子，规范“三会一课”
    problems: [P1]
    responsible: chen.branch
    deadline: {m1_due.isoformat(timespec="seconds")}
  - id: M2
    description: 成立劳务合作社，盘活闲置资产
    problems: [P2]
    responsible: liu.first
    deadline: 2027-06-30
"""


def photo(path: Path) -> bytes:
    """A real PNG, as a phone's camera roll might hold (a meeting room: a wall, a table, a banner)."""
    image = Image.new("RGB", (640, 480), (222, 214, 196))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(121, 85, 61))  # the table
    draw.rectangle((120, 40, 520, 120), fill=(183, 28, 28))  # the banner
    for x in range(60, 600, 90):  # people
        draw.ellipse((x, 200, x + 50, 250), fill=(60, 60, 70))
        draw.rectangle((x - 5, 250, x + 55, 330), fill=(40, 50, 90))
    image.save(path, format="PNG")
    return path.read_bytes()


# ----------------------------------------------------------------------------- people and pages


def people(stack: Stack, tmp_path: Path) -> dict[str, str]:
    """The walkthrough's people (their scope covering ORG) and an outsider, each signed in on the stack; their passwords.
    Someone another test imported before keeps their directory entry and gets a new password here."""
    stack.sign_in_admin()
    actors = tmp_path / "actors.yaml"
    actors.write_text(actors_yaml(), encoding="utf-8")
    passwords = stack.import_people(actors)
    for person in PEOPLE:
        if person not in passwords:
            passwords[person] = f"{person}-console-pass-1"
            stack.cli("person", "password", person, "--password-stdin", as_=ADMIN, stdin=passwords[person] + "\n")
            stack.sign_in(person, passwords[person])
    listed = {p["id"]: p for p in stack.cli_json("person", "list", as_=ADMIN)}
    assert ORG in listed["chen.branch"]["scope"] and ORG in listed["liu.first"]["scope"]
    assert listed["zhao.town"]["scope"] == ["城关镇"] and listed["wang.sup"]["scope"] == ["*"]
    passwords[OUTSIDER] = "v799-branch-pass-1"
    stack.add_person(OUTSIDER, ["branch_secretary"], password=passwords[OUTSIDER], name="孙书记", scope=["V799"], sign_in=False)
    return passwords


class Watch:
    """A page's script errors (console errors, uncaught exceptions); ``allowed``: console texts expected."""

    def __init__(self, page: Any, allowed: re.Pattern[str] | None = None) -> None:
        self.page = page
        self.errors: list[str] = []
        self.allowed = allowed
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: Any) -> None:
        text = f"console: {message.text} ({message.location.get('url', '')})"
        if message.type == "error" and not (self.allowed and self.allowed.search(text)):
            self.errors.append(text)


def sign_in(page: Any, stack: Stack, person: str, password: str, next_path: str = "/tasks") -> None:
    page.goto(stack.url("/login?next=" + quote(next_path, safe="")))
    submit(page, person, password)
    expect(page).to_have_url(stack.url(next_path))
    expect(page.locator("#whoami")).to_be_visible()


def submit(page: Any, person: str, password: str) -> None:
    page.fill("#login-form input[name=id]", person)
    page.fill("#login-form input[name=password]", password)
    page.click("#sign-in")


def register_passkey(page: Any, stack: Stack, virtual_authenticator: Callable[[Any], str], cdp_session: Callable[[Any], Any]) -> None:
    """账户 → 注册通行密钥 with a virtual platform authenticator: the passkey is made, registered and current."""
    authenticator = virtual_authenticator(page)
    page.goto(stack.url("/account"))
    expect(page.locator("#passkey-list .empty")).to_be_visible()
    page.click("#register-passkey")
    expect(page).to_have_url(stack.url("/account?ok=passkey"))
    expect(page.locator("#passkey-list .badge.signed")).to_have_count(1)  # the session's credential names it
    expect(page.locator("#passkey-error")).to_be_hidden()
    made = cdp_session(page).send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(made) == 1 and made[0]["rpId"] == "localhost" and made[0]["isResidentCredential"] is True


def current_stage(page: Any) -> Any:
    return page.locator("#stage-ribbon li[aria-current=step]")


def figures(page: Any, stack: Stack) -> dict[str, str]:
    """The dashboard's figures (data-figure → value) and stage bars (stage.<label> → value)."""
    response = page.goto(stack.url("/dashboard"))
    assert response is not None and response.ok, response and response.status
    expect(page.locator("#figures")).to_be_visible()
    found: dict[str, str] = page.eval_on_selector_all(
        "#figures [data-figure]",
        "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.querySelector('.value').textContent.trim()]))",
    )
    bars: dict[str, str] = page.eval_on_selector_all(
        "#by-stage [data-label]", "els => Object.fromEntries(els.map(e => ['stage.' + e.dataset.label, e.dataset.value]))"
    )
    return {**found, **bars}


def verify_signatures(stack: Stack) -> int:
    """`pdca audit verify --signatures` (exit 0: the chain and every personal signature check out offline);
    how many signatures it checked."""
    report = stack.cli_json("audit", "verify", "--signatures", as_="wang.sup")
    assert report["chain"]["ok"] is True and report["signatures"]["problems"] == [], report
    checked: int = report["signatures"]["checked"]
    assert checked >= 1, report
    return checked


def decision(page: Any, kind: str) -> Any:
    return page.locator(f'#my-decisions li.decision[data-kind="{kind}"][data-case="{CASE}"] a')


# ----------------------------------------------------------------------------- the walk through


def test_a_case_from_plan_to_acceptance_in_the_console(
    stack: Stack,
    inbox: Inbox,
    page_at: Callable[..., Any],
    virtual_authenticator: Callable[[Any], str],
    cdp_session: Callable[[Any], Any],
    screenshot: Callable[..., Path],
    external_requests: Callable[[Any], list[str]],
    tmp_path: Path,
) -> None:
    began = last = time.monotonic()
    timings: dict[str, float] = {}  # seconds per step (printed with -s)

    def lap(step: str) -> None:
        nonlocal last
        now = time.monotonic()
        timings[step], last = round(now - last, 1), now

    # 1. Setup by the CLI: the people, and the case the supervisor opens with the walkthrough policy.
    passwords = people(stack, tmp_path)
    # The supervisor's desktop: the dashboard before the case (its figures grow by this case).
    sup = page_at(1280)
    watches = [Watch(sup)]
    sign_in(sup, stack, "wang.sup", passwords["wang.sup"])
    WALKED["before"] = figures(sup, stack)
    case_file = tmp_path / f"case-{ORG}.yaml"
    case_file.write_text(case_yaml(), encoding="utf-8")
    opened = stack.cli_json("case", "open", str(case_file), "--policy", str(EXAMPLES / "policy-walkthrough.yaml"), as_="wang.sup")
    assert opened["stream_id"] == CASE and opened["stage"] == "designated"
    lap("setup")

    # 2. The plan, written on a phone by the branch secretary: 我的待办 → 编制整改方案 → the form.
    branch = page_at(375)
    watches.append(Watch(branch))
    branch.goto(stack.url("/tasks"))
    expect(branch).to_have_url(re.compile(r"/login\?next=%2Ftasks$"))
    answered = branch.request.get(stack.url("/login"))
    csp = answered.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    submit(branch, "chen.branch", passwords["chen.branch"])
    expect(branch).to_have_url(stack.url("/tasks"))
    branch.wait_for_load_state("load")  # the deferred script has run
    assert branch.evaluate("typeof registerPasskey") == "function", "console.js did not run (blocked by the CSP?)"
    expect(decision(branch, "SubmitPlan")).to_contain_text("城关镇西岭村党支部")
    decision(branch, "SubmitPlan").click()
    expect(branch).to_have_url(stack.url(f"/cases/{CASE}/plan"))
    expect(branch.locator("#problems li[data-problem]")).to_have_count(2)
    form = branch.locator("#plan-form")
    form.locator('input[name="m-1-id"]').fill("M1")
    form.locator('textarea[name="m-1-description"]').fill("调整充实村“两委”班子，规范“三会一课”")
    form.locator('input[name="m-1-problems"][value="P1"]').check()
    form.locator('input[name="m-1-responsible"]').fill("chen.branch")
    form.locator('input[name="m-1-budget"]').fill("3wd")
    form.locator('input[name="m-2-id"]').fill("M2")
    form.locator('textarea[name="m-2-description"]').fill("成立劳务合作社，盘活闲置资产")
    form.locator('input[name="m-2-problems"][value="P2"]').check()
    form.locator('input[name="m-2-responsible"]').fill("liu.first")
    form.locator('input[name="m-2-deadline"]').fill("2027-06-30")
    form.locator('textarea[name="summary"]').fill("一村一策：配强班子、发展集体经济")
    branch.click("#add-measure")  # a fourth row (console.js), left empty like the third: neither is sent as a measure
    expect(form.locator("fieldset.measure-row")).to_have_count(4)
    expect(form.locator('input[name="m-4-id"]')).to_have_value("")
    expect(form.locator('input[name="m-4-problems"]')).to_have_count(2)
    expect(form.locator('input[name="m-4-problems"]:checked')).to_have_count(0)
    branch.click("#submit-plan")
    expect(branch).to_have_url(stack.url(f"/cases/{CASE}/plan?ok=sent"))
    expect(branch.locator("#flash")).to_be_visible()
    expect(branch.locator("#error")).to_have_count(0)
    expect(branch.locator("#plan li[data-measure]")).to_have_count(2)
    expect(branch.locator('#plan li[data-measure="M1"]')).to_contain_text("chen.branch")
    expect(branch.locator('#plan li[data-measure="M2"]')).to_contain_text("2027-06-30")
    expect(branch.locator('#rounds li[data-type="PlanSubmitted"]')).to_have_count(1)
    expect(branch.locator("#plan-form")).to_have_count(0)  # awaiting review: nothing to submit again
    lap("plan on a phone")

    # 3. The review on a desktop: a passkey registered, the plan returned once, resubmitted, approved (signed).
    town = page_at(1280)
    watches.append(Watch(town))
    sign_in(town, stack, "zhao.town", passwords["zhao.town"], next_path="/account")
    register_passkey(town, stack, virtual_authenticator, cdp_session)
    town.goto(stack.url("/tasks"))
    expect(decision(town, "ApprovePlan")).to_be_visible()
    screenshot(town, "tasks-desktop")
    decision(town, "ApprovePlan").click()
    expect(town).to_have_url(stack.url(f"/cases/{CASE}/plan"))
    expect(town.locator("#plan-form")).to_have_count(0)  # a reviewer reviews; the author writes
    expect(town.locator("#approve-form")).to_be_visible()
    expect(town.locator("#plan li[data-measure]")).to_have_count(2)
    screenshot(town, "plan-desktop")
    town.locator('#return-form textarea[name="comments"]').fill("M1 整改时限过长，请压缩")
    town.locator("#return-form button[type=submit]").click()
    expect(town).to_have_url(stack.url(f"/cases/{CASE}/plan?ok=sent"))  # back on the plan, its rounds below
    expect(town.locator('#rounds li[data-type="PlanReturned"]')).to_contain_text("M1 整改时限过长，请压缩")
    expect(town.locator("#flash")).to_be_visible()

    branch.goto(stack.url(f"/cases/{CASE}/plan"))  # returned: the plan comes back filled in, with the comments
    expect(branch.locator('#rounds li[data-type="PlanReturned"]')).to_contain_text("M1 整改时限过长，请压缩")
    expect(branch.locator('#plan-form input[name="m-2-id"]')).to_have_value("M2")
    expect(branch.locator('#plan-form input[name="m-2-responsible"]')).to_have_value("liu.first")
    expect(branch.locator('#plan-form input[name="m-2-deadline"]')).to_have_value("2027-06-30")
    expect(branch.locator('#plan-form input[name="m-1-problems"][value="P1"]')).to_be_checked()
    expect(branch.locator('#plan-form input[name="m-1-problems"][value="P2"]')).not_to_be_checked()
    plan_file = tmp_path / f"plan-{ORG}.yaml"
    plan_file.write_text(resubmitted_plan(datetime.now(UTC) + timedelta(hours=2)), encoding="utf-8")
    stack.cli("case", "plan", "submit", CASE, str(plan_file), as_="chen.branch")

    town.goto(stack.url(f"/cases/{CASE}/plan"))
    town.locator('#approve-form textarea[name="comments"]').fill("同意")
    town.locator("#approve-form button[type=submit]").click()  # console.js: prepare, the passkey signs, send
    expect(town).to_have_url(stack.url(f"/cases/{CASE}?ok=signed"))
    expect(current_stage(town)).to_have_text(label("stage.implementing", "zh"))
    approved = town.locator('#timeline li[data-type="PlanApproved"]')
    expect(approved.locator(".badge.signed")).to_contain_text("通行密钥签名")
    expect(approved.locator(".badge.signed")).to_have_attribute("title", re.compile(r"^webauthn-"))
    signatures = verify_signatures(stack)
    lap("review with a passkey")

    # 4. The reminder's link, opened on a phone: sign in, the measure, done with a photo.
    reminder = inbox.wait_for(recipient="chen.branch", event_type="ReminderSent", case_id=CASE, contains="M1", timeout=120)
    link = reminder.message.rsplit("办理：", 1)[-1]
    assert reminder.message.endswith("办理：" + link) and link == stack.url(f"/cases/{CASE}/measures/M1"), reminder.message
    lap("reminder")
    phone = page_at(375)
    watches.append(Watch(phone))
    phone.goto(link)
    expect(phone).to_have_url(stack.url("/login?next=" + quote(f"/cases/{CASE}/measures/M1", safe="")))
    screenshot(phone, "login-phone")
    submit(phone, "chen.branch", passwords["chen.branch"])
    expect(phone).to_have_url(link)
    expect(phone.locator("h1")).to_contain_text("M1")
    expect(phone.locator("#light")).to_have_class(re.compile(r"\byellow\b"))  # due within 5 working days
    phone.goto(stack.url("/tasks"))
    task = phone.locator(f'#my-measures li.task[data-case="{CASE}"][data-measure="M1"]')
    expect(task.locator(".light")).to_have_class(re.compile(r"\byellow\b"))
    screenshot(phone, "tasks-phone")
    task.locator("a").click()
    expect(phone).to_have_url(link)
    png = photo(tmp_path / "三会一课.png")
    sha256 = hashlib.sha256(png).hexdigest()
    phone.locator('#report-form textarea[name="note"]').fill("补选支委2名，三会一课台账建立")
    phone.set_input_files("#files", str(tmp_path / "三会一课.png"))
    phone.click("#report-complete")
    expect(phone).to_have_url(stack.url(f"/cases/{CASE}/measures/M1?ok=sent"))
    expect(phone.locator("#flash")).to_be_visible()
    expect(phone.locator("#report-form")).to_have_count(0)  # done: nothing more to report
    figure = phone.locator(f'#measure-evidence figure.evidence[data-sha256="{sha256}"]')
    expect(figure).to_contain_text("三会一课.png")
    thumb = figure.locator("img")
    thumb.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") <= 320  # the thumbnail, not the photo
    downloaded = phone.request.get(stack.url(f"/evidence/{CASE}/{sha256}"))
    assert downloaded.ok and downloaded.headers["content-type"] == "image/png"
    assert hashlib.sha256(downloaded.body()).hexdigest() == sha256
    expect(phone.locator('#reports li[data-type="MeasureCompleted"]')).to_contain_text("补选支委2名")
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "measure-phone")
    lap("measure done with a photo")

    # 5. M2 by the first secretary (CLI); the self-check in the browser, from 我的待办.
    stack.cli("case", "complete", CASE, "M2", "--note", "劳务合作社注册", "--evidence", "营业执照", as_="liu.first")
    phone.goto(stack.url("/tasks"))
    decision(phone, "SubmitSelfCheck").click()
    expect(phone).to_have_url(stack.url(f"/cases/{CASE}#self-check"))
    phone.locator('#self-check-form textarea[name="summary"]').fill("两项措施均已完成")
    phone.locator("#self-check-form button[type=submit]").click()
    expect(phone).to_have_url(stack.url(f"/cases/{CASE}?ok=sent"))
    expect(current_stage(phone)).to_have_text(label("stage.checking", "zh"))
    lap("self-check")

    # 6. The acceptance on the supervisor's desktop, signed with a passkey: the case consolidates.
    register_passkey(sup, stack, virtual_authenticator, cdp_session)
    sup.goto(stack.url("/tasks"))
    decision(sup, "RecordAcceptance").click()
    expect(sup).to_have_url(stack.url(f"/cases/{CASE}#acceptance"))
    sup.wait_for_load_state("load")  # console.js (deferred) handles the signed form's submit
    accept = sup.locator("#acceptance-form")
    accept.locator('input[name="score"]').fill("88")
    accept.locator('input[name="unsatisfied"]').fill("12")
    accept.locator('textarea[name="comments"]').fill("班子配强，三会一课规范")
    accept.locator("button[type=submit]").click()
    expect(sup).to_have_url(stack.url(f"/cases/{CASE}?ok=signed"))
    expect(current_stage(sup)).to_have_text(label("stage.consolidating", "zh"))
    recorded = sup.locator('#timeline li[data-type="AcceptanceRecorded"]')
    expect(recorded.locator(".badge.signed")).to_contain_text("通行密钥签名")
    expect(sup.locator(f'#evidence figure.evidence[data-sha256="{sha256}"] img')).to_be_visible()
    screenshot(sup, "case-desktop")
    assert verify_signatures(stack) > signatures  # and the acceptance's too (the stack is shared: counted from before)
    phone.goto(stack.url(f"/cases/{CASE}"))
    expect(current_stage(phone)).to_have_text(label("stage.consolidating", "zh"))
    screenshot(phone, "case-phone")
    lap("acceptance with a passkey")

    # 7. A village of another organization: the case does not exist for them (404, nothing of it shown).
    outsider = page_at(375)
    watches.append(Watch(outsider, allowed=re.compile(r"status of 404")))
    sign_in(outsider, stack, OUTSIDER, passwords[OUTSIDER])
    expect(outsider.locator(f'[data-case="{CASE}"]')).to_have_count(0)
    for path in (f"/cases/{CASE}", f"/cases/{CASE}/measures/M1", f"/cases/{CASE}/plan"):
        response = outsider.goto(stack.url(path))
        assert response is not None and response.status == 404, (path, response and response.status)
        expect(outsider.locator("h1")).to_have_text("找不到")
        assert "西岭村" not in outsider.content()
    assert outsider.request.get(stack.url(f"/evidence/{CASE}/{sha256}")).status == 404
    assert outsider.request.get(stack.url(f"/evidence/{CASE}/{sha256}/thumb")).status == 404
    lap("outsider")

    for watch in watches:
        assert external_requests(watch.page) == [], watch.page.url
        assert watch.errors == [], watch.errors
    WALKED["session"] = sup.context.storage_state()  # the supervisor's, for the dashboard
    print("timings (s):", timings, "total", round(time.monotonic() - began, 1))


def test_the_dashboard_counts_the_case(
    stack: Stack, page_at: Callable[..., Any], screenshot: Callable[..., Path], external_requests: Callable[[Any], list[str]]
) -> None:
    """After the walk through: /dashboard as the supervisor shows one more case, consolidating, a returned plan,
    an acceptance round passed and two measures done (the stack is shared: counted from the figures before)."""
    if "session" not in WALKED:
        pytest.skip("the walk through did not finish")
    sup = page_at(1280, storage_state=WALKED["session"])
    watch = Watch(sup)
    after, before = figures(sup, stack), WALKED["before"]

    def number(found: dict[str, str], key: str) -> int:
        return int(found.get(key, "0").split("/")[0])

    assert number(after, "total") == number(before, "total") + 1
    assert number(after, "plan_returns") == number(before, "plan_returns") + 1
    assert number(after, "acceptance_rounds") == number(before, "acceptance_rounds") + 1
    assert number(after, "measures") == number(before, "measures") + 2
    consolidating = "stage." + label("stage.consolidating", "zh")
    assert number(after, consolidating) == number(before, consolidating) + 1, after
    screenshot(sup, "dashboard-desktop")
    phone = page_at(375, storage_state=WALKED["session"])  # the same session on a phone
    watch_phone = Watch(phone)
    phone.goto(stack.url("/dashboard"))
    expect(phone.locator("#by-stage")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "the dashboard scrolls sideways at 375 px"
    screenshot(phone, "dashboard-phone")
    for page, errors in ((sup, watch.errors), (phone, watch_phone.errors)):
        assert external_requests(page) == [] and errors == [], errors
