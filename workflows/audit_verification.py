"""A scheduled check of the audit log's hash chain (daily, by a Temporal Schedule).

The workflow only runs the activity and returns its report: a broken chain is a finding to alert on
(metric, log, report), not a workflow failure that would be retried.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.audit import AuditActivities, VerificationResult

WORKFLOW_NAME = "AuditVerification"
SCHEDULE_ID = "pdca-audit-verification"


@workflow.defn(name=WORKFLOW_NAME)
class AuditVerificationWorkflow:
    @workflow.run
    async def run(self) -> VerificationResult:
        return await workflow.execute_activity_method(
            AuditActivities.verify_audit_chain,
            start_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
