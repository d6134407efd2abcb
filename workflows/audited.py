"""One audited decider workflow: the skeleton every kind (case, project, campaign) runs on.

A kind's workflow is a subclass that names its ``Decider`` (domain/decider.py) and its payload models
and adds only what is its own (its run loop's extra steps, its result and continue-as-new input).
The base does what every kind does the same way:

- Commands arrive as the ``command`` Update. The validator runs the decider, so a command the rules
  refuse is rejected before anything enters history (and counted: pdca_commands_rejected). The handler
  decides again under a lock, appends the events through the audit activity — a local activity, in
  the same workflow task, for runs started since ``append-local-v1`` — and acknowledges only then.
  Request ids (chosen by the client) are remembered across continue-as-new: a retried command is
  applied once.
- The opening command (in the workflow input) is decided in ``__init__`` so handlers that run before
  ``run()`` see an opened stream; ``run()`` makes it durable first.
- Notices (events the kind marks as notices) wait in an outbox that a separate loop delivers, outside
  the lock: a slow or failing channel never holds up commands or timers.
- Timers: the loop sleeps until the decider's ``next_wakeup`` (or until a command changed the state)
  and then decides a ``Tick``.
- Working-day calendar facts come from an activity for the years the decider needs, kept in state and
  carried over continue-as-new. The calendar and key fetches are local activities (in the workflow
  task that asks) for runs started since ``local-fetch-v1``; runs recorded before keep the regular ones.
- Search attributes are upserted when their value changed; continue-as-new when the server suggests it
  and every handler has finished.
- Identity (docs/security.md): every command carries a credential; the validator verifies it with the
  authority's public keys the workflow holds (fetched by an activity, kept in state, carried over
  continue-as-new; ``refresh_keys`` fetches them again when a credential names a key not yet held; a
  case a campaign opens fetches them with its first command, not at its opening) at
  ``workflow.now()``, and the command's actor — roles, scope — comes from it, never from the body.
  Decisions that judge a person (the decider's ``signed_commands``) carry the person's own signature,
  verified with the key the credential names. The proof goes into the events (``Proof``). Streams
  recorded before this (no ``identity-v1`` marker) replay as recorded.

The kinds' modules import this one passed through the sandbox (imported once per worker, not once per
run): nothing here holds per-run state — a run's state is on its instance.

Workflow code (deterministic): time from ``workflow.now()``, ids from ``workflow.uuid4()``, I/O only
through activities. The Update handler and the queries are typed ``Any`` at the Temporal boundary
because one definition serves every kind: the payload is validated here with the kind's own models
(``Request``, its command by the decider's command adapter), and clients read results with the kind's models (service/).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, Generic, ParamSpec, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from activities.audit import AppendAck, AppendRequest, AuditActivities, EventRecord, StageChange
    from activities.notify import Notice, NotifyActivities
    from domain.decider import Context, Decider, Proof, Tick
    from domain.errors import DomainError, InvalidCommand
    from domain.identity import PersonalSignature, TrustedKeys, decode_unverified, verify_credential
    from domain.identity.credentials import CredentialMissing
    from domain.identity.signatures import signed_document, verify_command_signature
    from domain.limits import capped
    from domain.policy import Policy
    from domain.workcal import CalendarFacts, WorkCalendar
    from workflows.activity_calls import call_activity
    from workflows.calendar import fetch_calendar
    from workflows.identity import fetch_keys
    from workflows.search_attributes import stream_search_attributes

UPDATE_NAME = "command"
REFRESH_KEYS = "refresh_keys"
# Patch id guarding identity: trusted keys fetched at start, an opening's credential verified.
IDENTITY_PATCH = "identity-v1"
# A stream fetches its keys again at most this often on request (each fetch is an activity in history).
KEYS_REFRESH_INTERVAL = timedelta(seconds=5)
# Remembered request ids: enough for a retried CLI command to be recognised across continue-as-new.
MAX_REMEMBERED_REQUESTS = 500
# Patch id guarding the append as a local activity (one workflow task per command); streams recorded
# without it keep appending through the regular activity.
APPEND_LOCAL_PATCH = "append-local-v1"
# Each attempt of the append (regular or local): longer than a SQLite append waits on a lock (store/db.py
# busy_timeout, 30 s), so an attempt blocked on a lock fails on the lock, not on this timeout.
APPEND_TIMEOUT = timedelta(seconds=60)
# No overall bound (no schedule-to-close): an append is retried until it is stored, as the regular
# activity always was; the state moves on only once its events are durable.
APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["ConcurrencyError", "IdempotencyConflict"],
)
# Patch id guarding the key and calendar fetches as local activities (and no key fetch at a campaign
# child's opening); runs recorded without it keep fetching through the regular activities.
LOCAL_FETCH_PATCH = "local-fetch-v1"
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=1), maximum_attempts=5)


class StreamState(Protocol):
    """What the skeleton reads of every kind's state (a pydantic model)."""

    @property
    def version(self) -> int: ...

    @property
    def stage(self) -> Enum: ...

    @property
    def org_code(self) -> str: ...

    @property
    def org_name(self) -> str: ...


S = TypeVar("S", bound=StreamState)


class Request(BaseModel):
    """What a client sends as the ``command`` Update: the command without its actor, the sender's
    credential, and for a decision that judges a person the sender's signature over
    ``signed_document(stream_id, request_id, command)``."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1)  # chosen by the client: a retried command is applied once
    command: dict[str, Any]
    credential: str | None = None
    signature: PersonalSignature | None = None


class CommandResult(BaseModel):
    """What the ``command`` Update answers; each kind's result adds its stream id field (and more)."""

    request_id: str
    version: int
    events: list[str]  # event types appended (none: the command changed nothing)
    duplicate: bool = False  # a retry: the first result is returned


R = TypeVar("R", bound=CommandResult)
P = ParamSpec("P")
T = TypeVar("T")


def named_update(name: str) -> Callable[[Callable[P, Awaitable[T]]], workflow.UpdateMethodMultiParam[P, T]]:
    """``@workflow.update(name=...)`` for an ``async def`` handler, typed as the SDK types a bare
    ``@workflow.update``: a client's ``execute_update`` then returns the handler's result, not a coroutine."""
    # the SDK's keyword overload types the handler's coroutine as its result: retyped here, nothing else changes
    return workflow.update(name=name)  # type: ignore[return-value]


class AuditedWorkflow(Generic[S, R]):
    """The skeleton; a subclass sets the class attributes and calls ``_setup`` from its ``__init__``."""

    decider: ClassVar[Decider[Any, Any, Any]]
    result_model: type[R]  # set on each kind's class, like the two above (a ClassVar cannot name R)

    # ------------------------------------------------------------------ set-up

    def _setup(
        self,
        stream_id: str,
        policy: Policy,
        opening: Any | None,
        state: S | None,
        processed: dict[str, R],
        calendar: CalendarFacts | None,
        credential: str | None = None,
        keys: TrustedKeys | None = None,
    ) -> None:
        """Everything handlers touch is set here: they may run before ``run()`` starts."""
        self.stream_id = stream_id
        self.policy = policy
        self.state: S = state if state is not None else self.decider.initial
        self.processed: dict[str, R] = dict(processed)
        self.calendar = WorkCalendar(calendar)
        self.lock = asyncio.Lock()
        self.changes = 0
        self.outbox: list[EventRecord] = []
        self.published: dict[str, object] = {}  # search attribute values last upserted
        self.started = False  # run() has begun (and asked its patch questions)
        self.persisted = opening is None
        self.opening: list[Any] = []
        self.refused: DomainError | None = None
        self.keys = keys or TrustedKeys()  # the authority's public keys (carried over continue-as-new)
        self.opening_credential = credential
        self.opening_command: Any | None = None  # the opening as decided (its actor the credential's person)
        if opening is not None and credential is not None:
            # Who opens is whom the credential names (verified in run() before anything is recorded).
            try:
                claims = decode_unverified(credential)
                opening = opening.model_copy(update={"actor": claims.actor(), "proof": Proof(credential=claims.jti)})
            except DomainError as error:
                self.refused = error
        if opening is not None and self.refused is None:
            # Decide the opening now so validators see an opened stream; run() makes it durable first.
            # A run since local-fetch-v1 decides it at the run's start time: its first workflow task
            # appends it (the fetches before it are local), and a retried attempt of that task (timed out
            # under load) must decide the same events as the attempt whose append may have been stored —
            # workflow.now() is the attempt's own time, workflow_start_time the same for every attempt.
            # The patch is asked here, before run(), for an opening run; _begin reuses the answer.
            at = workflow.info().workflow_start_time if self._fetches_locally() else None
            self.opening_command = opening
            try:
                self.opening = self.decider.decide(self.decider.initial, opening, self._context(at))
            except DomainError as error:  # a raw client may start a stream the rules refuse
                self.refused = error
            for event in self.opening:
                self.state = self.decider.evolve(self.state, event)

    # ------------------------------------------------------------------ what a kind may change

    def _start(self) -> None:
        """At the top of ``run()``: ask patch questions (a kind whose behaviour changed over time)."""

    async def _complete_opening(self) -> None:
        """Before the opening is recorded (under the lock, no command handled yet): a kind may decide its
        opening again with what an activity read (``opening_command``: the opening as first decided), and
        set ``opening`` and ``state`` (``_decide_opening_again``). Its patch must have been asked in ``_start``."""

    def _decide_opening_again(self, opening: Any) -> None:
        """The opening decided again with facts an activity read (the directory's township, …), at the run's
        start time as the first decision was: the events and state the opening records. A refusal (e.g. the
        opener has no scope over the township the directory names) fails the run, nothing recorded."""
        try:
            events = self.decider.decide(self.decider.initial, opening, self._context(workflow.info().workflow_start_time))
        except DomainError as error:
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from None
        self.opening, self.state = events, self._folded(self.decider.initial, events)

    def _calendar_on(self) -> bool:
        """Whether this stream counts working days (fetches calendar facts)."""
        return True

    def _calendar_each_decision(self) -> bool:
        """Refresh the calendar before every decision and after every change (not only for people's
        commands): the years a decision counts on may move with the clock and with new deadlines."""
        return True

    def _decision_policy(self) -> Policy:
        """The policy as decisions apply it."""
        return self.policy

    async def _prepare(self, command: Any) -> Any:
        """A person's command, completed by the workflow before it is decided (e.g. figures read by an activity)."""
        return command

    def _result_fields(self) -> dict[str, Any]:
        """The kind's own fields of a command result (its stream id under its own name, …)."""
        raise NotImplementedError

    def _search_attributes(self) -> list[SearchAttributeUpdate]:
        return stream_search_attributes(self.decider.name, self.state)

    def _stage_change(self, before: S, after: S) -> StageChange | None:
        return stage_change(self.decider.name, before, after)

    # ------------------------------------------------------------------ the run loop's shared parts

    def _context(self, now: datetime | None = None) -> Context:
        return Context(now=now or workflow.now(), policy=self._decision_policy(), calendar=self.calendar)

    async def _begin(self) -> None:
        """Refuse a refused opening, start delivering notices, make the opening durable, fetch the
        calendar, publish search attributes."""
        local_fetch = self._fetches_locally()  # asked first (if __init__ did not), before any fetch of this run
        identity = self.refused is None and not self.persisted and workflow.patched(IDENTITY_PATCH)
        if local_fetch:
            # Every patch question of the run before its first local activity: a patch marker recorded after
            # a local activity's marker in the same workflow task failed to replay after a worker was killed
            # (core met the marker before the replayed activity had resolved: "Non-deprecated patch marker
            # encountered … no corresponding change command"). Runs recorded before local-fetch-v1 keep
            # their order (below).
            self._start()
            self._appends_locally()
        if identity:
            if not (local_fetch and self._opened_by_parent()):
                await self._refresh_keys()
            self._verify_opening()
        if self.refused is not None:
            count_rejection(self.refused.code, "open")
            raise ApplicationError(self.refused.message, type=self.refused.code, non_retryable=True)
        if not local_fetch:
            self._start()
            self._appends_locally()  # asked here, before any append of this run, so at the same point on replay
        self.started = True
        self.delivery = asyncio.create_task(self._deliver_notices())
        if not self.persisted:
            async with self.lock:
                await self._complete_opening()
                stored = await self._persist(self.opening, self.decider.initial, self.state)
                if stored is not self.opening:  # an earlier attempt's opening was stored: it is the record
                    self.opening, self.state = list(stored), self._folded(self.decider.initial, stored)
                self.persisted = True
        if self._calendar_on():
            async with self.lock:
                await self._ensure_calendar()
        self._publish()

    def _verify_opening(self) -> None:
        """The opening's credential is valid now (sets ``refused`` if not). An opening without one is
        accepted only from a parent workflow (a campaign starting its cases): clients cannot set a parent."""
        try:
            if self.opening_credential is None:
                if workflow.info().parent is None:
                    raise CredentialMissing()
                return
            verify_credential(self.opening_credential, self.keys, workflow.now())
        except DomainError as error:
            self.refused = error

    def _opened_by_parent(self) -> bool:
        """An opening without a credential, from a parent workflow (a campaign starting its cases).

        Such an opening needs no keys (``_verify_opening`` checks only that a parent started it), so a
        run started since ``local-fetch-v1`` does not fetch them at the opening. Identity is not weakened
        for what follows: nothing is ever recorded on an unverified credential. While a stream holds no
        keys (``keys.fetched_at`` None) the ``command`` handler fetches them before it verifies and
        decides (the path streams started before identity already take); the validator of that first
        command can only read the credential's claims (``_authenticated``), so a forged credential may
        reach the handler and is refused there, before anything is appended. ``refresh_keys`` fetches
        them on request as before."""
        return self.opening_credential is None and workflow.info().parent is not None

    async def _refresh_keys(self) -> None:
        self.keys = (await fetch_keys(local=self._fetches_locally())).model_copy(update={"fetched_at": workflow.now()})

    async def _run_to_end(self) -> None:
        """The whole life of a timer-driven stream: begin, tick until terminal, finish."""
        await self._begin()
        await self._run_timers()
        await self._finish()

    async def _run_timers(self) -> None:
        """Until the stream is terminal: sleep until the next timer (or a change), then decide a Tick."""
        while not self.decider.is_terminal(self.state):
            await self._sleep_until_due_or_changed()
            async with self.lock:
                await self._apply(Tick())
            if self._suggested():
                await self._continue_as_new()

    async def _finish(self) -> None:
        await workflow.wait_condition(self._quiet)
        self.delivery.cancel()

    def _quiet(self) -> bool:
        """Nothing in flight: safe to continue-as-new or to complete."""
        return workflow.all_handlers_finished() and not self.outbox

    def _suggested(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    def _next_run_input(self) -> BaseModel:
        raise NotImplementedError

    def _carried_keys(self) -> TrustedKeys | None:
        """The keys for the next run (None when none were fetched: the input stays as it was)."""
        return self.keys if self.keys.keys or self.keys.fetched_at else None

    def _remembered(self) -> dict[str, R]:
        return dict(list(self.processed.items())[-MAX_REMEMBERED_REQUESTS:])

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(self._quiet)
        self.delivery.cancel()
        workflow.continue_as_new(self._next_run_input())

    def _wakeup(self) -> datetime | None:
        return self.decider.next_wakeup(self.state, self._context())

    async def _sleep_until_due_or_changed(self) -> None:
        seen = self.changes
        wake = self._wakeup()
        if wake is not None and wake <= workflow.now():
            return
        timeout = (wake - workflow.now()).total_seconds() if wake is not None else None
        try:
            await workflow.wait_condition(lambda: self.changes != seen or self._suggested(), timeout=timeout, timeout_summary="next timer")
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ commands

    @named_update(UPDATE_NAME)
    async def command(self, request: Any) -> Any:
        parsed = self._parse(request)
        await workflow.wait_condition(lambda: (self.started and self.persisted) or self.refused is not None)
        async with self.lock:
            if parsed.request_id in self.processed:
                return self.processed[parsed.request_id].model_copy(update={"duplicate": True})
            await self._ensure_calendar()
            if parsed.credential is not None and self.keys.fetched_at is None:
                await self._refresh_keys()  # a stream that has not fetched its keys yet (started before identity)
            try:
                command = self._authenticated(parsed, new=False)
                events = await self._apply(await self._prepare(command))
            except DomainError as error:
                # The state (or the time) moved between validation and handling: fail this update, not the workflow.
                count_rejection(error.code, str(parsed.command.get("type")))
                raise ApplicationError(error.message, type=error.code, non_retryable=True) from error
            result = self.result_model(
                request_id=parsed.request_id, version=self.state.version, events=[e.type for e in events], **self._result_fields()
            )
            self.processed[parsed.request_id] = result
            return result

    @command.validator
    def _validate(self, request: Any) -> None:
        parsed = self._parse(request)
        if parsed.request_id in self.processed:
            return  # a retry: the handler answers with the first result
        kind = str(parsed.command.get("type"))
        try:
            if kind in self.decider.internal_commands:
                raise InvalidCommand(f"{kind} is issued by the workflow itself")
            if parsed.credential is None:  # only histories recorded before credentials have none
                raise CredentialMissing()
            command = self._authenticated(parsed, new=True)
            self.decider.decide(self.state, command, self._context())
        except DomainError as error:
            count_rejection(error.code, kind)
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from error

    def _parse(self, request: Any) -> Request:
        """The Update's payload (refused with a clear message if malformed)."""
        if isinstance(request, BaseModel):
            request = request.model_dump(mode="json")
        try:
            return Request.model_validate(request)
        except ValidationError as error:
            raise ApplicationError(f"malformed command: {error}", type="invalid_command", non_retryable=True) from None

    def _authenticated(self, request: Request, new: bool) -> Any:
        """The kind's command, its actor the credential's person and its ``proof`` set (the signature,
        for a decision that judges a person, verified with that person's registered key).
        A request without a credential is one recorded before credentials existed (replay only).

        Before the stream holds any keys (an update arriving with the start, or the first command to a
        stream started before identity) the validator can only read the claims; the handler fetches
        the keys first and verifies everything before anything is recorded."""
        body = request.command
        if request.credential is None:
            return self._command_of(body, new)
        if self.keys.fetched_at is None:
            claims = decode_unverified(request.credential)
        else:
            claims = verify_credential(request.credential, self.keys, workflow.now())
        for field in ("actor", "proof"):
            if field in body:
                raise InvalidCommand(f"a command may not carry {field!r}: who sends it is the credential's person")
        command = self._command_of({**body, "actor": claims.actor().model_dump(mode="json")}, new)
        signature = None
        if command.type in self.decider.signed_commands or request.signature is not None:
            document = signed_document(self.stream_id, request.request_id, body)
            verify_command_signature(request.signature, document, claims.key, claims.sub)
            assert request.signature is not None  # verified above
            signature = request.signature.model_copy(update={"credential": claims.jti, "document": document})
        return command.model_copy(update={"proof": Proof(credential=claims.jti, signature=signature)})

    def _command_of(self, body: dict[str, Any], new: bool) -> Any:
        """``new``: input the validator judges, held to the size caps (domain.limits); else a command the
        validator accepted (the handler, which also replays histories recorded before the caps)."""
        try:
            if not new:
                return self.decider.commands.validate_python(body)
            with capped():
                return self.decider.commands.validate_python(body)
        except ValidationError as error:
            # one line per problem (at most three), each naming its field: "note: String should have at most 2000 characters"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'][1:] if not str(p).startswith('function-')) or 'command'}: {e['msg']}"
                for e in error.errors()[:3]
            )
            raise InvalidCommand(f"malformed command: {problems}") from None

    @named_update(REFRESH_KEYS)
    async def refresh_keys(self) -> int:
        """Fetch the authority's public keys again (a credential named a key this stream does not hold
        yet: a rotated key). Anyone may ask; the keys come from the activity, never from the caller."""
        async with self.lock:
            await self._refresh_keys()
        return len(self.keys.keys)

    @refresh_keys.validator
    def _validate_refresh_keys(self) -> None:
        fetched = self.keys.fetched_at
        if fetched is not None and workflow.now() - fetched < KEYS_REFRESH_INTERVAL:
            raise ApplicationError(
                f"keys were fetched less than {KEYS_REFRESH_INTERVAL.total_seconds():g}s ago", type="too_soon", non_retryable=True
            )

    @workflow.query(name="state")
    def current_state(self) -> Any:
        return self.state

    @workflow.query(name="policy")
    def current_policy(self) -> Any:
        return self.policy

    @workflow.query(name="calendar")
    def current_calendar(self) -> Any:
        """The working-day facts the timers count on (fetched through the calendar activity)."""
        return self.calendar.facts

    @workflow.query(name="opening")
    def opening_status(self) -> Any:
        """Whether the opening is durable yet (appended to the audit log) and which events it made:
        ``{"durable": bool, "events": [types]}`` (after continue-as-new: durable, no events)."""
        return {"durable": self.persisted, "events": [event.type for event in self.opening]}

    @workflow.query(name="next_wakeup")
    def next_wakeup_at(self) -> Any:
        return self._wakeup()

    # ------------------------------------------------------------------ deciding, appending, telling

    async def _apply(self, command: Any) -> list[Any]:
        """Decide ``command`` now; if it produced events, append them, then take the new state."""
        each = self._calendar_each_decision()
        if each:
            await self._ensure_calendar()
        events = self.decider.decide(self.state, command, self._context())
        if events:
            after = self._folded(self.state, events)
            stored = await self._persist(events, self.state, after)
            if stored is not events:  # an earlier attempt's decision was stored: it is the record
                events, after = list(stored), self._folded(self.state, stored)
            self.state = after
            self.changes += 1
            self._publish()
            if each:
                await self._ensure_calendar()
        return events

    def _folded(self, state: S, events: Sequence[Any]) -> S:
        for event in events:
            state = self.decider.evolve(state, event)
        return state

    async def _ensure_calendar(self) -> None:
        """Fetch the calendar facts of any year the stream now needs (recorded as an activity)."""
        if not self._calendar_on():
            return
        years = self.decider.calendar_years(self.state, workflow.now())
        if any(year not in self.calendar.facts.years for year in years):
            self.calendar = await fetch_calendar(years, self.calendar.facts, local=self._fetches_locally())

    def _appends_locally(self) -> bool:
        """Whether this run appends through a local activity (``append-local-v1``): asked once, at the
        start of ``run()`` (``_begin``), before any append and before any handler may append; remembered.
        A run recorded with the regular activity replays without the marker and keeps appending that way.
        (The SDK remembers a run's first answer to a patch: later calls return it and record nothing.)"""
        return workflow.patched(APPEND_LOCAL_PATCH)

    def _fetches_locally(self) -> bool:
        """Whether this run fetches keys and calendar facts through local activities (``local-fetch-v1``)
        and decides its opening at its start time: asked once — in ``__init__`` for a run that opens the
        stream, else first thing in ``run()`` (``_begin``) or at a ``refresh_keys`` update that runs before
        it, which replays at the same point — and remembered. A run recorded
        with the regular activities replays without the marker and keeps fetching that way to its end.
        (Remembered by the SDK, as above.)"""
        return workflow.patched(LOCAL_FETCH_PATCH)

    async def _persist(self, events: Sequence[Any], before: S, after: S) -> Sequence[Any]:
        """Append ``events``; returns the events stored: ``events`` themselves, or — when an earlier attempt
        of this workflow task stored its own decision before the task failed — those (``AppendAck.adopted``),
        which the caller folds instead (the record is what is stored)."""
        records = event_records(events, self.decider.events)
        local = self._appends_locally()
        request = AppendRequest(
            stream_id=self.stream_id,
            expected_version=before.version,
            events=records,
            org_code=after.org_code,
            stage=after.stage.value,
            stage_change=self._stage_change(before, after),
            adopt_earlier_attempt=local,
        )
        # Local: in the workflow task that decided the events, no activity task round trip through the server.
        # Retries re-send the same event ids (minted above with workflow.uuid4()): stored once. A retried
        # *task* may decide different content under the same ids (a later workflow.now()): adopted.
        ack: AppendAck = await call_activity(
            AuditActivities.append_events, request, local=local, timeout=APPEND_TIMEOUT, retry=APPEND_RETRY
        )
        if local and ack.adopted is not None:
            records = ack.adopted
            events = [self.decider.events.validate_json(record.payload) for record in records]
        self.outbox.extend(record for record in records if record.event_type in self.decider.notice_events)
        return events

    async def _deliver_notices(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self.outbox))
            record = self.outbox[0]
            notice = Notice(
                event_id=record.event_id,
                stream_id=self.stream_id,
                org_name=self.state.org_name,
                payload=record.payload,
                kind=self.decider.name,
            )
            try:
                await workflow.execute_activity_method(
                    NotifyActivities.send_notice, notice, start_to_close_timeout=timedelta(seconds=30), retry_policy=NOTICE_RETRY
                )
            except ActivityError:  # a failing channel never fails the workflow: the event is audited
                workflow.logger.warning("notice delivery failed", extra={"stream_id": self.stream_id, "event_type": record.event_type})
            self.outbox.pop(0)  # only now: _quiet() must see a notice in flight as pending

    def _publish(self) -> None:
        publish_changed(self.published, self._search_attributes())


def event_records(events: Sequence[Any], adapter: Any) -> list[EventRecord]:
    """The events as stored records; ids minted here, in order, so a retried append is stored once."""
    return [
        EventRecord(
            event_id=str(workflow.uuid4()),
            event_type=event.type,
            actor=event.actor,
            policy_version=event.policy_version,
            payload=adapter.dump_json(event).decode(),
        )
        for event in events
    ]


def stage_change(kind: str, before: Any, after: Any) -> StageChange | None:
    """Facts for the stage-duration metric when ``after`` is in another stage than ``before``."""
    if before.stage == after.stage or before.stage_since is None or after.stage_since is None:
        return None
    return StageChange(kind=kind, left=before.stage.value, seconds=(after.stage_since - before.stage_since).total_seconds())


_UNSET = object()


def publish_changed(published: dict[str, object], updates: Iterable[SearchAttributeUpdate]) -> None:
    """Upsert only the search attributes whose value changed: each upsert is a history event."""
    changed = [u for u in updates if published.get(u.key.name, _UNSET) != u.value]
    if changed:
        workflow.upsert_search_attributes(changed)
        published.update({u.key.name: u.value for u in changed})


def count_rejection(reason: str, command: str) -> None:
    """Count a refused command on the SDK's workflow metric meter (served on the SDK metrics port,
    where the exporter adds the _total suffix: pdca_commands_rejected_total).

    Not prometheus-client: this is workflow code. The SDK's meter records only on first execution
    (never during replay), and validators run live once per request, so nothing is double counted.
    """
    workflow.metric_meter().create_counter("pdca_commands_rejected", "Commands refused by the rules, by reason and command").add(
        1, {"reason": reason, "command": command}
    )
