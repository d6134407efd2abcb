"""Screens of `pdca campaign`: the approved list, the campaign's progress, its secretary projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from cli.render import console, when
from i18n import enum_label, label


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def designees_table(designation: Any, lang: str) -> None:
    zh = lang == "zh"
    table = Table(
        title=(
            f"{designation.year}年度 认定名单（{len(designation.designees)}个）"
            if zh
            else f"Designated for {designation.year} ({len(designation.designees)})"
        )
    )
    for key in ("word.org", "word.township", "word.basis"):
        table.add_column(label(key, lang))
    for d in designation.designees:
        reasons = "；".join(r.zh if zh else r.en for r in d.reasons)
        table.add_row(f"{d.org_name}（{d.org_code}）" if zh else f"{d.org_name} ({d.org_code})", d.region, reasons)
    console.print(table)


def approved(done: Any, year: int, region: str | None, lang: str) -> None:
    """``done``: the ``service.campaigns.CampaignDone`` of an approval."""
    added = done.approvals_recorded
    if lang == "zh":
        what = "批准认定名单" if added else "名单无新增（均已批准）"
        console.print(
            f"✓ {done.stream_id}：{what}；认定 {done.designated} 个，已立案 {done.started} 个，"
            f"待立案 {done.pending} 个（版本 {done.version}）"
        )
        console.print(f"  立案进度：pdca campaign status --year {year}" + (f" --region {region}" if region else ""))
    else:
        what = "designation approved" if added else "nothing new (all already approved)"
        console.print(
            f"✓ {done.stream_id}: {what}; designated {done.designated}, started {done.started}, "
            f"to start {done.pending} (version {done.version})"
        )


def closed(done: Any, lang: str) -> None:
    """``done``: the ``service.campaigns.CampaignDone`` of closing the year."""
    if lang == "zh":
        console.print(
            f"✓ {done.stream_id}：年度总结已记录（版本 {done.version}）；认定 {done.designated} 个，"
            f"已立案 {done.started} 个；结果写回组织档案"
        )
    else:
        console.print(
            f"✓ {done.stream_id}: year closed (version {done.version}); designated {done.designated}, "
            f"started {done.started}; outcomes written back"
        )


def status(data: dict[str, Any], lang: str) -> None:
    zh = lang == "zh"
    L = lambda key: label(key, lang)  # noqa: E731
    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.campaign"), data["campaign_id"])
    head.add_row(L("word.region"), data["region"] or ("全县" if zh else "county-wide"))
    head.add_row(L("word.stage"), label(f"campaign_stage.{data['stage']}", lang))
    head.add_row(L("word.designated"), str(data["designated"]))
    started = data["started"] + data["existing"]
    extra = (
        (f"（其中此前已立案 {data['existing']}）" if zh else f" (of which {data['existing']} already existed)") if data["existing"] else ""
    )
    head.add_row(L("word.started"), f"{started}/{data['designated']}{extra}")
    figures = data["figures"]
    checked = datetime.fromisoformat(data["last_check_at"]) if data["last_check_at"] else None
    head.add_row(L("word.last_check"), when(checked))
    if figures:
        head.add_row(
            L("word.overdue_cases"),
            f"{figures['overdue_cases']}（{L('word.overdue_measures')} {figures['overdue_measures']}）"
            if zh
            else f"{figures['overdue_cases']} ({figures['overdue_measures']} measures)",
        )
        head.add_row(L("word.escalations"), str(figures["escalations"]))
        head.add_row(
            L("word.closed_cases"),
            f"{figures['closed']}（{L('word.upgraded')} {figures['upgraded']}）"
            if zh
            else f"{figures['closed']} ({figures['upgraded']} upgraded)",
        )
        head.add_row(L("word.on_time_rate"), pct(figures["on_time_rate"]))
        if figures.get("projects"):
            head.add_row(L("word.projects"), f"{figures['projects']['total']}")
    console.print(head)
    summary = data["summary"]
    if summary:
        console.print(
            (
                f"年度总结：认定 {summary['designated']}，按期完成率 {pct(summary['on_time_rate'])}，"
                f"结转下年 {len(summary['carried_over'])}，晋位升级 {len(summary['upgraded'])}，"
                f"星级/类别提升 {len(summary['org_upgrades'])}"
            )
            if zh
            else (
                f"Year-end summary: designated {summary['designated']}, on time {pct(summary['on_time_rate'])}, "
                f"carried over {len(summary['carried_over'])}, upgraded {len(summary['upgraded'])}, "
                f"star/class up {len(summary['org_upgrades'])}"
            )
        )
    stages = [
        s
        for s in ("designated", "planning", "implementing", "checking", "consolidating", "closed")
        if figures and any(s in row for row in figures["by_region"].values())
    ]
    table = Table(title="按乡镇 by township" if zh else "By township")
    table.add_column(L("word.township"))
    table.add_column(L("word.started"), justify="right")
    for stage in stages:
        table.add_column(label(f"stage.{stage}", lang), justify="right")
    by_region = figures["by_region"] if figures else {}
    for township, starts in data["starts_by_township"].items():
        row = by_region.get(township, {})
        table.add_row(township, f"{starts['started'] + starts['existing']}/{starts['designated']}", *(str(row.get(s, 0)) for s in stages))
    total = figures["by_stage"] if figures else {}
    table.add_row(L("word.total"), f"{started}/{data['designated']}", *(str(total.get(s, 0)) for s in stages))
    console.print(table)


_PROJECT_HEADERS = {
    "project_id": ("项目", "project"),
    "org_name": ("党组织", "organization"),
    "region": ("乡镇", "region"),
    "level": ("类别", "level"),
    "stage": ("阶段", "stage"),
    "rating": ("评价", "rating"),
    "overdue_milestones": ("逾期节点", "overdue milestones"),
}
_CODED = {"level": "level", "stage": "pstage", "rating": "rating"}  # values shown with their labels


def projects(data: dict[str, Any], lang: str) -> None:
    zh = lang == "zh"
    rows, year, region = data["projects"], data["year"], data["region"]
    if not rows:
        console.print(
            f"{year}年度{region or '全县'}暂无书记项目" if zh else f"no secretary projects for {year}{' in ' + region if region else ''}"
        )
        return
    table = Table(title=f"{year}年度书记项目（{len(rows)}个）" if zh else f"Secretary projects {year} ({len(rows)})")
    columns = [c for c in _PROJECT_HEADERS if c in rows[0]]
    for c in columns:
        table.add_column(_PROJECT_HEADERS[c][0 if zh else 1])
    for r in rows:
        table.add_row(*("" if r.get(c) is None else enum_label(_CODED[c], r[c], lang) if c in _CODED else str(r[c]) for c in columns))
    console.print(table)
    figures = data["figures"]
    sep = "，" if zh else ", "
    ratings = sep.join(f"{label('rating.' + k, lang)} {v}" for k, v in figures["ratings"].items())
    console.print(
        f"评价：{ratings}；逾期节点 {figures['overdue_milestones']}；典型推广 {figures['models_promoted']}"
        if zh
        else f"ratings: {ratings}; overdue milestones {figures['overdue_milestones']}; promoted {figures['models_promoted']}"
    )
