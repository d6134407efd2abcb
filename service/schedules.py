"""Every Temporal Schedule the project keeps, in one place: create them idempotently, list, pause, resume, trigger.

    pdca-audit-verification           daily hash-chain verification, 02:00 Beijing time
    pdca-notification-digest          daily notice digest, 17:00 (the workflow skips non-working days)
    pdca-cadence-monthly-digest       月督导   } the supervision cadence, calendar specs from the policy
    pdca-cadence-quarterly-review     季观摩   }
    pdca-cadence-half-year-bulletin   半年通报 }

What a door calls (each takes the ``Deps``: its client, task queue and timeout):

    await ensure_all(deps, policy)                      -> {schedule id: outcome}  (`pdca up`, `pdca schedule create`)
    await list_schedules(deps)                          -> [dict] (pdca's own, by id; next runs on working days)
    await show_schedule(deps, id)                       -> dict (one, its next 10 runs and recent ones)
    await pause(deps, id, note) / resume(deps, id) / trigger(deps, id)

The building blocks under them (a client and a task queue; ``timeout`` seconds per call, None: the SDK's):

    await ensure_audit_verification(client, task_queue, hour=2)   -> True if created
    await ensure_digest_schedule(client, task_queue, hour=17)     -> True if created
    await ensure_cadence(client, task_queue, policy)    -> {id: "created" | "updated" | "unchanged" | "deleted" | "absent"}

Working days: Temporal's calendar specs know no holidays, so a cadence schedule fires on its calendar
day and the run itself waits for the next working day when that day is off (workflows/cadence.py); the
listing shows the runs moved by the same rule (``domain.cadence.working_day_run``) over the working-day
calendar the workflows use (docs/calendar.md), beside the moments Temporal fires.

A cadence schedule that exists with another spec (the policy changed) is updated; one with the same spec
is left alone, paused or not — pausing is a person's decision that `pdca up` must not undo. Times are
Asia/Shanghai. Temporal's errors are ``service.streams.map_rpc_error``'s (an unknown schedule is
``NotFound``, an unreachable server ``Unavailable``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.cadence import CadenceKind, working_day_run
from domain.policy import Policy
from domain.timeutil import local
from domain.workcal import WorkCalendar
from i18n.cadence import TITLES
from service.bootstrap import Deps
from service.errors import Refused
from service.streams import map_rpc_error
from workflows.audit_verification import SCHEDULE_ID as AUDIT_SCHEDULE_ID
from workflows.audit_verification import AuditVerificationWorkflow
from workflows.cadence import CadenceInput, CadenceWorkflow
from workflows.digest import SCHEDULE_ID as DIGEST_SCHEDULE_ID
from workflows.digest import DigestInput, NotificationDigestWorkflow

__all__ = [
    "AUDIT_SCHEDULE_ID",
    "CADENCE_PREFIX",
    "DIGEST_SCHEDULE_ID",
    "OWN_PREFIX",
    "TIME_ZONE",
    "build_cadence_schedule",
    "check_own",
    "ensure_all",
    "ensure_audit_verification",
    "ensure_cadence",
    "ensure_digest_schedule",
    "list_schedules",
    "pause",
    "resume",
    "schedule_id",
    "show_schedule",
    "trigger",
]

TIME_ZONE = "Asia/Shanghai"
OWN_PREFIX = "pdca-"  # every schedule the project owns starts with this
CADENCE_PREFIX = "pdca-cadence-"


# ----------------------------------------------------------------------------- creating them


def _rpc(timeout: float | None) -> timedelta | None:
    return timedelta(seconds=timeout) if timeout else None


@contextmanager
def _mapped(sid: str, timeout: float | None) -> Iterator[None]:
    """Temporal's errors about schedule ``sid`` as service errors."""
    try:
        yield
    except RPCError as error:
        raise map_rpc_error(error, sid, timeout or 0) from None


async def _create(client: Client, sid: str, schedule: Schedule, timeout: float | None) -> bool:
    try:
        with _mapped(sid, timeout):
            await client.create_schedule(sid, schedule, rpc_timeout=_rpc(timeout))
    except ScheduleAlreadyRunningError:
        return False
    return True


async def ensure_audit_verification(client: Client, task_queue: str, hour: int = 2, *, timeout: float | None = None) -> bool:
    """Verify the hash chain every day at ``hour``:00 Beijing time. True if created, False if it existed."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(AuditVerificationWorkflow.run, id=f"{AUDIT_SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour)], comment="daily hash-chain verification")],
            time_zone_name=TIME_ZONE,
        ),
    )
    return await _create(client, AUDIT_SCHEDULE_ID, schedule, timeout)


async def ensure_digest_schedule(client: Client, task_queue: str, hour: int = 17, minute: int = 0, *, timeout: float | None = None) -> bool:
    """Send the daily notice digests at ``hour:minute`` Beijing time. The schedule fires every day; the
    workflow itself skips days that are not working days (so make-up workdays 调休 are covered).
    True if created, False if it existed."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            NotificationDigestWorkflow.run, DigestInput(), id=f"{DIGEST_SCHEDULE_ID}-run", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(hour)], minute=[ScheduleRange(minute)], comment="daily notice digest (working days)"
                )
            ],
            time_zone_name=TIME_ZONE,
        ),
    )
    return await _create(client, DIGEST_SCHEDULE_ID, schedule, timeout)


def schedule_id(kind: CadenceKind) -> str:
    return CADENCE_PREFIX + kind.value.replace("_", "-")


def build_cadence_schedule(kind: CadenceKind, policy: Policy, task_queue: str) -> Schedule:
    entry = policy.cadence.entry(kind)
    spec = ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                # tuples, as describe() returns them, so an unchanged spec compares equal
                month=tuple(ScheduleRange(m) for m in entry.months),
                day_of_month=(ScheduleRange(entry.day),),
                hour=(ScheduleRange(entry.hour),),
                minute=(ScheduleRange(entry.minute),),
                comment=f"{TITLES[kind][0]} {TITLES[kind][1]}",
            )
        ],
        time_zone_name=TIME_ZONE,
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CadenceWorkflow.run, CadenceInput(kind=kind, policy=policy), id=f"{schedule_id(kind)}-run", task_queue=task_queue
        ),
        spec=spec,
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_cadence(client: Client, task_queue: str, policy: Policy, *, timeout: float | None = None) -> dict[str, str]:
    """Create or update the cadence schedules the policy enables; delete the ones it disables.
    Returns {schedule id: "created" | "updated" | "unchanged" | "deleted" | "absent"}."""
    outcome: dict[str, str] = {}
    for kind in CadenceKind:
        sid = schedule_id(kind)
        handle = client.get_schedule_handle(sid)
        if not policy.cadence.entry(kind).enabled:
            try:
                await handle.delete(rpc_timeout=_rpc(timeout))
                outcome[sid] = "deleted"
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise map_rpc_error(error, sid, timeout or 0) from None
                outcome[sid] = "absent"  # nothing to delete
            continue
        wanted = build_cadence_schedule(kind, policy, task_queue)
        if await _create(client, sid, wanted, timeout):
            outcome[sid] = "created"
            continue
        with _mapped(sid, timeout):
            current = (await handle.describe(rpc_timeout=_rpc(timeout))).schedule
        if await _same(client, current, wanted, policy):
            outcome[sid] = "unchanged"
            continue

        def update(input: ScheduleUpdateInput, wanted: Schedule = wanted) -> ScheduleUpdate:
            wanted.state = input.description.schedule.state  # keep a person's pause and note
            return ScheduleUpdate(schedule=wanted)

        with _mapped(sid, timeout):
            await handle.update(update, rpc_timeout=_rpc(timeout))
        outcome[sid] = "updated"
    return outcome


async def _same(client: Client, current: Schedule, wanted: Schedule, policy: Policy) -> bool:
    action = current.action
    if not isinstance(action, ScheduleActionStartWorkflow) or not isinstance(wanted.action, ScheduleActionStartWorkflow):
        return False
    if current.spec.calendars != wanted.spec.calendars or current.spec.time_zone_name != wanted.spec.time_zone_name:
        return False
    if action.task_queue != wanted.action.task_queue:
        return False
    # The policy travels in the action's argument: compare it (a changed file changes it; unreadable: rewrite it).
    return await _stored_policy(client, action) == policy.model_dump(mode="json")


async def ensure_all(deps: Deps, policy: Policy) -> dict[str, str]:
    """Every schedule the project keeps, created or brought up to date (what `pdca up` and
    `pdca schedule create` do). Returns {schedule id: "created" | "updated" | "unchanged" | "deleted" | "absent"}."""
    client, queue, timeout = await deps.client(), deps.task_queue, deps.timeout
    outcome = await ensure_cadence(client, queue, policy, timeout=timeout)
    created = await ensure_audit_verification(client, queue, timeout=timeout)
    outcome[AUDIT_SCHEDULE_ID] = "created" if created else "unchanged"
    created = await ensure_digest_schedule(client, queue, timeout=timeout)
    outcome[DIGEST_SCHEDULE_ID] = "created" if created else "unchanged"
    return dict(sorted(outcome.items()))


# ----------------------------------------------------------------------------- managing them


def _beijing(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


# How a schedule's firings become runs: a cadence run moves to the next working day (workflows/cadence.py),
# the notice digest skips days that are not working days (workflows/digest.py), the rest run every day.
MOVES = "next_working_day"
SKIPS = "working_days_only"
EVERY_DAY = "every_day"


def _working_calendar(years: set[int]) -> tuple[WorkCalendar, list[str]]:
    """The working-day calendar the workflows will use for these years (the override file over the
    package), and any problem with it. A bad override file leaves weekends only, with the file's problem
    as a warning: listing schedules must not fail on it."""
    from activities.calendar import CalendarFileError, facts_for_years
    from service.calendar import override_path

    try:
        calendar = WorkCalendar(facts_for_years(sorted(years), override_path(None)))
    except (CalendarFileError, Refused) as error:
        return WorkCalendar(), [f"calendar: {error}; counting weekends only"]
    return calendar, []


def _runs(rule: str, scheduled: list[datetime], calendar: WorkCalendar) -> tuple[list[datetime], list[dict[str, str]]]:
    """(the moments runs really happen, the firings moved to another day) for a schedule's firings."""
    if rule == MOVES:
        pairs = [(t, working_day_run(t, calendar)) for t in scheduled]
        return [run for _, run in pairs], [{"scheduled": _beijing(t), "runs": _beijing(run)} for t, run in pairs if run != t]
    if rule == SKIPS:
        return [t for t in scheduled if calendar.is_workday(local(t).date())], []
    return list(scheduled), []


async def _stored_policy(client: Client, action: ScheduleActionStartWorkflow) -> dict[str, Any] | None:
    """The policy a cadence schedule's action carries, as JSON (None when unreadable). describe() gives
    the argument as stored, encrypted by the payload codec (store/payload_codec.py): decode it first."""
    try:
        codec = client.data_converter.payload_codec
        stored = list(action.args[:1])
        [argument] = await codec.decode(stored) if codec else stored
        policy = json.loads(argument.data)["policy"]
        return policy if isinstance(policy, dict) else None
    except Exception:  # noqa: BLE001 — unreadable: the caller decides
        return None


async def _rule(client: Client, sid: str, action: object) -> str:
    if sid == DIGEST_SCHEDULE_ID:
        return SKIPS
    if sid.startswith(CADENCE_PREFIX) and isinstance(action, ScheduleActionStartWorkflow):
        policy = await _stored_policy(client, action)
        cadence = (policy or {}).get("cadence") or {}
        return MOVES if cadence.get("working_days_only", True) else EVERY_DAY
    return EVERY_DAY


async def _describe_rows(deps: Deps, ids: list[str], count: int) -> list[dict[str, Any]]:
    client, timeout = await deps.client(), deps.timeout
    described = []
    for sid in ids:
        with _mapped(sid, timeout):
            described.append((sid, await client.get_schedule_handle(sid).describe(rpc_timeout=_rpc(timeout))))
    years = {local(t).year + extra for _, d in described for t in d.info.next_action_times for extra in (0, 1)}
    calendar, problems = _working_calendar(years) if years else (WorkCalendar(), [])
    rows = []
    for sid, description in described:
        state = description.schedule.state
        calendars = description.schedule.spec.calendars
        scheduled = list(description.info.next_action_times)
        rule = await _rule(client, sid, description.schedule.action)
        runs, moved = _runs(rule, scheduled, calendar)
        shown = {_beijing(t) for t in scheduled[:count]}
        # what a person should know about the calendar of the runs shown (weekends only, provisional)
        warnings = problems + calendar.warnings({local(t).year for t in runs[:count]}) if rule != EVERY_DAY else []
        rows.append(
            {
                "id": sid,
                "what": calendars[0].comment if calendars else "",
                "paused": state.paused,
                "note": state.note or "",
                "rule": rule,
                # when the work really happens (Beijing time), by the working-day calendar
                "next_runs": [_beijing(t) for t in runs[:count]],
                # when Temporal fires (the schedule's calendar spec), and the firings moved to a working day
                "scheduled_runs": [_beijing(t) for t in scheduled[:count]],
                "moved": [m for m in moved if m["scheduled"] in shown],
                "recent_runs": len(description.info.recent_actions),
                "recent": [
                    {"scheduled": _beijing(a.scheduled_at), "started": _beijing(a.started_at)} for a in description.info.recent_actions
                ],
                "calendar_warnings": list(dict.fromkeys(warnings)),
            }
        )
    return rows


async def list_schedules(deps: Deps) -> list[dict[str, Any]]:
    """The project's schedules by id: what they run, paused or not (and why), the next three runs as
    they will really happen (Beijing time: a cadence run on a day off moved to the next working day, the
    notice digest's days off left out) beside the moments Temporal fires, how many recent runs Temporal
    remembers."""
    client, timeout = await deps.client(), deps.timeout
    with _mapped(OWN_PREFIX + "*", timeout):
        entries = [entry async for entry in await client.list_schedules(rpc_timeout=_rpc(timeout))]
    ids = sorted(entry.id for entry in entries if entry.id.startswith(OWN_PREFIX))
    return await _describe_rows(deps, ids, 3)


async def show_schedule(deps: Deps, sid: str) -> dict[str, Any]:
    """One of the project's schedules with its next runs (as many as Temporal tells, up to 10) and its
    recent ones; ``NotFound`` when it does not exist."""
    check_own(sid)
    [row] = await _describe_rows(deps, [sid], 10)
    return row


def check_own(sid: str) -> str:
    """``sid`` if it names one of the project's schedules (checked before any connection), else ``Refused``."""
    if not sid.startswith(OWN_PREFIX):
        raise Refused(f"{sid!r} is not one of pdca's schedules (they start with {OWN_PREFIX!r}); see `pdca schedule list`")
    return sid


async def _handle(deps: Deps, sid: str) -> ScheduleHandle:
    """The handle of one of the project's schedules that exists (``NotFound`` otherwise)."""
    check_own(sid)
    handle = (await deps.client()).get_schedule_handle(sid)
    with _mapped(sid, deps.timeout):
        await handle.describe(rpc_timeout=_rpc(deps.timeout))
    return handle


async def pause(deps: Deps, sid: str, note: str = "") -> None:
    """Pause a schedule (e.g. during 换届); `pdca up` and `ensure_all` keep it paused."""
    handle = await _handle(deps, sid)
    with _mapped(sid, deps.timeout):
        await handle.pause(note=note or "paused with pdca schedule pause", rpc_timeout=_rpc(deps.timeout))


async def resume(deps: Deps, sid: str) -> None:
    handle = await _handle(deps, sid)
    with _mapped(sid, deps.timeout):
        await handle.unpause(note="resumed with pdca schedule resume", rpc_timeout=_rpc(deps.timeout))


async def trigger(deps: Deps, sid: str) -> None:
    """Run a schedule's action now (e.g. the monthly digest before a meeting). A cadence run started so
    runs at once, whatever the day, and covers up to now (workflows/cadence.py); it is not skipped
    while a scheduled run waits for its working day (overlap: allow all)."""
    handle = await _handle(deps, sid)
    with _mapped(sid, deps.timeout):
        await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL, rpc_timeout=_rpc(deps.timeout))
