"""Skipping virtual time on the time-skipping test server in bounded steps.

One ``env.sleep`` of a year makes the server fire every timer of every running workflow in that year
inside one RPC (a campaign's cases tick daily: thousands of workflow tasks). On a loaded machine that
one call could outlast the server's patience and break the connection ("h2 protocol error", "Timeout
expired"; temporalio/sdk-java#1618 and #2246 are the server's own reports of stalls under child
workflows and long sleeps). Steps of at most ``STEP`` keep each call short; the timers fire in the same
order, so what the workflows see is the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

STEP = timedelta(days=14)


async def skip(env: WorkflowEnvironment, delta: timedelta, step: timedelta = STEP) -> None:
    """``env.sleep(delta)``, as consecutive sleeps of at most ``step``."""
    while delta > timedelta(0):
        chunk = min(delta, step)
        await env.sleep(chunk)
        delta -= chunk


async def skip_to(env: WorkflowEnvironment, instant: datetime, step: timedelta = STEP) -> None:
    """Skip until the server's clock reaches ``instant`` (nothing when it is there already)."""
    now = await env.get_current_time()
    if instant > now:
        await skip(env, instant - now, step)
