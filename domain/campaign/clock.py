"""The campaign's clock, kept by its workflow: the monthly check, the year's end, the pace of starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.campaign.state import CampaignState
from domain.rectification import OpenCase
from domain.timeutil import SHANGHAI


class CampaignSettings(BaseModel):
    """How the campaign workflow paces itself; given with the workflow input (defaults are sane for a county)."""

    model_config = ConfigDict(extra="forbid")

    # Do: children started per batch, and the pause between batches (rate limit on the Temporal frontend).
    # 50 every 2 s caps the pace at 25 cases/s, above what a worker and the dev server sustain on one
    # machine (benchmarks/bench_scale.py: ~2-4 cases/s, the same with batches of 50 or 200), so the pace
    # does not bind. Larger batches gain nothing and cost one long workflow activation: 100 child starts
    # in one activation of a CPU-starved worker passed the SDK's 2 s deadlock detector (measured). The
    # values travel in the workflow input: a running campaign keeps the pace it was started with.
    start_batch_size: int = Field(default=50, ge=1, le=500)
    batch_pause: timedelta = timedelta(seconds=2)
    # Continue-as-new after this many children started in one run (far below the 2 000 pending-children
    # limit: a running child counts as pending for its parent run even with ParentClosePolicy.ABANDON).
    continue_as_new_after_starts: int = Field(default=500, ge=1, le=1500)
    # Check: the first day of every month at this Beijing time (月督导), and on `refresh`.
    check_time: time = time(8, 0)
    # Act: the year closes itself at this Beijing time on 31 December (unless closed earlier by hand).
    year_end_time: time = time(18, 0)
    auto_close: bool = True
    # Approval payloads are sent in chunks of this many designees (each chunk an amending approval).
    approval_chunk: int = Field(default=200, ge=1, le=1000)


def year_end_at(year: int, settings: CampaignSettings) -> datetime:
    """31 December of the campaign year at ``year_end_time`` Beijing, as UTC."""
    return datetime.combine(date(year, 12, 31), settings.year_end_time, tzinfo=SHANGHAI).astimezone(UTC)


def next_check_at(after: datetime, settings: CampaignSettings) -> datetime:
    """The first monthly check (1st of a month at ``check_time`` Beijing) strictly after ``after``."""
    local = after.astimezone(SHANGHAI)
    candidate = datetime.combine(date(local.year, local.month, 1), settings.check_time, tzinfo=SHANGHAI)
    while candidate <= local:
        year, month = (candidate.year + 1, 1) if candidate.month == 12 else (candidate.year, candidate.month + 1)
        candidate = datetime.combine(date(year, month, 1), settings.check_time, tzinfo=SHANGHAI)
    return candidate.astimezone(UTC)


def next_batch(state: CampaignState, settings: CampaignSettings) -> list[OpenCase]:
    return state.pending[: settings.start_batch_size]
