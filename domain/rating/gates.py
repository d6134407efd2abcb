"""The gates of the star rating (进出关), pure: which level a set of scores and veto items earns, and why
no higher one.

A level is granted only when its conditions are met (进关): the total reaches its line and every item the
line requires is scored in full; a veto item that occurred (一票否决) grants at most ``veto_level``. The
same rule withdraws a star (出关): a veto event mid-year caps the decided level the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from domain.policy.rating import RatingPolicy, RatingStandard


class Gate(BaseModel):
    total: float
    level: int
    vetoes: list[str]
    # per level above the one granted: what it lacks, in the users' words
    unmet: dict[int, list[str]]


def _fmt(value: float) -> str:
    return f"{value:g}"


def gate(standard: RatingStandard, scores: dict[str, float], vetoes: Iterable[str], veto_level: int) -> Gate:
    """The level ``scores`` (item code → points) and ``vetoes`` (veto item codes that occurred) earn."""
    occurred = sorted({v for v in vetoes if (item := standard.item(v)) is not None and item.veto})
    total = round(sum(scores.get(i.code, 0.0) for i in standard.items if not i.veto), 2)
    level, unmet = 1, {}
    for line in standard.lines:
        lacks = []
        if total < line.min_total:
            lacks.append(f"总分 {_fmt(total)} < {_fmt(line.min_total)} / total {_fmt(total)} below {_fmt(line.min_total)}")
        for code in line.required:
            item = standard.item(code)
            assert item is not None  # the standard's validator checked it
            if scores.get(code, 0.0) < item.points:
                lacks.append(f"{item.zh} 未满分 / {item.en or code} not in full")
        if occurred and line.stars > veto_level:
            names = "、".join(standard.item(v).zh for v in occurred)  # type: ignore[union-attr]
            lacks.append(f"一票否决：{names} / veto: {', '.join(occurred)}")
        if lacks:
            unmet[line.stars] = lacks
        elif not any(s < line.stars for s in unmet):
            level = line.stars
    return Gate(total=total, level=level, vetoes=occurred, unmet={s: r for s, r in unmet.items() if s > level})


def proposed_level(previous: int | None, upgrade_cases: list[str], policy: RatingPolicy) -> int | None:
    """晋位升级: the level a closed case proposes (the previous level plus ``upgrade_step``, at most 5)."""
    if not upgrade_cases:
        return None
    return min(5, (previous or 1) + policy.upgrade_step)


def capped(level: int, vetoes: Iterable[str], standard: RatingStandard, veto_level: int) -> int:
    """A decided level once veto items occurred (出关): at most ``veto_level``."""
    if any((item := standard.item(v)) is not None and item.veto for v in vetoes):
        return min(level, veto_level)
    return level
