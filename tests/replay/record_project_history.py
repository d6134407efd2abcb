"""Record the history of one representative secretary project for the replay test.

    python -m tests.replay.record_project_history [output.json]
    python -m tests.replay.record_project_history tests/replay/histories/projects/project_committee_member_per_person.json committee_member

Runs ``tests.workflow.project_scenario.drive_full_lifecycle`` on the time-skipping test server with a
real worker and a throw-away SQLite audit log: apply → returned twice → approved → milestones with
reminders → a missed quarterly report (reminder + three 催办) → evaluation poor → sanction approved →
closed. Writes ``handle.fetch_history().to_json()`` under ``histories/projects/`` (kept out of
``histories/*.json``, which the rectification replay test reads).

The second form records a 委员项目 (its id keyed by its owner, ``project-per-person-v1``).

Re-record only on purpose: the committed JSON proves today's workflow code still replays it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cli.binaries import find_binary
from domain.project import Level
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from tests.workflow.project_scenario import Project, drive_full_lifecycle
from worker import build_worker, open_audit_log
from workflows.search_attributes import register

HISTORIES = Path(__file__).parent / "histories" / "projects"
DEFAULT_OUTPUT = HISTORIES / "project_full_lifecycle.json"
ORG_CODE = "replay-proj"


async def record(output: Path = DEFAULT_OUTPUT, level: Level = Level.SECRETARY) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=4) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = "record-project-history"
            async with build_worker(env.client, audit_log, queue, executor=executor):
                project = Project(env, audit_log, queue, ORG_CODE, level=level)
                await drive_full_lifecycle(project)
                assert project.handle is not None
                history = await project.handle.fetch_history()
            assert audit_log.verify().ok
            audit_events = len(project.stream())
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events, {audit_events} audit events, workflow id {history.workflow_id})")
    return output


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    level = Level(sys.argv[2]) if len(sys.argv) > 2 else Level.SECRETARY
    asyncio.run(record(output, level))


if __name__ == "__main__":
    main()
