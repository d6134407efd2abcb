"""Record a short rectification case whose payloads are encrypted, with a key rotation halfway.

    python -m tests.replay.record_encrypted_history [output.json]

Runs on the time-skipping test server with a real worker whose data converter is the project's
(store/payload_codec.py) over a key directory holding the fixed AES test key (tests/payload_keys.py):
open → plan returned → resubmitted → approved → progress; then the SM4 test key is added (rotation: it
encrypts from then on) → both measures completed → self-check → acceptance passed. Writes
``handle.fetch_history().to_json()`` to histories/encrypted/ (its own folder: test_replay.py replays
``histories/*.json``), where tests/replay/test_encrypted_replay.py replays it through the codec.

Re-record only on purpose, as the other recorded histories.
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
from domain.rectification import ProblemInput, RecordAcceptance, ReportProgress, ReturnPlan, Stage, SubmitSelfCheck
from store.payload_codec import data_converter
from tests.payload_keys import TEST_AES_KEY, TEST_SM4_KEY, key_directory
from tests.workflow.scenario import BRANCH, COUNTY, FIRST_SEC, TOWNSHIP, Case, approve, complete, measure, open_command, plan
from worker import build_worker, open_audit_log
from workflows.search_attributes import register

OUTPUT = Path(__file__).parent / "histories" / "encrypted" / "rectification_rotated_keys.json"
ORG_CODE = "replay-encrypted"  # workflow id rect-replay-encrypted-2026
DAY = timedelta(days=1)
# Text that must never be readable in the recorded history (tests/replay/test_encrypted_replay.py)
SECRET_TEXTS = ("村务公开长期流于形式", "集体资产台账缺失", "已张榜公布三务", "自查报告：整改到位")


async def drive(case: Case, rotate: Path) -> None:
    problems = [
        ProblemInput(category="weak_leadership", description=SECRET_TEXTS[0]),
        ProblemInput(category="collective_economy", description=SECRET_TEXTS[1]),
    ]
    await case.start(open_command(case.org_code, problems))
    t0 = await case.now()
    d1 = t0 + 30 * DAY
    await case.cmd(plan(measure("M1", ["P1"], d1, responsible="resp-a"), measure("M2", ["P2"], d1 - DAY, responsible="resp-b")))
    await case.cmd(ReturnPlan(actor=TOWNSHIP, comments="M2 期限过紧"))
    await case.cmd(plan(measure("M1", ["P1"], d1, responsible="resp-a"), measure("M2", ["P2"], d1, responsible="resp-b")))
    await case.cmd(approve())
    await case.advance(5 * DAY)
    await case.cmd(ReportProgress(actor=BRANCH, measure_id="M1", note=SECRET_TEXTS[2], evidence=["minutes.pdf"]))
    key_directory(rotate, TEST_AES_KEY, TEST_SM4_KEY)  # rotation: the SM4 key is newer, it encrypts from now on
    await case.advance(3 * DAY)
    await case.cmd(complete("M1"))
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(SubmitSelfCheck(actor=BRANCH, summary=SECRET_TEXTS[3]))
    passed = await case.cmd(RecordAcceptance(actor=COUNTY, score=85, unsatisfied_share=0.1, comments="通过"))
    assert passed.stage == Stage.CONSOLIDATING, passed


async def record(output: Path = OUTPUT) -> Path:
    with tempfile.TemporaryDirectory(prefix="pdca-record-") as tmp:
        keys_dir = Path(tmp) / "payload-keys"
        keys = key_directory(keys_dir, TEST_AES_KEY)
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=data_converter(keys=keys), test_server_existing_path=find_binary("temporal-test-server")
        )
        try:
            await register(env.client)
            with ThreadPoolExecutor(max_workers=4) as executor:
                audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
                queue = "record-encrypted-history"
                async with build_worker(env.client, audit_log, queue, executor=executor):
                    case = Case(env, audit_log, queue, ORG_CODE)
                    await drive(case, keys_dir)
                    assert case.handle is not None
                    history = await case.handle.fetch_history()
                    await case.handle.terminate("recorded")
                audit_log.engine.dispose()
        finally:
            await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events, workflow id {history.workflow_id})")
    return output


def main() -> None:
    args = sys.argv[1:]
    asyncio.run(record(Path(args[0]) if args else OUTPUT))


if __name__ == "__main__":
    main()
