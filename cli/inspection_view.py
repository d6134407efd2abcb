"""Screens of `pdca inspection show|list|findings`. Rich tables and prose; no reads, no rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cli.render import console_width
from domain.inspection import FINDING_STATUS_NAMES, VISIT_KIND_NAMES, FindingStatus, InspectionState, VisitKind
from i18n import Lang, enum_label

if TYPE_CHECKING:
    from store.inspection_models import InspectionFinding, InspectionSummary

console = Console(highlight=False, markup=False, width=console_width())


def _kind(kind: str | None, lang: Lang) -> str:
    if not kind:
        return "-"
    return VISIT_KIND_NAMES[VisitKind(kind)] if lang == "zh" else kind


def _status(status: str, lang: Lang) -> str:
    return FINDING_STATUS_NAMES[FindingStatus(status)] if lang == "zh" else status


def _disposal(status: str, case_id: str | None, year: int | None, note: str, lang: Lang) -> str:
    zh = lang == "zh"
    if status == FindingStatus.CASE:
        return f"{_status(status, lang)} {case_id}"
    if status == FindingStatus.DESIGNATION:
        return f"{_status(status, lang)}（{year}年度）" if zh else f"designation {year}"
    if status == FindingStatus.CLOSED:
        return f"{_status(status, lang)}：{note}" if zh else f"closed: {note}"
    return _status(status, lang)


def _org(name: str, code: str, region: str, zh: bool) -> str:
    return f"{name}（{code}，{region}）" if zh else f"{name} ({code}, {region})"


def detail(state: InspectionState, lang: Lang) -> None:
    zh = lang == "zh"
    sep = "、" if zh else ", "
    head = Table.grid(padding=(0, 2))
    rows = [
        (("检查编号", "inspection"), state.inspection_id),
        (("方式", "kind"), _kind(state.kind.value if state.kind else None, lang)),
        (("主题", "title"), state.title),
        (("检查日期", "visited on"), state.visited_on.isoformat() if state.visited_on else "-"),
        (("事先通知", "announced"), ("是" if state.announced else "否（不打招呼）") if zh else ("yes" if state.announced else "no")),
        (("检查人", "inspector"), state.inspector),
        (("同行人员", "companions"), sep.join(state.companions) or "-"),
        (("检查对象", "organizations"), sep.join(_org(o.name, o.code, o.region, zh) for o in state.orgs)),
        (("阶段", "stage"), enum_label("istage", state.stage, lang)),
    ]
    if state.note:
        rows.append((("说明", "note"), state.note))
    for (zh_label, en_label), value in rows:
        head.add_row(zh_label if zh else en_label, value)
    console.print(head)
    table = Table(title="发现的问题" if zh else "Findings", title_justify="left")
    for column in (("编号", "id"), ("党组织", "organization"), ("类别", "category"), ("问题", "description"), ("处置", "disposal")):
        table.add_column(column[0] if zh else column[1])
    for f in state.findings:
        table.add_row(f.finding_id, f.org_code, f.category, f.description, _disposal(f.status, f.case_id, f.designation_year, f.note, lang))
    console.print(table)
    if not state.findings:
        console.print("（尚无问题记录）" if zh else "(no findings yet)")


def inspection_list(rows: Sequence[InspectionSummary], lang: Lang) -> None:
    zh = lang == "zh"
    table = Table()
    columns = (("编号", "id"), ("方式", "kind"), ("日期", "date"), ("主题", "title"), ("检查人", "inspector"), ("党组织", "organizations"),
               ("问题", "findings"), ("待处置", "open"), ("转案件", "to case"), ("列入认定", "to designation"), ("办结", "closed"),
               ("阶段", "stage"))  # fmt: skip
    for column in columns:
        table.add_column(column[0] if zh else column[1])
    for r in rows:
        orgs = ("、" if zh else ", ").join(json.loads(r.org_codes))
        table.add_row(
            r.inspection_id, _kind(r.kind, lang), r.visited_on.isoformat() if r.visited_on else "-", r.title, r.inspector, orgs,
            str(r.findings_total), str(r.findings_open), str(r.findings_to_case), str(r.findings_to_designation),
            str(r.findings_closed), enum_label("istage", r.stage, lang),
        )  # fmt: skip
    console.print(table)
    console.print(f"共 {len(rows)} 次检查" if zh else f"{len(rows)} inspection(s)", soft_wrap=True)


def finding_list(rows: Sequence[InspectionFinding], lang: Lang) -> None:
    zh = lang == "zh"
    table = Table()
    columns = (("问题", "finding"), ("党组织", "organization"), ("类别", "category"), ("问题描述", "description"), ("处置", "disposal"))
    for column in columns:
        table.add_column(column[0] if zh else column[1])
    for r in rows:
        table.add_row(
            f"{r.inspection_id}/{r.finding_id}", r.org_code, r.category, r.description,
            _disposal(r.status, r.case_id, r.designation_year, r.note, lang),
        )  # fmt: skip
    console.print(table)
    console.print(f"共 {len(rows)} 个问题" if zh else f"{len(rows)} finding(s)", soft_wrap=True)
