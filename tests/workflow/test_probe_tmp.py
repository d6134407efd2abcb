import asyncio, time, uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from domain.rectification import ReportProgress
from worker import build_worker
from tests.workflow.scenario import *
from tests.workflow.test_rectification_workflow import FailingChannel, DAY

async def test_probe(time_env, audit_log, cases):
    channel = FailingChannel()
    queue = f"failing-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, channel=channel, executor=executor):
            case = cases(queue=queue)
            await case.start()
            t0 = await case.now()
            deadline = t0 + 20 * DAY
            await case.cmd(plan(measure("M1", ["P1", "P2"], deadline)))
            await case.cmd(approve())
            now = await case.now()
            await time_env.sleep(deadline - 7*DAY - now + timedelta(seconds=1))
            print("after sleep", case.types(), dict(channel.attempts), (await case.state()).version)
            t = time.perf_counter()
            r = await case.cmd(ReportProgress(actor=BRANCH, measure_id="M1", note="进展"))
            print("update took", time.perf_counter() - t, r.events, dict(channel.attempts))
