"""Record the history of one star rating for the replay test.

    python -m tests.replay.record_rating_history [output.json]

Runs ``tests.workflow.rating_scenario.drive_lifecycle`` on the time-skipping test server with a real
worker and a throw-away SQLite audit log: opened (the directory's facts read) → self-assessed → returned →
assessed again → reviewed → a level above the gates refused → approved (signed) → an objection, the window
over, dismissed (signed) → decided → a veto with an unknown source refused → lowered (降星) → archived.
Writes ``handle.fetch_history().to_json()`` under ``histories/ratings/``.

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
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from tests.workflow.rating_scenario import drive_lifecycle
from worker import build_worker, open_audit_log
from workflows.search_attributes import register

HISTORIES = Path(__file__).parent / "histories" / "ratings"
DEFAULT_OUTPUT = HISTORIES / "rating_lifecycle.json"


async def record(output: Path = DEFAULT_OUTPUT) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=4) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = "record-rating-history"
            async with build_worker(env.client, audit_log, queue, executor=executor):
                handle, stream_id, _ = await drive_lifecycle(env, audit_log, queue)
                history = await handle.fetch_history()
            assert audit_log.verify().ok
            audit_events = len(audit_log.read_stream(stream_id))
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events, {audit_events} audit events, workflow id {history.workflow_id})")
    return output


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    asyncio.run(record(output))


if __name__ == "__main__":
    main()
