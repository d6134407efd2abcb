"""One line about a campaign event, for histories and logs (pure). Chinese first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from i18n.labels import Lang

Template = tuple[str, str]  # (zh, en)

# Templates read the event as {e}; the functions below add the derived fields.
CAMPAIGN_LINES: dict[str, Template] = {
    "CampaignOpened": ("{e.year}年度 {where}", "{e.year}, {where}"),
    "DesignationApproved": ("第{e.round}次批准，新增 {added} 个党组织{extra}", "approval #{e.round}: {added} organizations added{extra}"),
    "CasesStarted": (
        "第{e.batch}批：启动 {started} 个，已存在 {existing} 个",
        "batch {e.batch}: {started} started, {existing} already existed",
    ),
    "CheckRecorded": (
        "案件 {f.cases}，逾期 {f.overdue_cases}，销号 {f.closed}，按期完成率 {rate}",
        "cases {f.cases}, overdue {f.overdue_cases}, closed {f.closed}, on time {rate}",
    ),
    "YearClosed": (
        "认定 {s.designated}，按期完成率 {rate}，结转 {carried}，晋位升级 {upgraded}",
        "designated {s.designated}, on time {rate}, carried over {carried}, upgraded {upgraded}",
    ),
    "OutcomesRecorded": ("写回 {e.organizations} 个党组织的年度记录", "outcomes written back for {e.organizations} organizations"),
    "DesignationStepRecorded": ("第{e.index}/{e.of}步 {e.name}：{e.note}{listed}", "step {e.index}/{e.of} {e.step}: {e.note}{listed}"),
}

_COUNTY_WIDE: Template = ("全县", "county-wide")
_SKIPPED: Template = ("，已在名单中 {n} 个", ", {n} already approved")


def _pick(pair: Template, lang: Lang) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _opened(e: Any, lang: Lang) -> dict[str, Any]:
    return {"where": e.region or _pick(_COUNTY_WIDE, lang)}


def _approved(e: Any, lang: Lang) -> dict[str, Any]:
    extra = _pick(_SKIPPED, lang).format(n=len(e.skipped)) if e.skipped else ""
    return {"added": len(e.designees), "extra": extra}


def _step(e: Any, lang: Lang) -> dict[str, Any]:
    if not e.org_codes:
        return {"listed": ""}
    return {"listed": f"（名单 {len(e.org_codes)} 个）" if lang == "zh" else f" (list of {len(e.org_codes)})"}


def _started(e: Any, lang: Lang) -> dict[str, Any]:
    return {"started": len(e.started), "existing": len(e.existing)}


def _checked(e: Any, lang: Lang) -> dict[str, Any]:
    return {"f": e.figures, "rate": _rate(e.figures.on_time_rate)}


def _closed(e: Any, lang: Lang) -> dict[str, Any]:
    s = e.summary
    return {"s": s, "rate": _rate(s.on_time_rate), "carried": len(s.carried_over), "upgraded": len(s.upgraded)}


_FIELDS: dict[str, Callable[[Any, Lang], dict[str, Any]]] = {
    "CampaignOpened": _opened,
    "DesignationApproved": _approved,
    "CasesStarted": _started,
    "CheckRecorded": _checked,
    "YearClosed": _closed,
    "DesignationStepRecorded": _step,
}


def describe(event: Any, lang: Lang = "zh") -> str:
    """One line about a campaign event, for histories and logs."""
    template = CAMPAIGN_LINES.get(event.type)
    if template is None:
        return str(event.type)  # pragma: no cover
    derive = _FIELDS.get(event.type)
    fields = derive(event, lang) if derive else {}
    return _pick(template, lang).format(e=event, **fields)
