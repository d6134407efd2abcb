"""Screens of `pdca rating show|list|report|open`. Rich tables and prose; no reads, no rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cli.render import console_width
from domain.rating import RatingState, stars_text
from domain.timeutil import local
from i18n import Lang, enum_label

if TYPE_CHECKING:
    from domain.policy import Policy
    from domain.rating.figures import RatingFigures
    from service.ratings import Opening, Synced
    from store.rating_models import RatingSummary

console = Console(highlight=False, markup=False, width=console_width())


def _level(level: int | None) -> str:
    return f"{stars_text(level)} {level}" if level else "—"


def opening(result: Opening, year: int, lang: Lang) -> None:
    zh = lang == "zh"
    if zh:
        console.print(
            f"{year} 年度评星：新启动 {len(result.opened)} 个，已有 {len(result.existing)} 个，未能启动 {len(result.failed)} 个",
            soft_wrap=True,
        )
    else:
        console.print(
            f"{year} star rating: {len(result.opened)} opened, {len(result.existing)} already open, {len(result.failed)} failed",
            soft_wrap=True,
        )
    for code, why in sorted(result.failed.items()):
        console.print(f"  {code}: {why}", soft_wrap=True)


def detail(state: RatingState, policy: Policy, lang: Lang) -> None:
    from service.ratings import gates

    zh = lang == "zh"
    head = Table.grid(padding=(0, 2))
    rows = [
        (("评星编号", "rating"), state.rating_id),
        (
            ("党组织", "organization"),
            f"{state.org_name}（{state.org_code}，{state.region}）" if zh else f"{state.org_name} ({state.org_code}, {state.region})",
        ),
        (("年度", "year"), str(state.year)),
        (("标准", "standard"), state.standard),
        (("阶段", "stage"), enum_label("rstage", state.stage, lang)),
        (("上年星级", "last year"), _level(state.previous_level)),
    ]
    if state.upgrade_level:
        rows.append((("晋位升级建议", "upgrade proposed"), f"{_level(state.upgrade_level)} ← {'、'.join(state.upgrade_cases)}"))
    if state.approved_level:
        ends = local(state.publicity_ends).strftime("%Y-%m-%d %H:%M") if state.publicity_ends else "-"
        rows.append(
            (
                ("审定星级", "approved"),
                f"{_level(state.approved_level)}（{state.approved_by}，公示至 {ends}）"
                if zh
                else f"{_level(state.approved_level)} ({state.approved_by}, published until {ends})",
            )
        )
    rows.append((("当前星级", "level now"), _level(state.level)))
    for (zh_label, en_label), value in rows:
        head.add_row(zh_label if zh else en_label, value)
    console.print(head)
    own, review = state.self_assessment, state.review
    if own is not None:
        table = Table(title="评分" if zh else "Scores", title_justify="left")
        for column in (("项目", "item"), ("自评", "self"), ("乡镇审核", "township"), ("佐证", "evidence")):
            table.add_column(column[0] if zh else column[1])
        reviewed = {s.code: s.points for s in review.scores} if review else {}
        standard = policy.rating.standard_named(state.standard)
        for s in own.scores:
            item = standard.item(s.code) if standard is not None else None
            name = (f"{item.zh}（{item.points:g}）" if zh else f"{item.en or s.code} ({item.points:g})") if item is not None else s.code
            evidence = [*s.evidence, *(f.name for f in s.files)]
            table.add_row(name, f"{s.points:g}", f"{reviewed[s.code]:g}" if s.code in reviewed else "-", "、".join(evidence) or "-")
        table.add_row("总分" if zh else "total", f"{own.total:g}", f"{review.total:g}" if review else "-", "")
        console.print(table)
    granted = gates(state, policy)
    line = f"按现有评分，进关可评 {granted.level} 星" if zh else f"On the scores so far the gates grant {granted.level} stars"
    console.print(line, soft_wrap=True)
    for stars, lacks in sorted(granted.unmet.items()):
        console.print(f"  {stars}★: {'; '.join(lacks)}", soft_wrap=True)
    for v in state.veto_events:
        change = f" {v.level_before}★→{v.level_after}★" if v.level_after is not None else ""
        console.print(f"{'否决事项' if zh else 'veto'} {v.item} ← {v.source}{change} {v.note}".rstrip(), soft_wrap=True)
    for o in state.objections:
        status = {"open": "待处理", "upheld": "成立", "dismissed": "不成立"}[o.status.value] if zh else o.status.value
        console.print(f"{'异议' if zh else 'objection'} {o.objection_id} [{status}] {o.text} {o.resolution}".rstrip(), soft_wrap=True)
    for comment in state.comments:
        console.print(f"{'意见' if zh else 'comment'}: {comment}", soft_wrap=True)


def rating_list(rows: Sequence[RatingSummary], lang: Lang) -> None:
    zh = lang == "zh"
    table = Table()
    columns = (("评星编号", "rating"), ("党组织", "organization"), ("乡镇", "township"), ("阶段", "stage"), ("自评", "self"),
               ("审核", "township"), ("审定", "approved"), ("星级", "level"), ("上年", "last year"), ("否决事项", "vetoes"),
               ("异议", "objections"))  # fmt: skip
    for column in columns:
        table.add_column(column[0] if zh else column[1])
    for r in rows:
        table.add_row(
            r.rating_id, r.org_name, r.region, enum_label("rstage", r.stage, lang), str(r.self_level or "-"), str(r.review_level or "-"),
            str(r.approved_level or "-"), _level(r.level), str(r.previous_level or "-"), "、".join(json.loads(r.veto_items)) or "-",
            f"{r.objections_open}/{r.objections}" if r.objections else "-",
        )  # fmt: skip
    console.print(table)
    console.print(f"共 {len(rows)} 个评星" if zh else f"{len(rows)} rating(s)", soft_wrap=True)


def report(result: RatingFigures, lang: Lang) -> None:
    zh = lang == "zh"
    table = Table(title=f"{result.year} 年度评星定级情况" if zh else f"{result.year} star ratings", title_justify="left")
    columns = (("乡镇", "township"), ("评星", "rated"), ("五星", "5★"), ("四星", "4★"), ("三星", "3★"), ("二星", "2★"), ("一星", "1★"),
               ("三星以上", "3★+"), ("升星", "up"), ("降星", "down"), ("持平", "same"), ("首次", "new"), ("年中降星", "downgraded"),
               ("晋位升级", "upgrades"), ("未定级", "pending"))  # fmt: skip
    for column in columns:
        table.add_column(column[0] if zh else column[1])
    for m in [*result.townships, result.county]:
        table.add_row(
            m.region or ("全县" if zh else "county"), f"{m.rated}/{m.total}", *(str(m.by_level[s]) for s in (5, 4, 3, 2, 1)),
            str(m.three_and_up), str(m.up), str(m.down), str(m.same), str(m.new), str(m.downgraded),
            f"{m.upgrades_made}/{m.upgrades_proposed}", str(sum(m.pending.values())),
        )  # fmt: skip
    console.print(table)
    note = (
        "升星/降星：与上年星级相比（年中因否决事项降星的计入降星）；晋位升级：达到建议星级数/建议数"
        if zh
        else ("up/down: against last year's level (a mid-year downgrade counts as down); upgrades: reached / proposed")
    )
    console.print(note, soft_wrap=True)


def synced(result: Synced, lang: Lang) -> None:
    zh = lang == "zh"
    count = sum(len(s) for s in result.recorded.values())
    ratings = len(result.recorded)
    console.print(f"记录否决事项 {count} 项（{ratings} 个评星）" if zh else f"{count} veto event(s) on {ratings} rating(s)")
    for rating_id, sources in sorted(result.recorded.items()):
        console.print(f"  {rating_id}: {', '.join(sources)}", soft_wrap=True)
    for what, why in sorted(result.failed.items()):
        console.print(f"  ✗ {what}: {why}", soft_wrap=True)
