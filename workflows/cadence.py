"""One run of a supervision cadence, started by its Temporal Schedule (月督导、季观摩、半年通报)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.cadence import CadenceActivities, CadenceRequest, CadenceResult
    from domain.cadence import CadenceKind
    from domain.policy import Policy

WORKFLOW_NAME = "SupervisionCadence"


class CadenceInput(BaseModel):
    kind: CadenceKind
    policy: Policy


@workflow.defn(name=WORKFLOW_NAME)
class CadenceWorkflow:
    @workflow.run
    async def run(self, input: CadenceInput) -> CadenceResult:
        return await workflow.execute_activity_method(
            CadenceActivities.run_cadence,
            CadenceRequest(kind=input.kind, as_of=workflow.now(), policy=input.policy, run_id=workflow.info().workflow_id),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=2)),
        )
