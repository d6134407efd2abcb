"""Report figures: rows in, figures out. Pure (no I/O, no clock): ``as_of`` is always given.

The rows are whatever the caller has: ``store.models.CaseSummary`` / ``MeasureLedger`` rows, the
richer rows ``reports.gather`` builds from the audit log (with ``completed_at``), a campaign's view of
its children, or project-summary rows. Anything with the named attributes works (duck typing);
missing optional attributes fall back as documented on each figure, and docs/reports.md repeats the
definitions.

Definitions (cases of one year and region, as the caller selected them):

- ``total``: number of case rows.
- ``by_stage``: {stage code: n}; ``by_region``: {region: {stage code: n}}.
- ``overdue_measures``: measures whose deadline is at or before ``as_of`` and which were not completed
  by ``as_of`` (completed_at ≤ as_of; a row without completed_at counts as completed when ``done``).
  Without measure rows: the sum of the cases' ``overdue_measures``.
- ``overdue_cases``: cases with at least one such measure (without measure rows: cases whose
  ``overdue`` flag is set).
- ``escalations``: escalation rungs fired (including the sanction rungs' proposals), summed over the
  cases; reports fold the events, so rungs fired before a rework still count (``CaseSummary.escalations``
  holds the current cycle's only);
  ``escalations_by_rung`` counts each rung from the measure rows' ``escalations`` column.
- ``sanction_proposals``: sanction proposals raised (诫勉谈话 admonishment talk, 组织调整 personnel
  adjustment, …: proposals a person approves or dismisses), summed over the cases' ``sanction_proposals``;
  rows without that attribute count escalations at a sanction rung in the measure rows instead.
  ``sanctions_pending``: of them, still awaiting a decision (cases' ``sanctions_pending``).
- ``closed``: cases in stage ``closed`` (销号) whose ``closed_at`` is at or before ``as_of`` (or unknown).
- ``measures_due``: measures whose deadline is at or before ``as_of``; ``measures_on_time``: those of them
  completed at or before their deadline (completed_at ≤ deadline; a row without completed_at that is
  ``done`` counts as on time). ``on_time_rate`` = measures_on_time / measures_due, **None when no deadline
  has passed** (shown as "—", never as 0 % or 100 %). The measures are each case's current plan (after a
  rework order, the re-planned deadlines).
- ``carried_over``: cases whose year has ended by ``as_of`` (31 Dec 24:00 Beijing time) and that were not
  closed by then (closed_at missing or later than the year's end): they carry over into the next year.
  Before the year ends it is 0 for that year's cases.
- ``upgraded``: closed cases with outcome ``upgraded`` (晋位升级).
- ``acceptance_rounds``: acceptance rounds (验收) recorded by ``as_of``, every PDCA cycle, summed over the
  cases' ``acceptance_rounds``; ``acceptances_passed`` of them passed; ``failures_by_reason``: the failed
  ones by verdict (``failed_score`` 得分不达标, ``failed_satisfaction`` 群众满意度否决); ``reworks``: rework
  orders (限期重新整改) by ``as_of``, summed over the cases' ``reworks``; ``cases_reworked``: cases with
  at least one. ``acceptance_by_region``: the same per township. Rows without these attributes count 0.
- ``executions``: adjustments carried out (组织调整 / 诫勉谈话 executed, ``AdjustmentExecuted``), summed
  over the cases' ``executions``; ``findings``: inspection findings taken into the cases
  (``FindingsRecorded``), summed over the cases' ``findings``. Rows without them count 0.
- ``org_upgrades``: from directory assessments (org_code, year, star, org_class): organizations whose star
  rating rose, or whose class improved (三类 → 二类 → 一类), from year Y-1 to year Y, for each Y in
  the figures' year (or every year present when the figures have no year).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, overload

from pydantic import BaseModel, Field

SHANGHAI_OFFSET_HOURS = 8
STAGE_ORDER = ("new", "designated", "planning", "implementing", "checking", "consolidating", "closed")
RUNG_ORDER = ("reminder", "reminder_talk", "supervision_notice", "admonishment_talk", "personnel_adjustment")
SANCTION_RUNGS = frozenset({"admonishment_talk", "personnel_adjustment"})
PROJECT_STAGE_ORDER = ("new", "reviewing", "implementing", "evaluated", "promoted", "closed", "rejected")
RATINGS = ("good", "medium", "poor")
PROMOTED_WORDS = frozenset({"promoted", "model", "promote"})


# ----------------------------------------------------------------------------- helpers


def _get(row: Any, name: str, default: Any = None) -> Any:
    if isinstance(row, dict):
        return row.get(name, default)
    return getattr(row, name, default)


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
@overload
def _aware(value: datetime | None) -> datetime | None: ...
def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime in report rows: {value!r} (store UTC, with its offset)")
    return value


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def year_end(year: int) -> datetime:
    """The instant a year ends in Beijing: 1 Jan of the next year, 00:00 +08:00, as UTC."""
    tz = timezone(timedelta(hours=SHANGHAI_OFFSET_HOURS))
    return datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(_value(v)) for v in value]


def _ordered(counter: dict[str, int], order: Sequence[str]) -> dict[str, int]:
    known = [k for k in order if k in counter]
    rest = sorted(k for k in counter if k not in order)
    return {k: counter[k] for k in known + rest}


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


# ----------------------------------------------------------------------------- case figures


class OverdueOrg(BaseModel):
    """An organization named in the bulletin (通报) for overdue measures."""

    case_id: str
    org_code: str
    org_name: str
    region: str
    overdue_measures: int
    earliest_deadline: datetime | None = None
    escalations: list[str] = Field(default_factory=list)  # rungs fired, mildest first


class CaseRef(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    stage: str
    outcome: str | None = None


class OrgUpgrade(BaseModel):
    org_code: str
    year: int
    star_before: int | None = None
    star_after: int | None = None
    class_before: int | None = None  # 1 = 一类 (advanced) … 3 = 三类 (lagging)
    class_after: int | None = None


class RegionRate(BaseModel):
    due: int = 0
    on_time: int = 0

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.due)


class AcceptanceCounts(BaseModel):
    """Acceptance rounds, their outcome by reason, and rework orders (one township, or all)."""

    rounds: int = 0
    passed: int = 0
    failed_score: int = 0  # 得分不达标
    failed_satisfaction: int = 0  # 群众满意度否决
    reworks: int = 0
    cases_reworked: int = 0

    def add(self, case: Any) -> None:
        self.rounds += int(_get(case, "acceptance_rounds", 0) or 0)
        self.passed += int(_get(case, "acceptances_passed", 0) or 0)
        self.failed_score += int(_get(case, "failed_score", 0) or 0)
        self.failed_satisfaction += int(_get(case, "failed_satisfaction", 0) or 0)
        reworks = int(_get(case, "reworks", 0) or 0)
        self.reworks += reworks
        self.cases_reworked += reworks > 0

    @property
    def failed(self) -> int:
        return self.failed_score + self.failed_satisfaction


class CaseFigures(BaseModel):
    as_of: datetime
    year: int | None = None
    region: str | None = None
    total: int = 0
    by_stage: dict[str, int] = Field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = Field(default_factory=dict)
    overdue_cases: int = 0
    overdue_measures: int = 0
    escalations: int = 0
    escalations_by_rung: dict[str, int] = Field(default_factory=dict)
    sanction_proposals: int = 0
    sanctions_pending: int = 0
    closed: int = 0
    measures_total: int = 0
    measures_done: int = 0
    measures_due: int = 0
    measures_on_time: int = 0
    on_time_rate: float | None = None
    on_time_by_region: dict[str, RegionRate] = Field(default_factory=dict)
    carried_over: int = 0
    upgraded: int = 0
    acceptance_rounds: int = 0
    acceptances_passed: int = 0
    failures_by_reason: dict[str, int] = Field(default_factory=lambda: {"failed_score": 0, "failed_satisfaction": 0})
    reworks: int = 0
    cases_reworked: int = 0
    acceptance_by_region: dict[str, AcceptanceCounts] = Field(default_factory=dict)
    executions: int = 0
    findings: int = 0
    overdue_orgs: list[OverdueOrg] = Field(default_factory=list)
    carried_over_cases: list[CaseRef] = Field(default_factory=list)
    upgraded_cases: list[CaseRef] = Field(default_factory=list)
    org_upgrades: list[OrgUpgrade] = Field(default_factory=list)


def _completed_by(measure: Any, moment: datetime) -> bool:
    completed_at = _aware(_get(measure, "completed_at"))
    if completed_at is not None:
        return completed_at <= moment
    return bool(_get(measure, "done", False))


def case_figures(
    cases: Sequence[Any],
    as_of: datetime,
    measures: Sequence[Any] | None = None,
    assessments: Iterable[Any] | None = None,
    *,
    year: int | None = None,
    region: str | None = None,
) -> CaseFigures:
    """Figures over ``cases`` (and their ``measures``) as of ``as_of``; see the module doc for each one.

    ``assessments``: optional directory records ``(org_code, year, star, org_class)`` (tuples, dicts or
    objects with those attributes) for ``org_upgrades``. ``year``/``region`` only label the result
    (and pick the year of ``org_upgrades``); select the rows before calling.
    """
    as_of = _aware(as_of)
    figures = CaseFigures(as_of=as_of, year=year, region=region, total=len(cases))
    by_stage: Counter[str] = Counter()
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    case_by_id = {}
    totals = AcceptanceCounts()
    acceptance_region: dict[str, AcceptanceCounts] = defaultdict(AcceptanceCounts)
    for case in cases:
        stage = str(_value(_get(case, "stage", "")))
        totals.add(case)
        acceptance_region[_get(case, "region", "") or ""].add(case)
        figures.executions += int(_get(case, "executions", 0) or 0)
        figures.findings += int(_get(case, "findings", 0) or 0)
        by_stage[stage] += 1
        by_region[_get(case, "region", "") or ""][stage] += 1
        case_by_id[_get(case, "case_id", "")] = case
        figures.escalations += int(_get(case, "escalations", 0) or 0)
        closed_at = _aware(_get(case, "closed_at"))
        is_closed = stage == "closed" and (closed_at is None or closed_at <= as_of)
        if is_closed:
            figures.closed += 1
            if str(_value(_get(case, "outcome"))) == "upgraded":
                figures.upgraded += 1
                figures.upgraded_cases.append(_ref(case))
        case_year = _get(case, "year")
        if case_year is not None:
            end = year_end(int(case_year))
            if end <= as_of and (stage != "closed" or (closed_at is not None and closed_at > end)):
                figures.carried_over += 1
                figures.carried_over_cases.append(_ref(case))
    figures.by_stage = _ordered(by_stage, STAGE_ORDER)
    figures.by_region = {r: _ordered(by_region[r], STAGE_ORDER) for r in sorted(by_region)}
    figures.acceptance_rounds, figures.acceptances_passed = totals.rounds, totals.passed
    figures.failures_by_reason = {"failed_score": totals.failed_score, "failed_satisfaction": totals.failed_satisfaction}
    figures.reworks, figures.cases_reworked = totals.reworks, totals.cases_reworked
    figures.acceptance_by_region = {r: acceptance_region[r] for r in sorted(acceptance_region)}

    rungs: Counter[str] = Counter()
    if measures is None:
        figures.overdue_measures = sum(int(_get(c, "overdue_measures", 0) or 0) for c in cases)
        overdue_ids = [c for c in cases if _get(c, "overdue", False)]
        figures.overdue_cases = len(overdue_ids)
        figures.overdue_orgs = [
            OverdueOrg(
                case_id=_get(c, "case_id", ""), org_code=_get(c, "org_code", ""), org_name=_get(c, "org_name", ""),
                region=_get(c, "region", ""), overdue_measures=int(_get(c, "overdue_measures", 0) or 0),
                earliest_deadline=_aware(_get(c, "next_due")),
            )
            for c in overdue_ids
        ]
    else:
        on_time_region: dict[str, RegionRate] = defaultdict(RegionRate)
        overdue_by_case: dict[str, list[Any]] = defaultdict(list)
        for m in measures:
            figures.measures_total += 1
            deadline = _aware(_get(m, "deadline"))
            done_now = _completed_by(m, as_of)
            figures.measures_done += done_now
            for rung in _split(_get(m, "escalations")):
                rungs[rung] += 1
            if deadline is None or deadline > as_of:
                continue
            case = case_by_id.get(_get(m, "case_id", ""))
            region_name = (_get(case, "region", "") if case is not None else "") or ""
            figures.measures_due += 1
            on_time_region[region_name].due += 1
            if _completed_by(m, deadline):
                figures.measures_on_time += 1
                on_time_region[region_name].on_time += 1
            if not done_now:
                figures.overdue_measures += 1
                overdue_by_case[_get(m, "case_id", "")].append(m)
        figures.on_time_by_region = {r: on_time_region[r] for r in sorted(on_time_region)}
        figures.overdue_cases = len(overdue_by_case)
        for case_id in sorted(overdue_by_case):
            case = case_by_id.get(case_id)
            late = overdue_by_case[case_id]
            fired = set().union(*(_split(_get(m, "escalations")) for m in late))
            figures.overdue_orgs.append(
                OverdueOrg(
                    case_id=case_id,
                    org_code=_get(case, "org_code", "") if case is not None else "",
                    org_name=_get(case, "org_name", "") if case is not None else "",
                    region=_get(case, "region", "") if case is not None else "",
                    overdue_measures=len(late),
                    earliest_deadline=min(_aware(_get(m, "deadline")) for m in late),
                    escalations=[r for r in RUNG_ORDER if r in fired] + sorted(fired - set(RUNG_ORDER)),
                )
            )
    figures.overdue_orgs.sort(key=lambda o: (-o.overdue_measures, o.region, o.org_code))
    figures.escalations_by_rung = _ordered(rungs, RUNG_ORDER)
    if any(_get(c, "sanction_proposals") is not None for c in cases):
        figures.sanction_proposals = sum(int(_get(c, "sanction_proposals", 0) or 0) for c in cases)
    else:
        figures.sanction_proposals = sum(n for r, n in rungs.items() if r in SANCTION_RUNGS)
    figures.sanctions_pending = sum(int(_get(c, "sanctions_pending", 0) or 0) for c in cases)
    figures.on_time_rate = rate(figures.measures_on_time, figures.measures_due)
    if assessments is not None:
        figures.org_upgrades = org_upgrades(assessments, year)
    return figures


def _ref(case: Any) -> CaseRef:
    outcome = _get(case, "outcome")
    return CaseRef(
        case_id=_get(case, "case_id", ""), org_code=_get(case, "org_code", ""), org_name=_get(case, "org_name", ""),
        region=_get(case, "region", ""), stage=str(_value(_get(case, "stage", ""))),
        outcome=None if outcome is None else str(_value(outcome)),
    )


# ----------------------------------------------------------------------------- organization upgrades

_CLASS_WORDS = {
    "一类": 1, "二类": 2, "三类": 3, "1": 1, "2": 2, "3": 3, "first": 1, "second": 2, "third": 3,
    "advanced": 1, "average": 2, "lagging": 3, "class1": 1, "class2": 2, "class3": 3, "one": 1, "two": 2, "three": 3,
}


def class_rank(value: Any) -> int | None:
    """1 (一类, advanced) … 3 (三类, lagging); None when unknown."""
    value = _value(value)
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    return _CLASS_WORDS.get(str(value).strip().lower().replace("_", "").replace(" ", ""))


def _assessment(record: Any) -> tuple[str, int, int | None, int | None]:
    if isinstance(record, (tuple, list)):
        org_code, year, star, org_class = record
    else:
        org_code, year = _get(record, "org_code"), _get(record, "year")
        star, org_class = _get(record, "star"), _get(record, "org_class")
    return str(org_code), int(year), None if star is None else int(star), class_rank(org_class)


def org_upgrades(assessments: Iterable[Any], year: int | None = None) -> list[OrgUpgrade]:
    """Organizations whose star rose or class improved from year Y-1 to Y (Y = ``year``, or every year)."""
    table = {(code, y): (star, cls) for code, y, star, cls in map(_assessment, assessments)}
    found = []
    for (code, y), (star, cls) in sorted(table.items()):
        if year is not None and y != year:
            continue
        before = table.get((code, y - 1))
        if before is None:
            continue
        star_up = star is not None and before[0] is not None and star > before[0]
        class_up = cls is not None and before[1] is not None and cls < before[1]
        if star_up or class_up:
            found.append(OrgUpgrade(org_code=code, year=y, star_before=before[0], star_after=star, class_before=before[1], class_after=cls))
    return found


# ----------------------------------------------------------------------------- project figures


class ProjectFigures(BaseModel):
    as_of: datetime
    year: int | None = None
    region: str | None = None
    total: int = 0
    by_level: dict[str, int] = Field(default_factory=dict)
    by_stage: dict[str, int] = Field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = Field(default_factory=dict)
    ratings: dict[str, int] = Field(default_factory=lambda: {r: 0 for r in RATINGS})
    rated: int = 0
    milestones_total: int = 0
    milestones_done: int = 0
    overdue_milestones: int = 0
    projects_with_overdue: int = 0
    quarterly_reports: int = 0
    urges_sent: int = 0
    revision_rounds: int = 0
    models_promoted: int = 0
    poor_projects: list[dict[str, Any]] = Field(default_factory=list)
    promoted_projects: list[dict[str, Any]] = Field(default_factory=list)


def _is_promoted(row: Any) -> bool:
    outcome = str(_value(_get(row, "outcome")) or "").lower()
    stage = str(_value(_get(row, "stage")) or "").lower()
    return outcome in PROMOTED_WORDS or stage in PROMOTED_WORDS or bool(_get(row, "promoted", False))


def project_figures(
    projects: Sequence[Any], as_of: datetime, *, year: int | None = None, region: str | None = None
) -> ProjectFigures:
    """Figures over secretary-project rows (attributes of ``project_summary``; all optional).

    by_level / by_stage / by_region count rows; ratings count ``rating`` in good / medium / poor (other
    values are listed under their own key); overdue_milestones, urges_sent, quarterly_reports,
    revision_rounds, milestones_* are sums; models_promoted counts rows whose outcome or stage is
    ``promoted`` (典型推广).
    """
    as_of = _aware(as_of)
    figures = ProjectFigures(as_of=as_of, year=year, region=region, total=len(projects))
    levels: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    regions: dict[str, Counter[str]] = defaultdict(Counter)
    for p in projects:
        level = str(_value(_get(p, "level", "")) or "")
        stage = str(_value(_get(p, "stage", "")) or "")
        levels[level] += 1
        stages[stage] += 1
        regions[_get(p, "region", "") or ""][stage] += 1
        rating_value = _value(_get(p, "rating"))
        if rating_value:
            figures.ratings[str(rating_value)] = figures.ratings.get(str(rating_value), 0) + 1
            figures.rated += 1
        for name in ("milestones_total", "milestones_done", "overdue_milestones", "quarterly_reports", "urges_sent", "revision_rounds"):
            setattr(figures, name, getattr(figures, name) + int(_get(p, name, 0) or 0))
        if int(_get(p, "overdue_milestones", 0) or 0) > 0:
            figures.projects_with_overdue += 1
        brief = {
            "project_id": _get(p, "project_id", ""), "org_code": _get(p, "org_code", ""), "org_name": _get(p, "org_name", ""),
            "region": _get(p, "region", ""), "owner": _get(p, "owner", ""), "level": level,
        }
        if _is_promoted(p):
            figures.models_promoted += 1
            figures.promoted_projects.append(brief)
        if str(rating_value) == "poor":
            figures.poor_projects.append(brief)
    figures.by_level = dict(sorted(levels.items()))
    figures.by_stage = _ordered(stages, PROJECT_STAGE_ORDER)
    figures.by_region = {r: _ordered(regions[r], PROJECT_STAGE_ORDER) for r in sorted(regions)}
    return figures
