"""A year's rating in figures (pure): per township and for the county, the count at each level, 三星以上,
升星 / 降星 / 持平 against last year's level (a mid-year downgrade counts as 降星), rated for the first time,
年中降星, 晋位升级 proposed and reached, not yet decided. Read by `pdca rating report` and the year-end
summary (reports/)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class RatedRow(Protocol):
    """What the figures read of a rating (a ``rating_summary`` row)."""

    @property
    def region(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def level(self) -> int | None: ...

    @property
    def previous_level(self) -> int | None: ...

    @property
    def downgrades(self) -> int: ...

    @property
    def upgrade_level(self) -> int | None: ...


@dataclass
class Movement:
    """One township's (``region``; "" for the whole county) figures of a year's rating."""

    region: str
    total: int = 0  # ratings opened
    rated: int = 0  # a level decided
    by_level: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    three_and_up: int = 0  # 三星以上
    up: int = 0  # 升星 (above last year's level)
    down: int = 0  # 降星 (below last year's level, or lowered mid-year)
    same: int = 0
    new: int = 0  # rated for the first time (no level last year)
    downgraded: int = 0  # lowered mid-year by a veto event
    upgrades_proposed: int = 0  # 晋位升级 proposed by a closed case
    upgrades_made: int = 0  # … and the decided level reached it
    pending: Counter[str] = field(default_factory=Counter)  # ratings not yet decided, by stage

    def add(self, row: RatedRow) -> None:
        self.total += 1
        if row.level is None:
            self.pending[row.stage] += 1
            return
        self.rated += 1
        self.by_level[row.level] += 1
        self.three_and_up += row.level >= 3
        if row.previous_level is None:
            self.new += 1
        elif row.level > row.previous_level:
            self.up += 1
        elif row.level < row.previous_level or row.downgrades:
            self.down += 1
        else:
            self.same += 1
        self.downgraded += bool(row.downgrades)
        if row.upgrade_level is not None:
            self.upgrades_proposed += 1
            self.upgrades_made += row.level >= row.upgrade_level


@dataclass
class RatingFigures:
    year: int
    county: Movement
    townships: list[Movement]


def rating_figures(year: int, rows: Iterable[RatedRow], region: str | None = None) -> RatingFigures:
    """The figures of ``rows`` (one year's ratings), per township and for the county (or ``region``)."""
    county = Movement(region=region or "")
    townships: dict[str, Movement] = {}
    for row in rows:
        county.add(row)
        townships.setdefault(row.region, Movement(region=row.region)).add(row)
    return RatingFigures(year=year, county=county, townships=[townships[r] for r in sorted(townships)])
