"""The baseline for bench_workflow: an update handler with no validation and no I/O."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BareBenchmark")
class BareWorkflow:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return len(self.notes)

    @workflow.update
    async def note(self, text: str) -> int:
        self.notes.append(text)
        return len(self.notes)

    @workflow.signal
    def finish(self) -> None:
        self.done = True
