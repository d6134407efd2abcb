"""The supervision cadence as Temporal Schedules (calendar specs in Asia/Shanghai), created idempotently.

A schedule that exists with another spec (the policy changed) is updated; one that exists with the same
spec is left alone, paused or not — pausing is a person's decision that `pdca up` must not undo.
"""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from cli.schedules import TIME_ZONE
from domain.cadence import TITLES, CadenceKind
from domain.policy import Policy
from workflows.cadence import CadenceInput, CadenceWorkflow

PREFIX = "pdca-cadence-"


def schedule_id(kind: CadenceKind) -> str:
    return PREFIX + kind.value.replace("_", "-")


def build_schedule(kind: CadenceKind, policy: Policy, task_queue: str) -> Schedule:
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
            CadenceWorkflow.run,
            CadenceInput(kind=kind, policy=policy),
            id=f"{schedule_id(kind)}-run",
            task_queue=task_queue,
        ),
        spec=spec,
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_cadence(client: Client, task_queue: str, policy: Policy) -> dict[str, str]:
    """Create or update the cadence schedules the policy enables; delete the ones it disables.
    Returns {schedule id: "created" | "updated" | "unchanged" | "deleted" | "absent"}."""
    outcome: dict[str, str] = {}
    for kind in CadenceKind:
        sid = schedule_id(kind)
        handle = client.get_schedule_handle(sid)
        if not policy.cadence.entry(kind).enabled:
            try:
                await handle.delete()
                outcome[sid] = "deleted"
            except Exception:  # noqa: BLE001 — RPCError NOT_FOUND: nothing to delete
                outcome[sid] = "absent"
            continue
        wanted = build_schedule(kind, policy, task_queue)
        try:
            await client.create_schedule(sid, wanted)
            outcome[sid] = "created"
            continue
        except ScheduleAlreadyRunningError:
            pass
        current = (await handle.describe()).schedule
        if _same(current, wanted, policy):
            outcome[sid] = "unchanged"
            continue

        def update(input: ScheduleUpdateInput) -> ScheduleUpdate:
            wanted.state = input.description.schedule.state  # keep a person's pause and note
            return ScheduleUpdate(schedule=wanted)

        await handle.update(update)
        outcome[sid] = "updated"
    return outcome


def _same(current: Schedule, wanted: Schedule, policy: Policy) -> bool:
    action = current.action
    if not isinstance(action, ScheduleActionStartWorkflow) or not isinstance(wanted.action, ScheduleActionStartWorkflow):
        return False
    if current.spec.calendars != wanted.spec.calendars or current.spec.time_zone_name != wanted.spec.time_zone_name:
        return False
    if action.task_queue != wanted.action.task_queue:
        return False
    # The policy travels in the action's argument: compare its version (a changed file bumps it).
    try:
        import json

        payload = json.loads(action.args[0].data)  # type: ignore[union-attr]
        return payload["policy"] == policy.model_dump(mode="json")
    except Exception:  # noqa: BLE001 — unreadable: rewrite it
        return False
