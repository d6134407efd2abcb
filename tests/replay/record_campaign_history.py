"""Record the history of one annual campaign for the replay test.

    python -m tests.replay.record_campaign_history [output.json] [--child child.json]
    python -m tests.replay.record_campaign_history --steps [designation_steps.json]

On the time-skipping test server with a real worker and a throw-away SQLite audit log: open → approve 6
organizations (one already opened by hand) → amend with 2 more (one overlapping) → batches of 3 with
pauses → a case moves on → refresh (Check) → close the year → write-back. ``--child``: also the history of
the case the campaign started that then got a command (opened by its parent without a credential; its
keys fetched by the command). ``--steps``: a campaign whose policy has a designation procedure
(遍访 → 摸排 → 会诊 → 审定): an early approval refused, the four steps by their roles, the approval, the
starts, the year closed. Re-record only on purpose.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cli.binaries import find_binary
from domain.campaign import CampaignSettings
from domain.rectification import SubmitPlan
from tests.identity import credential, request
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from tests.workflow.campaign_support import Campaign, case_ids, designees, terminate_all
from tests.workflow.scenario import BRANCH, measure
from worker import build_worker, open_audit_log
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import register

OUTPUT = Path(__file__).parent / "histories" / "campaign" / "annual_campaign.json"
STEPS_OUTPUT = Path(__file__).parent / "histories" / "campaign" / "designation_steps.json"
REGION = "青山镇"


async def drive(camp: Campaign) -> str:
    client = camp.client
    opens = designees("RP", 8, region=REGION)
    ids = case_ids(opens)
    await client.start_workflow(
        RectificationWorkflow.run,
        CaseInput(case_id=ids[0], policy=camp.policy, open=opens[0], credential=credential(opens[0].actor)),
        id=ids[0],
        task_queue=camp.queue,
    )
    await camp.start()
    await camp.approve(opens[:6])
    await camp.approve(opens[5:])
    view = await camp.wait_started()
    assert view.started == 7 and view.existing == 1, view
    now = await camp.env.get_current_time()
    await client.get_workflow_handle(ids[1]).execute_update(
        RectificationWorkflow.command,
        request(ids[1], SubmitPlan(actor=BRANCH, measures=[measure("M1", ["P1"], now + timedelta(days=20))]), "plan-1"),
    )
    view = await camp.refresh()
    assert view.last_check is not None and view.last_check.by_stage == {"designated": 7, "planning": 1}, view.last_check
    await camp.close_year()
    result = await camp.latest.result()
    assert result.outcomes_recorded
    await terminate_all(client, ids)
    return ids[1]  # the child that got a command


async def drive_steps(camp: Campaign) -> str:
    from domain.actors import Actor, Role
    from domain.campaign import ApproveDesignation, RecordDesignationStep
    from domain.directory import OrgClass
    from tests.workflow.campaign_support import SUPERVISOR

    leader = Actor(id="cl-zhao", roles=[Role.COUNTY_LEADER])
    town = Actor(id="ts-li", roles=[Role.TOWNSHIP_SECRETARY], scope=[REGION])
    opens = designees("SP", 3, region=REGION)
    await camp.start()
    approve = ApproveDesignation(actor=SUPERVISOR, designees=opens, classes={o.org_code: OrgClass.THIRD for o in opens})
    try:
        await camp.send(approve)
    except Exception:  # noqa: BLE001  (refused by the validator: nothing enters history)
        pass
    else:
        raise AssertionError("an approval before the steps was accepted")
    await camp.send(RecordDesignationStep(actor=leader, step="visit", note="县级领导遍访"))
    await camp.send(RecordDesignationStep(actor=town, step="survey", note="基层党委摸排"))
    await camp.send(RecordDesignationStep(actor=SUPERVISOR, step="consult", note="联席部门会诊"))
    await camp.send(RecordDesignationStep(actor=leader, step="decide", note="常委会议审定", org_codes=[o.org_code for o in opens]))
    await camp.send(approve)
    await camp.wait_started()
    await camp.close_year()
    result = await camp.latest.result()
    assert result.outcomes_recorded
    await terminate_all(camp.client, case_ids(opens))
    return case_ids(opens)[0]


def steps_policy():  # type: ignore[no-untyped-def]
    from domain.actors import Role
    from domain.policy.designation import DesignationPolicy, DesignationStep
    from tests.workflow.campaign_support import POLICY

    steps = [
        DesignationStep(code="visit", zh="县级领导遍访", roles=[Role.COUNTY_LEADER]),
        DesignationStep(code="survey", zh="基层党委摸排", roles=[Role.TOWNSHIP_SECRETARY]),
        DesignationStep(code="consult", zh="联席部门会诊", roles=[Role.SUPERVISOR]),
        DesignationStep(code="decide", zh="常委会议审定", roles=[Role.COUNTY_LEADER, Role.SUPERVISOR]),
    ]
    return POLICY.model_copy(update={"designation": DesignationPolicy(steps=steps)})


async def record(output: Path = OUTPUT, child_output: Path | None = None, steps: bool = False) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=4) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            async with build_worker(env.client, audit_log, "record-campaign", executor=executor):
                camp = Campaign(
                    env,
                    audit_log,
                    "record-campaign",
                    region=REGION,
                    settings=CampaignSettings(start_batch_size=3, batch_pause=timedelta(seconds=5)),
                    **({"policy": steps_policy()} if steps else {}),
                )
                child_id = await (drive_steps(camp) if steps else drive(camp))
                history = await camp.latest.fetch_history()
                child = await camp.client.get_workflow_handle(child_id).fetch_history()
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events, workflow id {history.workflow_id})")
    if child_output is not None:
        child_output.parent.mkdir(parents=True, exist_ok=True)
        child_output.write_text(child.to_json(), encoding="utf-8")
        print(f"wrote {child_output} ({len(child.events)} history events, workflow id {child.workflow_id})")
    return output


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--steps" in args:
        args.remove("--steps")
        asyncio.run(record(Path(args[0]) if args else STEPS_OUTPUT, steps=True))
        sys.exit(0)
    child_path = None
    if "--child" in args:
        at = args.index("--child")
        child_path = Path(args[at + 1])
        del args[at : at + 2]
    asyncio.run(record(Path(args[0]) if args else OUTPUT, child_path))
