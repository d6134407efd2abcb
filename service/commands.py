"""Open a stream and send it commands: what every state-changing service function ends in.

``Done`` is the answer of every command that changes a case, project or campaign — the stream id, its
version and stage after the command, the events the command appended, whether it was a retry — and
what a door prints (``pdca … -o json`` prints it as it is).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.identity import PersonalSignature
from domain.limits import capped
from domain.policy import Policy
from service import streams
from service.bootstrap import Deps
from service.errors import InvalidField, NotFound, ServiceError
from store import queries
from store.models import AuditEvent

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", bound="Done")


class Done(BaseModel):
    """What a command did to its stream."""

    stream_id: str
    version: int  # the stream's version after the command
    stage: str  # its stage after the command
    events: list[str]  # event types appended (none: the command changed nothing)
    duplicate: bool = False  # a retry of an applied request: the first result is returned
    request_id: str | None = None  # the idempotency key it was sent under (None: an opening)


def command(model: type[M], **fields: Any) -> M:
    """Build a command from a door's fields, held to the size caps (domain.limits); a field the model
    refuses is a ``Refused`` naming it."""
    try:
        with capped():
            return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidField(".".join(str(p) for p in first["loc"]), first["msg"]) from None


def expect(noun: str, stream_id: str, example: str) -> None:
    """Refuse an id of another kind before asking Temporal (``example``: what such an id looks like)."""
    kind = next((k for k in streams.KINDS if k.noun == noun), None)
    if kind is not None and not kind.decider.owns(stream_id):
        article = "an" if noun[:1] in "aeiou" else "a"
        raise NotFound(f"{stream_id} is not {article} {noun} id (they start with {kind.decider.prefix}, e.g. {example})", stream_id)


async def open_stream(deps: Deps, opening: Any, policy: Policy) -> Done:
    """Start the stream ``opening`` names (the rules run in its workflow; a refusal is ``Refused``).
    ``events`` are what the opening appended (a case opened with history: its memory rules' proposals too)."""
    opened = await streams.open_stream(deps, opening, policy)
    state: Any = opened.state
    return Done(stream_id=opened.stream_id, version=state.version, stage=str(state.stage.value), events=opened.events)


async def send(
    deps: Deps, stream_id: str, cmd: Any, request_id: str | None = None, signature: PersonalSignature | None = None
) -> Done:
    """Send one command (a command model, or a door's JSON body without an actor) as ``deps.caller``,
    under ``request_id`` (a fresh one when None: pass the same one to retry safely). ``signature``: the
    person's own, made by the client (else made with the caller's key when the decision needs one).
    A stream Temporal does not know is explained from the audit log (closed, or another cluster)."""
    rid = request_id or uuid.uuid4().hex
    try:
        result = await streams.send(deps, stream_id, cmd, request_id=rid, signature=signature)
    except NotFound as missing:
        raise explain(deps, missing) from None
    return done_of(Done, stream_id, result)


def done_of(model: type[D], stream_id: str, result: Any, **extra: Any) -> D:
    """``model`` (``Done`` or a subclass, ``extra`` its own fields) of a command result (any kind's
    ``CommandResult``)."""
    return model(
        stream_id=stream_id,
        version=result.version,
        stage=str(getattr(result.stage, "value", result.stage)),
        events=list(result.events),
        duplicate=result.duplicate,
        request_id=result.request_id,
        **extra,
    )


def trail(deps: Deps, stream_id: str, missing: str | None = None) -> list[AuditEvent]:
    """A stream's audit rows in version order (全程纪实); ``NotFound`` (``missing``, or "unknown …") when it has none."""
    rows = deps.reading(lambda engine: queries.read_stream(engine, stream_id))
    if not rows:
        raise NotFound(missing or f"unknown {streams.kind_of(stream_id).noun} {stream_id}", stream_id)
    return rows


class TrailRow(BaseModel):
    """One audit row as a person reads it: what happened, who, when, with which proof (全程纪实)."""

    position: int
    version: int
    type: str
    actor: str
    at: datetime  # the event's time (the workflow's clock)
    recorded_at: datetime
    policy_version: str | None = None
    credential: str | None = None  # the id of the credential the command came with
    signed: bool = False  # carries the person's own signature
    signature_key: str | None = None  # that signature's key fingerprint
    signature_alg: str | None = None  # e.g. ed25519, sm2, webauthn-es256 (a passkey)
    data: dict[str, Any] = {}  # the event's own fields (without the stamp and proof)


_STAMP = frozenset({"type", "event_id", "at", "actor", "policy_version", "proof", "request_id"})


def trail_row(row: AuditEvent) -> TrailRow:
    """An audit row read for people (a payload that does not parse shows its type and actor only)."""
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    proof: dict[str, Any] = payload["proof"] if isinstance(payload.get("proof"), dict) else {}
    signature: dict[str, Any] | None = proof["signature"] if isinstance(proof.get("signature"), dict) else None
    return TrailRow(
        position=row.position,
        version=row.version,
        type=row.event_type,
        actor=row.actor,
        at=payload.get("at") or row.recorded_at,
        recorded_at=row.recorded_at,
        policy_version=row.policy_version,
        credential=proof.get("credential") or None,
        signed=signature is not None,
        signature_key=signature.get("key") if signature else None,
        signature_alg=signature.get("alg") if signature else None,
        data={k: v for k, v in payload.items() if k not in _STAMP},
    )


def folded(deps: Deps, stream_id: str) -> Any:
    """The stream's state as its audit rows fold (the same ``evolve`` the workflow runs)."""
    return queries.fold_stream(trail(deps, stream_id), streams.kind_of(stream_id).decider)


def explain(deps: Deps, missing: NotFound) -> ServiceError:
    """Why Temporal does not know ``missing.stream_id``, from the audit log when it can be read."""
    try:
        return deps.reading(lambda _engine: streams.explain_missing(missing, deps.audit_log, deps.address))
    except ServiceError:  # the database cannot say: Temporal's answer stands
        return missing
