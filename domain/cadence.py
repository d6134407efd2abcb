"""Cadence (月督导、季观摩、半年通报): when the supervision schedules run and what each one says. Pure.

- Monthly supervision digest (月督导): per township, the open cases with overdue measures and the
  measures falling due in the next ``look_ahead_days``, for the supervisors.
- Quarterly review list (季观摩): the organizations worth an on-site visit — the furthest ahead
  (observation models) and the furthest behind (to be supervised on the spot).
- Half-year bulletin (半年通报): the report (reports/), written to files; the digest names them.

The schedules themselves are Temporal Schedules (cli/cadence.py); the rows come from the
projections through an activity. These functions only choose and word.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.timeutil import local


class CadenceKind(StrEnum):
    MONTHLY_DIGEST = "monthly_digest"  # 月督导
    QUARTERLY_REVIEW = "quarterly_review"  # 季观摩
    HALF_YEAR_BULLETIN = "half_year_bulletin"  # 半年通报


TITLES: dict[CadenceKind, tuple[str, str]] = {
    CadenceKind.MONTHLY_DIGEST: ("月度督导通报", "monthly supervision digest"),
    CadenceKind.QUARTERLY_REVIEW: ("季度观摩名单", "quarterly review list"),
    CadenceKind.HALF_YEAR_BULLETIN: ("半年通报", "half-year bulletin"),
}


class CadenceEntry(BaseModel):
    """One schedule: the months, day of month and Beijing time it runs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    months: list[int] = Field(min_length=1)
    day: int = Field(ge=1, le=28)  # ≤ 28 so every month has the day
    hour: int = Field(default=9, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)

    @model_validator(mode="after")
    def _check(self) -> CadenceEntry:
        if any(not 1 <= m <= 12 for m in self.months) or len(set(self.months)) != len(self.months):
            raise ValueError("months must be distinct numbers from 1 to 12")
        self.months = sorted(self.months)
        return self


class CadencePolicy(BaseModel):
    """Policy section; every number a local setting."""

    model_config = ConfigDict(extra="forbid")

    # 月督导: the 5th of every month, 09:00 — after the month's progress reports are in.
    monthly_digest: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=list(range(1, 13)), day=5))
    # 季观摩: the 10th of the month after each quarter.
    quarterly_review: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=[1, 4, 7, 10], day=10))
    # 半年通报: 15 July (first half) and 15 January (second half, with the year-end summary).
    half_year_bulletin: CadenceEntry = Field(default_factory=lambda: CadenceEntry(months=[1, 7], day=15))
    # The monthly digest lists measures falling due within this many days.
    look_ahead_days: int = Field(default=30, ge=1, le=180)
    # The quarterly list names this many organizations at each end.
    review_list_size: int = Field(default=5, ge=1, le=50)

    def entry(self, kind: CadenceKind) -> CadenceEntry:
        return getattr(self, kind.value)


# ------------------------------------------------------------------ choosing


class DigestLine(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    stage: str
    overdue_measures: list[str] = Field(default_factory=list)
    due_soon: list[tuple[str, datetime]] = Field(default_factory=list)  # (measure id, deadline)


class ReviewLine(BaseModel):
    case_id: str
    org_name: str
    region: str
    stage: str
    done: int
    total: int
    overdue: int

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0


def monthly_digest(cases: Sequence[Any], measures: Sequence[Any], as_of: datetime, look_ahead_days: int) -> list[DigestLine]:
    """Open cases with an overdue measure or a measure due within the look-ahead, by township then org.

    ``cases`` have case_id, org_code, org_name, region, stage; ``measures`` have case_id, measure_id,
    deadline, done, overdue (the projection rows)."""
    horizon = as_of + timedelta(days=look_ahead_days)
    by_case: dict[str, list[Any]] = {}
    for m in measures:
        by_case.setdefault(m.case_id, []).append(m)
    lines = []
    for case in cases:
        if case.stage == "closed":
            continue
        own = sorted(by_case.get(case.case_id, []), key=lambda m: (m.deadline, m.measure_id))
        overdue = [m.measure_id for m in own if not m.done and (m.overdue or m.deadline <= as_of)]
        soon = [(m.measure_id, m.deadline) for m in own if not m.done and as_of < m.deadline <= horizon]
        if overdue or soon:
            lines.append(
                DigestLine(
                    case_id=case.case_id, org_code=case.org_code, org_name=case.org_name, region=case.region,
                    stage=case.stage, overdue_measures=overdue, due_soon=soon,
                )
            )
    return sorted(lines, key=lambda line: (line.region, -len(line.overdue_measures), line.org_code))


def review_list(cases: Sequence[Any], size: int) -> tuple[list[ReviewLine], list[ReviewLine]]:
    """(ahead, behind) among cases in implementation or later, deterministic (ties by case id):
    ahead — nothing overdue and something done, most done first (to learn from, 观摩学习);
    behind — something overdue or nothing done, most overdue then least done first (现场督导).
    The two lists never share a case."""
    lines = [
        ReviewLine(
            case_id=c.case_id, org_name=c.org_name, region=c.region, stage=c.stage,
            done=c.measures_done, total=c.measures_total, overdue=c.overdue_measures,
        )
        for c in cases
        if c.measures_total and c.stage not in {"new", "designated", "planning", "closed"}
    ]
    ahead = sorted((line for line in lines if not line.overdue and line.done), key=lambda line: (-line.share, line.case_id))
    behind = sorted((line for line in lines if line.overdue or not line.done), key=lambda line: (-line.overdue, line.share, line.case_id))
    return ahead[:size], behind[:size]


# ------------------------------------------------------------------ wording


def _when(value: datetime) -> str:
    return local(value).strftime("%Y-%m-%d")


def render_digest(lines: list[DigestLine], as_of: datetime, lang: str = "zh") -> str:
    zh = lang == "zh"
    title = TITLES[CadenceKind.MONTHLY_DIGEST][0 if zh else 1]
    out = [f"# {title}（{_when(as_of)}）" if zh else f"# {title} ({_when(as_of)})", ""]
    if not lines:
        out.append("本期无逾期或临期整改措施。" if zh else "No overdue or upcoming measures this period.")
        return "\n".join(out) + "\n"
    overdue_total = sum(len(line.overdue_measures) for line in lines)
    soon_total = sum(len(line.due_soon) for line in lines)
    out.append(
        f"共 {len(lines)} 个党组织：逾期措施 {overdue_total} 项，临期措施 {soon_total} 项。"
        if zh
        else f"{len(lines)} organizations: {overdue_total} overdue measures, {soon_total} falling due soon."
    )
    region = None
    for line in lines:
        if line.region != region:
            region = line.region
            out += ["", f"## {region}"]
        parts = []
        if line.overdue_measures:
            parts.append(("逾期：" if zh else "overdue: ") + ", ".join(line.overdue_measures))
        if line.due_soon:
            soon = ", ".join(f"{m}（{_when(d)}）" if zh else f"{m} ({_when(d)})" for m, d in line.due_soon)
            parts.append(("临期：" if zh else "due soon: ") + soon)
        head = f"- {line.org_name}（{line.case_id}）" if zh else f"- {line.org_name} ({line.case_id})"
        out.append(head + "".join(("；" if zh else "; ") + part for part in parts))
    return "\n".join(out) + "\n"


def render_review(ahead: list[ReviewLine], behind: list[ReviewLine], as_of: datetime, lang: str = "zh") -> str:
    zh = lang == "zh"
    title = TITLES[CadenceKind.QUARTERLY_REVIEW][0 if zh else 1]
    out = [f"# {title}（{_when(as_of)}）" if zh else f"# {title} ({_when(as_of)})"]
    for heading, rows in (
        (("观摩学习（进度领先）", "to learn from (furthest ahead)"), ahead),
        (("现场督导（进度滞后）", "to supervise on site (furthest behind)"), behind),
    ):
        out += ["", f"## {heading[0] if zh else heading[1]}"]
        if not rows:
            out.append("（无）" if zh else "(none)")
        for row in rows:
            progress = f"{row.done}/{row.total}"
            out.append(
                f"- {row.org_name}（{row.region}，{row.case_id}）措施完成 {progress}，逾期 {row.overdue} 项"
                if zh
                else f"- {row.org_name} ({row.region}, {row.case_id}): measures done {progress}, overdue {row.overdue}"
            )
    return "\n".join(out) + "\n"
