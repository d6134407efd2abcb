"""Pure time helpers. China has one zone and no daylight saving: a fixed +08:00 offset."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_DURATION = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(value: object) -> object:
    """Accept ``"7d"``, ``"12h"``, ``"30m"``, ``"90s"`` besides what pydantic takes for a timedelta."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    return value


def format_duration(value: timedelta) -> str:
    """The largest exact unit: distinct durations always get distinct names (they key reminders)."""
    seconds = int(value.total_seconds())
    if value != timedelta(seconds=seconds):
        raise ValueError(f"durations are whole seconds, not {value}")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a UTC offset")
    return value.astimezone(UTC)


def reject_naive_deadline(value: object) -> object:
    """A deadline typed with a time must carry its offset; a timestamp string is tried before a date
    (pydantic would otherwise read a midnight timestamp as a bare date). For ``mode="before"`` validators."""
    if isinstance(value, str) and len(value.strip()) > 10:
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # pydantic reports the format error
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a deadline with a time must carry a UTC offset, e.g. +08:00")
    return value


def deadline_instant(value: date | datetime, end_of_day: time) -> datetime:
    """A date deadline falls due at ``end_of_day`` Beijing time on that date; a datetime as given."""
    if isinstance(value, datetime):
        return require_aware(value)
    return datetime.combine(value, end_of_day, tzinfo=SHANGHAI).astimezone(UTC)


def local(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)
