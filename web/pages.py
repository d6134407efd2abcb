"""The console's pages: each a thin call of the service layer, rendered server side (Jinja2, no build step).

    GET  /login, POST /login, POST /logout          sign in with the directory's password (and TOTP code)
    GET  /tasks                                     我的待办: my measures (traffic light) and what waits for my decision
    GET  /cases                                     the cases in my scope, paged and filtered, with the total
    GET  /cases/{id}                                the case: stage ribbon, timeline, evidence, deadlines, proposals, actions
    GET  /cases/{id}/measures/{m}                   a measure: report progress or completion with evidence files
    GET  /cases/{id}/plan                           the plan form (authors) and its review (reviewers)
    GET  /ratings                                   评星定级: the star ratings in my scope, filtered by year, township, stage
    GET  /ratings/{id}                              a rating: scores and evidence, what the gates grant and why not higher,
                                                    objections, veto events, comments, timeline; the forms its people may
                                                    send now (self-assessment, township review or return, county return)
    POST /cases/{id}/do/{action}                    a form's command (web/forms.py); back to the page, or the form again with the error
    POST /cases/{id}/sign/{action}/prepare          a decision that judges a person: the command and its passkey challenge (JSON)
    POST /cases/{id}/sign/{action}/send             … sent with the passkey's assertion as the personal signature (JSON)
    POST /ratings/{id}/do/{action}                  a rating's form (web/rating_forms.py: assess, review, return), with each
                                                    point item's evidence files; back to the rating, or its page again with
                                                    the error, what was typed and the files stored
    GET  /evidence/{id}/{sha256}[/thumb]            an evidence file of a case or a star rating I may see, checked against its hash
    GET  /account, POST /account/passkeys[/options] my account; register a passkey (WebAuthn)

Every page needs a session (web/session.py); every POST its CSRF token. What a page offers comes from the
rules (service.console); the workflow decides every command again, with the credential and signature.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from api import errors as api_errors
from api.resources import Resources, resources
from domain.errors import DomainError
from domain.evidence import MAX_FILES, EvidenceFile
from domain.identity import PersonalSignature
from domain.rating import Stage as RatingStage
from domain.rating import stars_text
from domain.rectification import DECIDER as CASES
from i18n import console as words
from service import commands, console, evidence, paging, passkeys, ratings, signin
from service import policy as policies
from service.errors import NotFound, Refused, ServiceError
from service.identity import caller_of
from settings import Settings
from settings.errors import InputError
from web import forms, rating_forms
from web.session import (
    LANG,
    SignInNeeded,
    Viewer,
    check_csrf,
    check_login_token,
    end_session,
    lang_of,
    login_redirect,
    login_token,
    safe_next,
    set_login_token,
    start_session,
    viewer,
)

HERE = Path(__file__).parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False)
words.install(templates)

router = APIRouter(include_in_schema=False)
Who = Annotated[Viewer, Depends(viewer)]
Shared = Annotated[Resources, Depends(resources)]


def render(request: Request, who: Viewer | None, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = who.lang if who else lang_of(request)
    html = templates.get_template(name).render(
        request=request, who=who, lang=lang, csrf=who.csrf if who else "", path=request.url.path, **context
    )
    # Referrer-Policy same-origin, not the API's no-referrer: under no-referrer a browser sends
    # `Origin: null` with a form post, and the CSRF check (web/session.py) refuses every form of the console.
    # Other sites still get no referrer.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
    response = HTMLResponse(html, status_code=status, headers=headers)
    if request.query_params.get("lang") in {"zh", "en"}:
        response.set_cookie(LANG, lang, max_age=365 * 86400, samesite="lax", httponly=True, path="/")
    return response


def back(path: str, note: str = "sent") -> RedirectResponse:
    return RedirectResponse(f"{path}?ok={quote(note)}", status_code=303)


def _form_values(data: FormData) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


# ----------------------------------------------------------------------------- sign-in


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/tasks", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None, error: str | None = None) -> HTMLResponse:
    token = login_token(request)
    response = render(request, None, "login.html", login_csrf=token, next=safe_next(next), error=error, person_id="")
    set_login_token(response, request.app.state.settings, token)
    return response


@router.post("/login")
async def login(request: Request, shared: Shared) -> Response:
    data = await request.form()
    values = _form_values(data)
    person_id, next_path = forms.first(values, "id"), safe_next(forms.first(values, "next"))
    check_login_token(request, forms.first(values, "login_csrf"))
    try:
        issued = await signin.sign_in(
            shared.deps(), person_id, forms.first(values, "password"), forms.first(values, "totp") or None, passkey=True
        )
    except Refused as refused:
        token = login_token(request)
        status = api_errors.status_of(refused)
        page = render(
            request,
            None,
            "login.html",
            status,
            login_csrf=token,
            next=next_path,
            error=words.refusal(refused.code, refused.message, lang_of(request)),
            person_id=person_id,
        )
        set_login_token(page, request.app.state.settings, token)
        return page
    redirect = RedirectResponse(next_path, status_code=303)
    start_session(redirect, request.app.state.settings, issued.credential, issued.caller.expires())
    return redirect


@router.post("/logout")
async def logout(request: Request, who: Who) -> RedirectResponse:
    check_csrf(request, who, forms.first(_form_values(await request.form()), "csrf"))
    response = RedirectResponse("/login", status_code=303)
    end_session(response, request.app.state.settings)
    return response


# ----------------------------------------------------------------------------- reading


@router.get("/tasks")
def tasks_page(request: Request, who: Who, shared: Shared) -> HTMLResponse:
    found = console.my_tasks(shared.deps(who.who))
    return render(request, who, "tasks.html", tasks=found)


@router.get("/cases")
def cases_page(
    request: Request,
    who: Who,
    shared: Shared,
    year: str = "",
    region: str = "",
    stage: str = "",
    overdue: str = "",
    page: int = 1,
) -> HTMLResponse:
    year_value = int(year) if year.isdigit() else None
    overdue_value = {"yes": True, "no": False}.get(overdue)
    found = console.case_page(
        shared.deps(who.who), year=year_value, region=region or None, stage=stage or None, overdue=overdue_value, page=max(page, 1)
    )
    pages = paging.pages_of(found.total, console.PAGE_SIZE)
    filters = {"year": year, "region": region, "stage": stage, "overdue": overdue}
    return render(request, who, "cases.html", found=found, page=max(page, 1), pages=pages, filters=filters)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, who: Who, shared: Shared) -> HTMLResponse:
    view = console.case_view(shared.deps(who.who), case_id)
    return render(request, who, "case.html", view=view, case=view.state, form={}, error=None, now=datetime.now(UTC))


@router.get("/ratings")
def ratings_page(
    request: Request, who: Who, shared: Shared, year: str = "", region: str = "", stage: str = "", page: int = 1
) -> HTMLResponse:
    """评星定级: the ratings of the organizations in my scope (service.ratings.list_ratings_for), 50 a page."""
    year_value = int(year) if year.isdigit() else None
    stage_value = stage if stage in {s.value for s in RatingStage} else None
    found = ratings.list_ratings_for(shared.deps(who.who), year=year_value, region=region or None, stage=stage_value)
    size = console.PAGE_SIZE
    pages = paging.pages_of(len(found), size)
    page = min(max(page, 1), pages)
    filters = {"year": year, "region": region, "stage": stage_value or ""}
    return render(
        request,
        who,
        "ratings.html",
        rows=found[(page - 1) * size : page * size],
        total=len(found),
        page=page,
        pages=pages,
        filters=filters,
        stages=[s.value for s in RatingStage],
        stars=stars_text,
    )


@router.get("/ratings/{rating_id}")
def rating_page(request: Request, rating_id: str, who: Who, shared: Shared) -> HTMLResponse:
    return _rating(request, who, shared, ratings.rating_view(shared.deps(who.who), rating_id))


def _rating(
    request: Request,
    who: Viewer,
    shared: Resources,
    view: ratings.RatingView,
    *,
    failed: str | None = None,
    form: Any = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A rating page; ``failed``: the form a refusal came back to (shown again with ``form``, what was typed)."""
    return render(
        request,
        who,
        "rating.html",
        status,
        view=view,
        rating=view.state,
        stages=[s.value for s in RatingStage],
        stars=stars_text,
        actions=ratings.rating_actions(view.state, shared.deps(who.who).caller.actor),
        point_items=rating_forms.point_items(view),
        veto_items=rating_forms.veto_items(view),
        forms=rating_forms.form_values(failed, form or {}, view.state),
        limits=_limits(shared.settings),
        failed=failed,
        error=error,
    )


@router.get("/cases/{case_id}/measures/{measure_id}")
def measure_page(request: Request, case_id: str, measure_id: str, who: Who, shared: Shared) -> HTMLResponse:
    return _measure(request, who, shared, case_id, measure_id)


def _measure(
    request: Request,
    who: Viewer,
    shared: Resources,
    case_id: str,
    measure_id: str,
    *,
    form: Any = None,
    error: str | None = None,
    kept: list[EvidenceFile] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = console.case_view(shared.deps(who.who), case_id)
    measure = view.state.measure(measure_id)
    if measure is None:
        raise NotFound(f"case {case_id} has no measure {measure_id}", case_id)
    reports = [row for row in view.trail if row.data.get("measure_id") == measure_id]
    limits = _limits(shared.settings)
    return render(
        request,
        who,
        "measure.html",
        status,
        view=view,
        case=view.state,
        measure=measure,
        reports=reports,
        form=form or {},
        error=error,
        kept=kept or [],
        limits=limits,
    )


@router.get("/cases/{case_id}/plan")
def plan_page(request: Request, case_id: str, who: Who, shared: Shared) -> HTMLResponse:
    return _plan(request, who, shared, case_id)


def _plan(
    request: Request, who: Viewer, shared: Resources, case_id: str, *, form: Any = None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    view = console.case_view(shared.deps(who.who), case_id)
    rounds = [row for row in view.trail if row.type in {"PlanSubmitted", "PlanReturned", "PlanApproved"}]
    categories = policies.effective(shared.settings.policy).problem_categories  # the problem ledger's words, not its codes
    people = console.responsible_candidates(shared.deps(who.who), view.state) if "SubmitPlan" in view.actions else []
    return render(
        request,
        who,
        "plan.html",
        status,
        view=view,
        case=view.state,
        rounds=rounds,
        form=form or {},
        error=error,
        categories=categories,
        people=people,
    )


# ----------------------------------------------------------------------------- acting


ACCEPT = "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"  # what a file input offers; the bytes decide (service.evidence)


def _limits(settings: Settings) -> dict[str, Any]:
    """What an upload form tells the browser (console.js checks sizes and counts before sending)."""
    return {"max_mb": settings.evidence_max_mb, "max_files": MAX_FILES, "accept": ACCEPT}


def _unique(files: list[EvidenceFile]) -> list[EvidenceFile]:
    return list({f.sha256: f for f in files}.values())


async def _uploads(
    shared: Resources,
    data: FormData,
    values: dict[str, list[str]],
    *,
    field: str = "files",
    kept: str = "kept",
    accepted: list[EvidenceFile] | None = None,
) -> list[EvidenceFile]:
    """The evidence files of the form's ``field``, each checked and stored (content-addressed) before the
    command is sent; files kept from a refused attempt (``kept``: "sha256:name", as the form of a refused
    attempt carried them) come back as their hashes and are checked again from the store. ``accepted``
    collects each file once stored, so a refusal later (another file, another field) still keeps it."""
    files: list[EvidenceFile] = accepted if accepted is not None else []
    for held in values.get(kept, []):
        sha256, _, name = held.partition(":")
        data_kept = await asyncio.to_thread(evidence.download, shared.settings, sha256)
        files.append(await asyncio.to_thread(evidence.accept, shared.settings, name or "file", None, data_kept))
    for item in data.getlist(field):
        if isinstance(item, str) or not item.filename:
            continue
        upload = item
        body = await upload.read(shared.settings.evidence_max_mb * 1024 * 1024 + 1)
        files.append(await asyncio.to_thread(evidence.accept, shared.settings, upload.filename or "file", upload.content_type, body))
    found = _unique(files)
    if len(found) > MAX_FILES:
        raise Refused(f"at most {MAX_FILES} files at once (一次最多 {MAX_FILES} 个文件)", code="invalid_evidence")
    return found


@router.post("/cases/{case_id}/do/{action}")
async def act(request: Request, case_id: str, action: str, who: Who, shared: Shared) -> Response:
    data = await request.form()
    values = _form_values(data)
    check_csrf(request, who, forms.first(values, "csrf"))
    chosen = forms.action(action)
    measure_id = forms.first(values, "measure_id")
    files: list[EvidenceFile] = []
    try:
        if chosen.uploads:
            files = await _uploads(shared, data, values, accepted=files)
        if chosen.model.model_fields["type"].default in CASES.signed_commands:
            raise Refused("this decision is signed with your passkey: enable JavaScript and try again", code="signature_required")
        body = forms.build(action, values, who.who.claims.actor(), files, who.lang)
        await commands.send(shared.deps(who.who, await shared.client()), case_id, body, forms.first(values, "request_id") or None)
    except (Refused, DomainError) as refused:
        if isinstance(refused, NotFound):
            raise
        code = getattr(refused, "code", None)
        message = words.refusal(code, refused.message, who.lang)
        status = 403 if code in api_errors.FORBIDDEN else 400
        if chosen.uploads and measure_id:
            return _measure(request, who, shared, case_id, measure_id, form=values, error=message, kept=_unique(files), status=status)
        if action == "plan":
            return _plan(request, who, shared, case_id, form=values, error=message, status=status)
        view = console.case_view(shared.deps(who.who), case_id)
        return render(request, who, "case.html", status, view=view, case=view.state, form=values, error=message, now=datetime.now(UTC))
    if chosen.uploads and measure_id:
        return back(f"/cases/{quote(case_id)}/measures/{quote(measure_id)}")
    return back(f"/cases/{quote(case_id)}" if action not in {"plan", "return_plan"} else f"/cases/{quote(case_id)}/plan")


@router.post("/ratings/{rating_id}/do/{action}")
async def act_on_rating(request: Request, rating_id: str, action: str, who: Who, shared: Shared) -> Response:
    """A rating's form: the organization's self-assessment, the township's review or return, the county's
    return, sent as the signed-in person (the workflow checks the credential and the rules). A rating the
    person may not see is not found, and nothing is stored or sent. The evidence files of each point item
    (``files-<item>``, and ``kept-<item>`` from a refused attempt) are stored before the command is sent and
    kept for the form again when it is refused."""
    data = await request.form()
    values = _form_values(data)
    check_csrf(request, who, forms.first(values, "csrf"))
    if action not in rating_forms.ACTIONS:
        raise Refused(f"unknown action {action!r}", code="invalid_command")
    view = ratings.rating_view(shared.deps(who.who), rating_id)  # NotFound out of scope: nothing is stored or sent
    actor = who.who.claims.actor()
    request_id = forms.first(values, "request_id") or None
    review = action == "review"
    uploaded: dict[str, list[EvidenceFile]] = {}
    codes = [item.code for item in rating_forms.typed_items(values, view)]  # to name a refused score as the form does
    try:
        if action == "return":
            deps = shared.deps(who.who, await shared.client())
            await ratings.return_rating(deps, rating_id, actor, forms.first(values, "comment"), request_id)
        else:
            files = await _rating_uploads(shared, data, values, view, uploaded, who.lang)
            codes = [item.code for item in rating_forms.typed_items(values, view, files if review else None)]
            file = rating_forms.read(values, view, review=review, lang=who.lang, files=files)
            deps = shared.deps(who.who, await shared.client())
            if action == "assess":
                await ratings.assess(deps, rating_id, actor, file, request_id)
            else:
                await ratings.review(deps, rating_id, actor, forms.first(values, "comment"), file, request_id)
    except (ServiceError, DomainError) as refused:
        if isinstance(refused, NotFound):
            raise
        message, code = rating_forms.word(refused, codes, view, who.lang)
        status = api_errors.status_of(refused) if isinstance(refused, ServiceError) else 400
        if code in api_errors.FORBIDDEN:
            status = 403
        typed: dict[str, list[str]] = dict(values)
        if action != "return":  # the files stored so far come back with the form (its kept-<item> fields)
            typed.update({f"kept-{item.code}": forms.kept_values(uploaded.get(item.code, [])) for item in rating_forms.point_items(view)})
        again = ratings.rating_view(shared.deps(who.who), rating_id)
        return _rating(request, who, shared, again, failed=action, form=typed, error=message, status=status)
    return back(f"/ratings/{quote(rating_id)}")


async def _rating_uploads(
    shared: Resources,
    data: FormData,
    values: dict[str, list[str]],
    view: ratings.RatingView,
    uploaded: dict[str, list[EvidenceFile]],
    lang: str,
) -> dict[str, list[EvidenceFile]]:
    """Each point item's evidence files (``files-<item>``, ``kept-<item>``), stored as a report's are; every
    item is tried, so a file refused for one keeps the others' (collected in ``uploaded``), and the first
    refusal is raised with the item named as the form labels it."""
    files: dict[str, list[EvidenceFile]] = {}
    refusal: Refused | None = None
    for item in rating_forms.point_items(view):
        try:
            got = await _uploads(
                shared, data, values, field=f"files-{item.code}", kept=f"kept-{item.code}", accepted=uploaded.setdefault(item.code, [])
            )
        except Refused as refused:
            if refusal is None:
                refusal = Refused(f"{rating_forms.item_label(item, 'files', lang)}{refused.message}", code=refused.code)
            continue
        if got:
            files[item.code] = got
    if refusal is not None:
        raise refusal
    return files


def _rp(settings: Settings) -> tuple[str, str]:
    """The passkeys' relying party id (the console's host name) and origin."""
    parts = urlsplit(settings.public_base)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


@router.post("/cases/{case_id}/sign/{action}/prepare")
async def prepare_signed(request: Request, case_id: str, action: str, who: Who, shared: Shared) -> JSONResponse:
    """The command a decision form asks for, and the passkey challenge that signs it: the digest of
    ``signed_document(case, request id, command)`` — the same document the workflow checks."""
    values = _form_values(await request.form())
    check_csrf(request, who, forms.first(values, "csrf"))
    body = forms.build(action, values, who.who.claims.actor(), lang=who.lang)
    request_id = uuid.uuid4().hex
    value = passkeys.command_digest(case_id, request_id, body)
    rp_id, _origin = _rp(shared.settings)
    options = passkeys.assertion_options(shared.deps(who.who), rp_id, value)
    return JSONResponse({"request_id": request_id, "command": body, "digest": value.hex(), "publicKey": options})


@router.post("/cases/{case_id}/sign/{action}/send")
async def send_signed(request: Request, case_id: str, action: str, who: Who, shared: Shared) -> JSONResponse:
    check_csrf(request, who, None)
    try:
        sent = json.loads(await request.body())
    except ValueError:
        raise Refused("the request is not JSON", code="invalid_request") from None
    if not isinstance(sent, dict) or not isinstance(sent.get("command"), dict) or not isinstance(sent.get("request_id"), str):
        raise Refused("send {request_id, command, assertion}", code="invalid_request")
    if not re.fullmatch(r"[0-9a-f]{32}", sent["request_id"]):
        raise Refused("request_id: the one the prepare step gave", code="invalid_request")
    body = forms.rebuild(action, sent["command"], who.who.claims.actor())
    assertion: dict[str, Any] = sent["assertion"] if isinstance(sent.get("assertion"), dict) else {}
    deps = shared.deps(who.who, await shared.client())
    key = passkeys.signing_passkey(deps, str(assertion.get("credential_id", "")))
    _rp_id, origin = _rp(shared.settings)
    signature: PersonalSignature = passkeys.signature_from_assertion(
        key,
        passkeys.command_digest(case_id, sent["request_id"], body).hex(),
        str(assertion.get("authenticator_data", "")),
        str(assertion.get("client_data", "")),
        str(assertion.get("signature", "")),
        origin,
    )
    credential = who.who.credential
    if who.who.claims.key is None or who.who.claims.key.fingerprint != key.fingerprint:
        # another of the person's passkeys answered: the credential the workflow checks must name it
        credential = passkeys.credential_naming(deps, key)
        deps = deps.acting_as(caller_of(credential))
    await commands.send(deps, case_id, body, sent["request_id"], signature)
    answer = JSONResponse({"ok": True, "redirect": f"/cases/{quote(case_id)}?ok=signed"})
    if credential != who.who.credential:
        start_session(answer, shared.settings, credential, caller_of(credential).expires())
    return answer


# ----------------------------------------------------------------------------- evidence files


@router.get("/evidence/{stream_id}/{sha256}")
def download(stream_id: str, sha256: str, who: Who, shared: Shared, name: str = "") -> Response:
    """An evidence file of a case or a star rating (``star-…``) the person may see, checked against its hash;
    404 out of scope, and for a file the case or rating does not name (service.console.evidence_file)."""
    item = console.evidence_file(shared.deps(who.who), stream_id, sha256)
    data = evidence.download(shared.settings, sha256)
    disposition = "inline" if item.is_image or item.type == "application/pdf" else "attachment"
    filename = quote(name or item.name)
    return Response(
        data,
        media_type=item.type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
            "ETag": f'"{sha256}"',
        },
    )


@router.get("/evidence/{stream_id}/{sha256}/thumb")
def thumb(stream_id: str, sha256: str, who: Who, shared: Shared) -> Response:
    console.evidence_file(shared.deps(who.who), stream_id, sha256)
    data = evidence.thumbnail(shared.settings, sha256)
    if data is None:
        raise NotFound(f"no thumbnail for {sha256}", stream_id)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400", "ETag": f'"t{sha256}"'})


# ----------------------------------------------------------------------------- my account and passkeys


@router.get("/account")
def account(request: Request, who: Who, shared: Shared) -> HTMLResponse:
    directory = signin.read_directory(shared.deps(who.who))
    person = directory.people.get(who.id)
    return render(request, who, "account.html", person=person, claims=who.who.claims)


@router.post("/account/passkeys/options")
async def passkey_options(request: Request, who: Who, shared: Shared) -> JSONResponse:
    check_csrf(request, who, None)
    rp_id, _origin = _rp(shared.settings)
    return JSONResponse({"publicKey": passkeys.registration_options(shared.deps(who.who), rp_id, words.RP_NAME)})


@router.post("/account/passkeys")
async def register_passkey(request: Request, who: Who, shared: Shared) -> JSONResponse:
    """Register the passkey the browser made; the session's credential then names it (signed decisions use it)."""
    check_csrf(request, who, None)
    try:
        sent = json.loads(await request.body())
    except ValueError:
        raise Refused("the request is not JSON", code="invalid_request") from None
    if not isinstance(sent, dict):
        raise Refused("send the new passkey's fields", code="invalid_request")
    rp_id, origin = _rp(shared.settings)
    deps = shared.deps(who.who, await shared.client())
    key = await passkeys.register_passkey(deps, rp_id, origin, commands.command(passkeys.Registration, **sent))
    credential = passkeys.credential_naming(deps, key)  # the session now signs with the new passkey
    response = JSONResponse({"ok": True, "fingerprint": key.fingerprint})
    start_session(response, shared.settings, credential, caller_of(credential).expires())
    return response


# ----------------------------------------------------------------------------- errors as pages


async def page_error(request: Request, error: Exception) -> Response:
    """Errors of the console's pages as pages (the API's stay JSON); a missing session goes to sign-in."""
    path = request.url.path
    if isinstance(error, SignInNeeded):
        if path.startswith("/api") or request.method != "GET":
            return api_errors.error_response(401, "credential_missing", "sign in first")
        return RedirectResponse(login_redirect(error.next_path), status_code=303)
    scripted = "/sign/" in path or path.startswith("/account/passkeys") or "application/json" in request.headers.get("accept", "")
    if path.startswith("/api") or scripted:
        return await api_errors.service_error(request, error)
    if isinstance(error, DomainError):
        error = Refused(error.message, code=error.code)
    if isinstance(error, InputError):
        error = Refused(error.message, code=error.code)
    if not isinstance(error, ServiceError):
        return await api_errors.service_error(request, error)
    status = api_errors.status_of(error)
    lang = lang_of(request)
    return render(request, None, "error.html", status, message=words.refusal(error.code, error.message, lang), code=status)


def install(app: FastAPI) -> None:
    """Mount the console on the API's application (one server, one set of credentials)."""
    from web import dashboard  # it renders with this module's helpers: imported once this module is loaded

    app.include_router(router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for kind in (SignInNeeded, ServiceError, DomainError, InputError):
        app.add_exception_handler(kind, page_error)
