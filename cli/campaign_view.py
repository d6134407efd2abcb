"""Screens of `pdca campaign`: the approved list, the campaign's progress, its secretary projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from cli.render import console, keep_whole, when
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
    table.add_column("认定为 / 分类" if zh else "listed as / class")
    for d in designation.designees:
        reasons = "；".join(r.zh if zh else r.en for r in d.reasons)
        org_class = enum_label("orgclass", d.classification, lang)
        kind = f"{d.label}，{org_class}" if zh else f"{d.label}, {org_class}"
        table.add_row(f"{d.org_name}（{d.org_code}）" if zh else f"{d.org_name} ({d.org_code})", d.region, reasons, kind)
    console.print(table)


def opened(done: Any, lang: str) -> None:
    """``done``: the ``CampaignDone`` of `pdca campaign open`."""
    if lang == "zh":
        what = "已启动" if done.events else "已在进行中"
        console.print(f"✓ {done.stream_id}：年度整顿工作{what}（版本 {done.version}）；认定程序：pdca campaign steps")
    else:
        what = "opened" if done.events else "already running"
        console.print(f"✓ {done.stream_id}: campaign {what} (version {done.version}); the procedure: pdca campaign steps")


def step_recorded(done: Any, step: str, lang: str) -> None:
    """``done``: the ``CampaignDone`` of `pdca campaign step`."""
    if lang == "zh":
        console.print(f"✓ {done.stream_id}：认定程序步骤 {step} 已记录（版本 {done.version}）")
    else:
        console.print(f"✓ {done.stream_id}: designation step {step} recorded (version {done.version})")


_STEP_SOURCES = {
    "opening": ("本次整顿启动时的政策", "the policy the campaign was opened with"),
    "workflow": ("本次整顿运行中的政策", "the running campaign's policy"),
    "policy": (
        "政策文件（本次整顿启动时未记录认定程序，且已不在运行）",
        "the policy file (the campaign's opening did not record its procedure and it no longer runs)",
    ),
}


def steps(rows: list[Any], cid: str, lang: str, source: str = "opening") -> None:
    """``rows``: ``service.campaigns.StepStatus`` in procedure order; ``source``: where the procedure
    was read (``service.campaigns.steps``)."""
    zh = lang == "zh"
    origin = _STEP_SOURCES.get(source, (source, source))[0 if zh else 1]
    if not rows:
        console.print(
            f"{cid}：{origin}未设认定程序步骤（designation.steps），督导员直接批准名单"
            if zh
            else f"{cid}: {origin} has no designation steps (designation.steps): a supervisor approves directly"
        )
        return
    console.print(f"认定程序来自：{origin}" if zh else f"procedure from: {origin}")
    table = Table(title=f"{cid} 认定程序" if zh else f"{cid} designation steps", title_justify="left")
    for head in ("序号", "步骤", "角色", "记录人", "时间", "意见", "名单") if zh else ("#", "step", "roles", "by", "at", "note", "list"):
        table.add_column(head)
    for r in rows:
        roles = "、".join(enum_label("role", role, lang) for role in r.roles)
        name = f"{r.zh}（{r.code}）" if zh else f"{r.en or r.zh} ({r.code})"
        pending = "未记录" if zh else "not recorded"
        table.add_row(
            str(r.index),
            name,
            roles,
            r.actor or pending,
            when(r.at) if r.at else "",
            r.note or "",
            "、".join(r.org_codes) if zh else ", ".join(r.org_codes),
        )
    console.print(table)
    missing = [r for r in rows if r.actor is None]
    if zh:
        todo = "、".join(r.zh for r in missing)
        console.print(f"待记录：{todo}；最后一步之后才能批准名单、立案" if missing else "全部步骤已记录，可批准名单：pdca campaign approve")
    else:
        console.print(
            "every step recorded: the list may be approved (pdca campaign approve)"
            if not missing
            else f"to record: {', '.join(r.code for r in missing)}; the list is approved and cases open only after the last step"
        )


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
    "owner": ("负责人", "leader"),
    "region": ("乡镇", "region"),
    "level": ("类别", "level"),
    "stage": ("阶段", "stage"),
    "rating": ("评价", "rating"),
    "overdue_milestones": ("逾期节点", "overdue milestones"),
}
_CODED = {"level": "level", "stage": "pstage", "rating": "rating"}  # values shown with their labels


def projects(data: dict[str, Any], lang: str) -> None:
    """`pdca campaign projects`: each level under its own title (书记项目 / 委员项目 / 支部项目) with its
    figures, then its first rows and how many more there are."""
    zh = lang == "zh"
    year, region = data["year"], data["region"]
    where = region or ("全县" if zh else "the county")
    if not data["levels"]:
        console.print(f"{year}年度{where}暂无项目" if zh else f"no projects for {year} in {where}")
        return
    for block in data["levels"]:
        level, figures, rows = block["level"], block["figures"], block["projects"]
        name = enum_label("level", level, lang)
        name = name if zh else name[:1].upper() + name[1:]
        title = f"{year}年度{where}{name}（{figures['applied']}个）" if zh else f"{name}s {year}, {where} ({figures['applied']})"
        console.print(f"[bold]{title}[/bold]")
        console.print(level_figures_line(figures, lang))
        if rows:
            table = Table()
            columns = [c for c in _PROJECT_HEADERS if c in rows[0] and c != "level"]  # the title names the level
            for c in columns:
                table.add_column(_PROJECT_HEADERS[c][0 if zh else 1])
            keep_whole(table, [str(r["project_id"]) for r in rows])
            for r in rows:
                table.add_row(
                    *("" if r.get(c) is None else enum_label(_CODED[c], r[c], lang) if c in _CODED else str(r[c]) for c in columns)
                )
            console.print(table)
        more = figures["applied"] - len(rows)
        if rows and more > 0:
            command = f"pdca project list --year {year} --level {level}" + (f" --region {region}" if region else "")
            console.print(f"另有 {more} 个未列出：{command}" if zh else f"{more} more not listed: {command}")
    if len(data["levels"]) > 1:
        total = data["figures"]
        head = f"合计（{total['applied']}个）：" if zh else f"total ({total['applied']}): "
        console.print(head + level_figures_line(total, lang))


def level_figures_line(f: dict[str, Any], lang: str) -> str:
    """One level's figures in a line: 申报 930，立项 900（实施中 600），结题 280，评价 好 120 / 一般 140 / 差 20 …"""
    if lang == "zh":
        return (
            f"申报 {f['applied']}，待审核 {f['reviewing']}，立项 {f['approved']}（实施中 {f['implementing']}），"
            f"不予立项 {f['rejected']}，结题 {f['completed']}，评价 {f['rated']}（好 {f['good']} / 一般 {f['medium']} / 差 {f['poor']}），"
            f"逾期项目 {f['overdue']}（逾期节点 {f['overdue_milestones']}，缺季报 {f['reports_missing']}，催办 {f['urges_sent']}），"
            f"典型推广 {f['promoted']}，待决问责 {f['sanctions_pending']}"
        )
    return (
        f"applied {f['applied']}, in review {f['reviewing']}, approved {f['approved']} (implementing {f['implementing']}), "
        f"rejected {f['rejected']}, completed {f['completed']}, rated {f['rated']} (good {f['good']} / medium {f['medium']} / "
        f"poor {f['poor']}), overdue {f['overdue']} (milestones {f['overdue_milestones']}, reports missing {f['reports_missing']}, "
        f"urges {f['urges_sent']}), promoted {f['promoted']}, sanctions pending {f['sanctions_pending']}"
    )
