"""The routes: sign-in, who am I, commands and openings, and the reads — each a thin call of the service.

    POST /api/v1/sign-in                         {id, password, totp?, key?} -> a credential
    GET  /api/v1/whoami                          the verified claims
    POST /api/v1/streams                         {opening: {type: OpenCase|ApplyProject|OpenCampaign, …}, policy?}
    POST /api/v1/streams/{stream_id}/commands    {command: {type, …}, request_id?, signature?} -> Done
    GET  /api/v1/streams/{stream_id}/history     the audit trail (who, when, with which proof)
    GET  /api/v1/cases, /api/v1/cases/{id}, /api/v1/projects, /api/v1/projects/{id}, /api/v1/people

Every route but sign-in needs ``Authorization: Bearer <credential>`` (api/security.py). Errors are
api/errors.py's. The audit database engine and the Temporal client are made once per application,
on first use; each request gets its own ``Deps`` (service/bootstrap.py) with the request's caller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client

from api import errors
from api.codec import CodecCors
from api.codec import router as codec_router
from api.resources import Resources, resources
from api.security import MAX_BODY, BodyLimit, SecurityHeaders, Verified, verified
from domain import campaign, project, rectification
from domain.identity import PersonalSignature, PersonKey
from domain.policy import Policy
from domain.project import ProjectState
from domain.rectification import CaseState
from service import cases, commands, projects, signin
from service import policy as policies
from service.cases import CaseSummary  # the ledger rows as the service answers them (api/ reads no store)
from service.commands import Done, TrailRow, trail_row
from service.errors import Refused
from service.projects import ProjectSummary
from settings import Settings, get_settings
from web import pages

TITLE = "PDCA 整改 API"
PREFIX = "/api/v1"

# The commands that open a stream, by type (the people directory is opened by `pdca up`, not here).
OPENINGS: dict[str, type[BaseModel]] = {
    "OpenCase": rectification.OpenCase,
    "ApplyProject": project.ApplyProject,
    "OpenCampaign": campaign.OpenCampaign,
}


Shared = Annotated[Resources, Depends(resources)]
Caller = Annotated[Verified, Depends(verified)]


# ----------------------------------------------------------------------------- bodies and answers


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=16, description="The current code, once a second factor is enrolled")
    key: PersonKey | None = Field(default=None, description="A new personal signing key (public part) to register")


class SignedIn(BaseModel):
    credential: str
    expires_at: datetime
    id: str
    name: str
    roles: list[str]
    scope: list[str]
    key_fingerprint: str | None
    key_registered: bool


class WhoAmI(BaseModel):
    id: str
    name: str
    roles: list[str]
    scope: list[str]
    issued_at: datetime
    expires_at: datetime
    credential_id: str
    key_fingerprint: str | None


class CommandBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: dict[str, Any] = Field(description="The command: its `type` and fields, without `actor` (the credential's person acts)")
    request_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="Idempotency key (a retry is applied once); required with a signature"
    )
    signature: PersonalSignature | None = Field(
        default=None, description="The person's own signature over signed_document(stream_id, request_id, command)"
    )


class OpeningBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opening: dict[str, Any] = Field(description="OpenCase, ApplyProject or OpenCampaign: `type` and fields, without `actor`")
    policy: dict[str, Any] | None = Field(default=None, description="The policy for the new stream (default: the server's)")


class PersonView(BaseModel):
    id: str
    name: str
    roles: list[str]
    scope: list[str]
    status: str
    key_fingerprint: str | None
    keys: list[str]  # every registered key's fingerprint, oldest first


def _no_actor(body: dict[str, Any], what: str) -> None:
    for field in ("actor", "proof"):
        if field in body:
            raise Refused(f"{what} may not carry {field!r}: who sends it is the credential's person", code="invalid_command")
    if not isinstance(body.get("type"), str):
        raise Refused(f"{what} needs a 'type'", code="invalid_command")


# ----------------------------------------------------------------------------- routes

router = APIRouter(prefix=PREFIX)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/sign-in", tags=["identity"], responses={401: {}, 423: {}})
async def sign_in(body: SignInBody, response: Response, shared: Shared) -> SignedIn:
    """Password (and TOTP code, once enrolled) for a credential; ``key`` registers a new signing key."""
    response.headers.update(NO_STORE)
    issued = await signin.sign_in(shared.deps(), body.id, body.password, body.totp, body.key)
    claims = issued.caller.claims
    return SignedIn(
        credential=issued.credential,
        expires_at=issued.caller.expires(),
        id=claims.sub,
        name=claims.name,
        roles=[str(r) for r in claims.roles],
        scope=claims.scope,
        key_fingerprint=claims.key.fingerprint if claims.key else None,
        key_registered=issued.key_registered,
    )


@router.get("/whoami", tags=["identity"])
def whoami(who: Caller, response: Response) -> WhoAmI:
    """The claims of the request's credential, as this server verified them."""
    response.headers.update(NO_STORE)
    claims = who.claims
    return WhoAmI(
        id=claims.sub,
        name=claims.name,
        roles=[str(r) for r in claims.roles],
        scope=claims.scope,
        issued_at=datetime.fromtimestamp(claims.iat, tz=UTC),
        expires_at=who.expires_at(),
        credential_id=claims.jti,
        key_fingerprint=claims.key.fingerprint if claims.key else None,
    )


@router.post("/streams", tags=["commands"])
async def open_stream(body: OpeningBody, who: Caller, shared: Shared) -> Done:
    """Open a case, a project or a campaign (the workflow verifies the credential and runs the rules)."""
    _no_actor(body.opening, "an opening")
    model = OPENINGS.get(body.opening["type"])
    if model is None:
        raise Refused(f"opening.type: one of {', '.join(OPENINGS)}, not {body.opening['type']!r}", code="invalid_command")
    # the actor as the credential claims it; the workflow replaces it with the verified one
    opening = commands.command(model, **{**body.opening, "actor": who.claims.actor().model_dump(mode="json")})
    policy = policies.effective(shared.settings.policy) if body.policy is None else commands.command(Policy, **body.policy)
    return await commands.open_stream(shared.deps(who, await shared.client()), opening, policy)


@router.post("/streams/{stream_id}/commands", tags=["commands"])
async def send_command(stream_id: str, body: CommandBody, who: Caller, shared: Shared) -> Done:
    """Send one command; a decision that judges a person carries the sender's own signature."""
    _no_actor(body.command, "a command")
    if body.signature is not None and body.request_id is None:
        raise Refused("a signed command must send the request_id it signed", code="invalid_command")
    deps = shared.deps(who, await shared.client())
    return await commands.send(deps, stream_id, body.command, body.request_id, body.signature)


@router.get("/streams/{stream_id}/history", tags=["reads"])
def stream_history(stream_id: str, who: Caller, shared: Shared) -> list[TrailRow]:
    """The stream's audit rows in version order (全程纪实): who, when, with which credential and signature
    (a case's only for those who may see it)."""
    deps = shared.deps(who)
    if rectification.DECIDER.owns(stream_id):
        cases.show(deps, stream_id, visible_to=who.claims.actor())
    return [trail_row(row) for row in commands.trail(deps, stream_id)]


@router.get("/cases", tags=["reads"])
def list_cases(
    who: Caller,
    shared: Shared,
    stage: str | None = None,
    org_code: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
) -> list[CaseSummary]:
    """The case ledger, filtered: the cases the caller may see (their scope, or a measure they are responsible for)."""
    actor = who.claims.actor()
    return cases.list_cases(shared.deps(who), stage=stage, org_code=org_code, region=region, overdue=overdue, visible_to=actor)


@router.get("/cases/{case_id}", tags=["reads"])
def show_case(case_id: str, who: Caller, shared: Shared) -> CaseState:
    """The case as its audit rows fold (404 for a case the caller may not see, as for one that does not exist)."""
    return cases.show(shared.deps(who), case_id, visible_to=who.claims.actor())


@router.get("/projects", tags=["reads"])
def list_projects(
    who: Caller,
    shared: Shared,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    region: str | None = None,
    level: str | None = None,
    stage: str | None = None,
) -> list[ProjectSummary]:
    """The project ledger, filtered."""
    return projects.list_projects(shared.deps(who), year=year, region=region, level=level, stage=stage)


@router.get("/projects/{project_id}", tags=["reads"])
def show_project(project_id: str, who: Caller, shared: Shared) -> ProjectState:
    """The project as its audit rows fold."""
    return projects.show(shared.deps(who), project_id)


@router.get("/people", tags=["reads"])
def list_people(who: Caller, shared: Shared) -> list[PersonView]:
    """The people directory: ids, names, roles, scope, status and key fingerprints (no secrets)."""
    directory = signin.read_directory(shared.deps(who))
    return [
        PersonView(
            id=p.id,
            name=p.name,
            roles=[str(r) for r in p.roles],
            scope=list(p.scope),
            status=p.status,
            key_fingerprint=p.current_key.fingerprint if p.current_key else None,
            keys=[k.fingerprint for k in p.keys],
        )
        for p in directory.people.values()
    ]


# ----------------------------------------------------------------------------- the application


def create_app(settings: Settings | None = None, *, client: Client | None = None, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API. ``client``: a Temporal client to share (else connected on the first command);
    ``clock``: the time credentials are verified at (tests)."""
    settings = settings or get_settings()
    app = FastAPI(
        title=TITLE,
        version="1",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        description="Sign in for a credential, then send it as `Authorization: Bearer …` with every request.",
    )
    app.state.settings = settings
    app.state.resources = Resources(settings, client)
    app.state.clock = clock or (lambda: datetime.now(UTC))
    errors.install(app)
    app.include_router(router)
    app.include_router(codec_router)  # POST /codec/decode, /codec/encode: the Temporal UI's codec endpoint (api/codec.py)
    pages.install(app)  # the web console, on the same server and credentials
    # outermost first: the body limit before anything reads a body; no CORS (same origin only)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CodecCors, origins=settings.codec_origins)  # CORS for /codec/ only, PDCA_CODEC_CORS_ORIGINS
    # evidence uploads (web/pages.py: /cases/{id}/do/progress|complete) may carry several files
    upload = settings.evidence_max_mb * 1024 * 1024 * 4 + MAX_BODY
    # and the codec endpoint (api/codec.py) a page of a history's payloads (each up to Temporal's 2 MB)
    uploads = ("/do/progress", "/do/complete", "/do/assess", "/do/review", "/codec/decode", "/codec/encode")
    app.add_middleware(BodyLimit, upload_limit=upload, upload_suffixes=uploads)
    return app


def server(
    host: str | None = None, port: int | None = None, settings: Settings | None = None, client: Client | None = None
) -> uvicorn.Server:
    """A uvicorn server for the API (``await server(...).serve()`` inside a running event loop)."""
    settings = settings or get_settings()
    config = uvicorn.Config(
        create_app(settings, client=client),
        host=host or settings.api_addr,
        port=port or settings.api_port,
        server_header=False,
        log_level="info",
        access_log=True,
    )
    return uvicorn.Server(config)


def serve(host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """Run the API until interrupted (`pdca serve`): PDCA_API_ADDR:PDCA_API_PORT unless given."""
    server(host, port, settings).run()
