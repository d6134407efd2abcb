"""The designation procedure on a real campaign workflow (time-skipping server): each step an audited
event of a verified person with the step's role; the approval refused until the last step; the cases
start after it, with each designee's 分类 result and label recorded on the approval."""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.actors import Actor, Role
from domain.campaign import ApproveDesignation, RecordDesignationStep
from domain.directory import OrgClass
from domain.policy import Policy
from domain.policy.designation import DesignationPolicy, DesignationStep
from tests.workflow.campaign_support import SUPERVISOR, Campaign, case_ids, designees, terminate_all

LEADER = Actor(id="cl-zhao", name="赵县长", roles=[Role.COUNTY_LEADER])
TOWN = Actor(id="ts-li", name="李书记", roles=[Role.TOWNSHIP_SECRETARY], scope=["城关镇"])
POLICY = Policy(
    supervisors=["sup-zhang"],
    designation=DesignationPolicy(
        steps=[
            DesignationStep(code="visit", zh="县级领导遍访", roles=[Role.COUNTY_LEADER]),
            DesignationStep(code="survey", zh="基层党委摸排", roles=[Role.TOWNSHIP_SECRETARY]),
            DesignationStep(code="consult", zh="联席部门会诊", roles=[Role.SUPERVISOR]),
            DesignationStep(code="decide", zh="常委会议审定", roles=[Role.COUNTY_LEADER, Role.SUPERVISOR]),
        ]
    ),
)


async def test_steps_are_audited_and_cases_open_only_after_the_last(time_env, audit_log, worker_queue) -> None:
    camp = Campaign(time_env, audit_log, worker_queue, region="城关镇", policy=POLICY)
    opens = designees("ST", 2, region="城关镇")
    await camp.start()
    try:
        approve = ApproveDesignation(
            actor=SUPERVISOR, designees=opens, classes={"ST0000": OrgClass.THIRD}, labels={"ST0000": "软弱涣散村党组织"}
        )
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await camp.send(approve)
        assert "cases open only after the last step" in str(early.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as wrong_role:
            await camp.send(RecordDesignationStep(actor=SUPERVISOR, step="visit", note="遍访"))
        assert "county_leader" in str(wrong_role.value.cause)
        await camp.send(RecordDesignationStep(actor=LEADER, step="visit", note="县级领导遍访全部村"))
        await camp.send(RecordDesignationStep(actor=TOWN, step="survey", note="摸排10种问题表现情形", org_codes=["ST0000", "ST0001"]))
        await camp.send(RecordDesignationStep(actor=SUPERVISOR, step="consult", note="组织、纪检、政法等部门会诊"))
        last = await camp.send(RecordDesignationStep(actor=LEADER, step="decide", note="常委会审定2个", org_codes=["ST0000", "ST0001"]))
        assert last.events == ["DesignationStepRecorded"] and last.designated == 0
        done = await camp.send(approve)
        assert done.events == ["DesignationApproved"]
        view = await camp.wait_started()
        assert view.designated == 2 and view.pending == 0
        rows = [r for r in audit_log.read_stream(camp.campaign_id) if r.event_type in ("DesignationStepRecorded", "DesignationApproved")]
        steps = [json.loads(r.payload) for r in rows if r.event_type == "DesignationStepRecorded"]
        assert [(s["step"], s["actor"], s["index"]) for s in steps] == [
            ("visit", "cl-zhao", 1),
            ("survey", "ts-li", 2),
            ("consult", "sup-zhang", 3),
            ("decide", "cl-zhao", 4),
        ]
        assert all(s["proof"] for s in steps)  # each step carries the verified credential's proof
        # the opening recorded the procedure the campaign enforces: `pdca campaign steps` reads it there
        opening = json.loads(audit_log.read_stream(camp.campaign_id)[0].payload)
        assert [(s["code"], s["roles"]) for s in opening["steps"]] == [
            ("visit", ["county_leader"]),
            ("survey", ["township_secretary"]),
            ("consult", ["supervisor"]),
            ("decide", ["county_leader", "supervisor"]),
        ]
        approved = json.loads(rows[-1].payload)
        assert approved["steps"] == ["visit", "survey", "consult", "decide"]
        assert approved["classes"] == {"ST0000": "third"} and approved["labels"] == {"ST0000": "软弱涣散村党组织"}
    finally:
        await terminate_all(time_env.client, [*case_ids(opens), camp.campaign_id])
