"""What the case screens show of issue 14's parts (cli/render.py draws the rest): the secretary, the
adjustments carried out (问责落实), the findings' sources, the measures' partners (结对帮扶), and the
history rows of the events they add."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cli import render
from cli.render import console
from domain.rectification import CaseState
from i18n import Lang, enum_label, label


def case_extras(state: CaseState, lang: Lang) -> None:
    """The parts of a case the main screen does not draw; nothing when the case has none of them."""
    zh = lang == "zh"
    if state.secretary:
        console.print(f"{label('word.secretary', lang)}{'：' if zh else ': '}{state.secretary}")
    done = state.executions()
    if done:
        table = Table(title=label("word.executions", lang), title_justify="left")
        columns = ("ID", "问责", "日期", "措施", "书记", "记录人") if zh else ("ID", "rung", "on", "action", "secretary", "by")
        for column in columns:
            table.add_column(column)
        for p in done:
            e = p.execution
            assert e is not None
            change = f"{e.previous_secretary or '-'} → {e.new_secretary}" if e.new_secretary else "-"
            table.add_row(p.proposal_id, enum_label("rung", p.rung, lang), e.executed_on.isoformat(), e.action, change, e.by)
        console.print(table)
    sourced = [p for p in state.problems if p.source]
    if sourced:
        table = Table(title="检查发现的问题" if zh else "problems from findings", title_justify="left")
        for column in ("ID", "周期" if zh else "cycle", "来源" if zh else "source", "发现" if zh else "finding"):
            table.add_column(column)
        for problem in sourced:
            table.add_row(problem.id, str(problem.cycle), problem.source or "", problem.finding_id or "")
        console.print(table)
    paired = [m for m in state.measures if m.partners]
    if paired:
        table = Table(title=label("word.partners", lang), title_justify="left")
        table.add_column("ID")
        table.add_column(label("word.partners", lang))
        for m in paired:
            table.add_row(m.id, "、".join(m.partners))
        console.print(table)
    if state.pairings:
        console.print(
            ("结对单位：" if zh else "pairing units: ")
            + "；".join(f"{p.unit_name}({'、'.join(p.people) or '-'})" for p in state.pairings)
        )


def memory(state: CaseState, lang: Lang) -> None:
    """`pdca case memory`: the record the memory rules read, and the proposals they made."""
    zh = lang == "zh"
    console.print(f"{state.case_id}  {label('word.secretary', lang)}{'：' if zh else ': '}{state.secretary or '-'}")
    if state.history is None:
        none = "（立案时未读取组织历史：本案不适用历史记录规则）" if zh else "(opened without the organization's record: no memory rules)"
        console.print(none)
        return
    table = Table(title="组织历史" if zh else "the organization's history", title_justify="left")
    for column in (
        ("年度", "书记", "排名", "认定", "验收", "不合格轮次", "已作为依据")
        if zh
        else ("year", "secretary", "rank", "designated", "acceptance", "failed rounds", "already cited for")
    ):
        table.add_column(column)
    for r in sorted(state.history, key=lambda r: r.year):
        rank = f"{r.rank}/{r.rank_of}" if r.rank is not None else "-"
        yes = ("是" if zh else "yes") if r.designated else "-"
        accepted = {"passed": "通过" if zh else "passed", "failed": "不合格" if zh else "failed"}.get(r.acceptance or "", "-")
        table.add_row(str(r.year), r.person or "-", rank, yes, accepted, str(r.failed_acceptances or "-"), ",".join(r.proposed) or "-")
    console.print(table)
    proposals = [p for p in state.proposals if p.source.value == "memory"]
    table = Table(title="历史记录规则提议" if zh else "memory proposals", title_justify="left")
    for column in ("ID", "规则" if zh else "rule", "依据年度" if zh else "years", "问责" if zh else "rung", "状态" if zh else "status"):
        table.add_column(column)
    for p in proposals:
        years = ",".join(str(y) for y in p.years)
        table.add_row(p.proposal_id, p.reason, years, enum_label("rung", p.rung, lang), enum_label("proposal", p.status, lang))
    console.print(table)


def event_details(event: Any, lang: Lang) -> str:
    """A case event's details column: issue 14's events here, the others as cli/render.py words them."""
    zh = lang == "zh"
    if event.type == "AdjustmentExecuted":
        change = f"；{event.previous_secretary or '-'} → {event.new_secretary}" if event.new_secretary else ""
        if not zh and change:
            change = f"; {event.previous_secretary or '-'} → {event.new_secretary}"
        return f"{event.proposal_id} {enum_label('rung', event.rung, lang)} {event.executed_on.isoformat()}: {event.action}{change}"
    if event.type == "FindingsRecorded":
        ids = ",".join(p.id for p in event.problems)
        return f"{event.source}: {ids}"
    return render.event_details(event, lang)
