"""Every Temporal Schedule the project keeps, in one place: create them idempotently, list, pause, resume, trigger.

    pdca-audit-verification           daily hash-chain verification, 02:00 Beijing time
    pdca-notification-digest          daily notice digest, 17:00 (the workflow skips non-working days)
    pdca-cadence-monthly-digest       月督导   } the supervision cadence, calendar specs from the policy
    pdca-cadence-quarterly-review     季观摩   }
    pdca-cadence-half-year-bulletin   半年通报 }

What a door calls (each takes the ``Deps``: its client, task queue and timeout):

    await ensure_all(deps, policy)                      -> {schedule id: outcome}  (`pdca up`, `pdca schedule create`)
    await list_schedules(deps)                          -> [dict] (pdca's own, by id)
    await pause(deps, id, note) / resume(deps, id) / trigger(deps, id)

The building blocks under them (a client and a task queue; ``timeout`` seconds per call, None: the SDK's):

    await ensure_audit_verification(client, task_queue, hour=2)   -> True if created
    await ensure_digest_schedule(client, task_queue, hour=17)     -> True if created
    await ensure_cadence(client, task_queue, policy)    -> {id: "created" | "updated" | "unchanged" | "deleted" | "absent"}

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

from domain.cadence import CadenceKind
from domain.policy import Policy
from domain.timeutil import local
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
    # The policy travels in the action's argument: compare it (a changed file changes it). describe()
    # gives the argument as stored, encrypted by the payload codec (store/payload_codec.py): decode it first.
    try:
        codec = client.data_converter.payload_codec
        stored = list(action.args[:1])
        [argument] = await codec.decode(stored) if codec else stored
        payload = json.loads(argument.data)
        return bool(payload["policy"] == policy.model_dump(mode="json"))
    except Exception:  # noqa: BLE001 — unreadable: rewrite it
        return False


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


async def list_schedules(deps: Deps) -> list[dict[str, Any]]:
    """The project's schedules by id: what they run, paused or not (and why), the next three runs
    (Beijing time), how many recent runs Temporal remembers."""
    client, timeout = await deps.client(), deps.timeout
    rows = []
    with _mapped(OWN_PREFIX + "*", timeout):
        entries = [entry async for entry in await client.list_schedules(rpc_timeout=_rpc(timeout))]
    for entry in entries:
        if not entry.id.startswith(OWN_PREFIX):
            continue
        with _mapped(entry.id, timeout):
            description = await client.get_schedule_handle(entry.id).describe(rpc_timeout=_rpc(timeout))
        state = description.schedule.state
        calendars = description.schedule.spec.calendars
        rows.append(
            {
                "id": entry.id,
                "what": calendars[0].comment if calendars else "",
                "paused": state.paused,
                "note": state.note or "",
                "next_runs": [_beijing(t) for t in description.info.next_action_times[:3]],
                "recent_runs": len(description.info.recent_actions),
            }
        )
    return sorted(rows, key=lambda row: row["id"])


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
    """Run a schedule's action now (e.g. the monthly digest before a meeting)."""
    handle = await _handle(deps, sid)
    with _mapped(sid, deps.timeout):
        await handle.trigger(rpc_timeout=_rpc(deps.timeout))
