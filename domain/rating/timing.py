"""A star rating's clock (pure): the end of 公示 and the end of dynamic management."""

from __future__ import annotations

from datetime import datetime

from domain.decider import Context
from domain.rating.state import RatingState, Stage


def next_wakeup(state: RatingState, ctx: Context) -> datetime | None:
    """When ``Tick`` could next decide something: the end of the objection window (while no objection
    is open: an open one holds the decision until it is resolved), or the archiving of a decided level."""
    if state.stage == Stage.PUBLICITY and not state.open_objections():
        return state.publicity_ends
    if state.stage == Stage.RATED:
        return state.archive_at
    return None


def calendar_years(state: RatingState, now: datetime) -> list[int]:
    """The years the objection window may count working days in: this year and the next."""
    return sorted({now.year, now.year + 1})
