"""One way for workflow code to call an activity, as a local activity or a regular one.

A local activity runs in the workflow task that calls it (no activity task, no round trip through the
server: a marker in history); a regular one is scheduled through the server. Which one a stream uses is a
patch decision (``append-local-v1``, ``local-fetch-v1`` in workflows/audited.py): streams recorded with
regular activities keep replaying them. A local call's retries back off inside the workflow task up to
``LOCAL_RETRY_THRESHOLD``; a longer backoff waits on a durable timer, so an outage does not hold the task.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

LOCAL_RETRY_THRESHOLD = timedelta(seconds=5)


async def call_activity(method: Callable[..., Any], *args: Any, local: bool, timeout: timedelta, retry: RetryPolicy) -> Any:
    """``method`` (an ``@activity.defn`` method; its result is decoded as its return annotation says) with
    ``args``; each attempt bounded by ``timeout``."""
    if local:
        return await workflow.execute_local_activity_method(
            method,
            args=list(args),
            start_to_close_timeout=timeout,
            retry_policy=retry,
            local_retry_threshold=LOCAL_RETRY_THRESHOLD,
        )
    return await workflow.execute_activity_method(method, args=list(args), start_to_close_timeout=timeout, retry_policy=retry)
