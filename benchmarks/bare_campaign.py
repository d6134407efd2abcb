"""The bare baseline of bench_scale: a parent workflow starting BareCase children (bare_workflow.py).

Its own module: a workflow's module is imported into the sandbox, and bench_scale imports the stack
driver (files, processes) at module level.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from benchmarks.bare_workflow import BareCase, BareStore

__all__ = ["BareCampaign", "BareCase", "BareStore"]


@workflow.defn(name="BareCampaign")
class BareCampaign:
    """A parent that starts ``cases`` BareCase children (benchmarks/bare_workflow.py: the same Temporal
    traffic as a case's opening: two regular activities and a local-activity append to plain sqlite3),
    ``batch`` at a time with no pause, abandoned as the campaign abandons its cases, continuing as new
    after 500 starts as the campaign does."""

    @workflow.run
    async def run(self, prefix: str, first: int, cases: int, batch: int) -> int:
        started = 0
        while first + started < cases:
            ids = [f"{prefix}-{first + started + k}" for k in range(min(batch, cases - first - started))]
            await asyncio.gather(
                *(
                    workflow.start_child_workflow(
                        BareCase.run, i, id=i, parent_close_policy=workflow.ParentClosePolicy.ABANDON
                    )
                    for i in ids
                )
            )
            started += len(ids)
            if started >= 500 and first + started < cases:
                workflow.continue_as_new(args=[prefix, first + started, cases, batch])
        return started
