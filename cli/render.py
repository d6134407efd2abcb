"""What every screen shares (``console``, ``when``, ``paren``, ``done``) and the case
screens: labels in Chinese by default, English with --lang en. Project screens: cli/project_view.py;
the history screen of every kind: cli/history_view.py.

Row types (``store``) are imported for annotations only (``TYPE_CHECKING``): the CLI reads rows the
service returns and never imports the store itself."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from domain.timeutil import local
from i18n import Lang, enum_label, human_duration, label

if TYPE_CHECKING:
    from domain.rectification import CaseState, Event
    from service.case_reads import CaseList
    from store.checkpoints import AnchoredReport

# Not a terminal (a pipe, a file, a program reading the output): no width to fit, so no table cell is cut
# (rect-V001-2026 and rect-V001-2027 to the same rect-V001…) or wrapped — each row is one line, whole,
# whatever COLUMNS says. A terminal keeps its own width. Every screen prints through ``console`` (or a
# console made with ``console_width()``).
PIPE_WIDTH = 10_000


def console_width() -> int | None:
    """None (the terminal's width) when stdout is a terminal, else ``PIPE_WIDTH``."""
    try:
        return None if sys.stdout.isatty() else PIPE_WIDTH
    except (AttributeError, ValueError):  # a replaced or closed stdout: not a terminal
        return PIPE_WIDTH


console = Console(highlight=False, width=console_width())


def when(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def colon(lang: Lang) -> str:
    return "：" if lang == "zh" else ": "


def paren(text: str, lang: Lang) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def yes_no(value: bool, lang: Lang) -> str:
    return label("word.yes" if value else "word.no", lang)


# the label family of each kind's stages (a Decider's name → the prefix of its stage labels)
STAGE_LABELS = {
    "rectification": "stage", "project": "pstage", "campaign": "campaign_stage", "inspection": "istage", "rating": "rstage",
}  # fmt: skip


def roles_text(roles: Sequence[str], zh: bool) -> str:
    """Roles as people read them: 组织部督导员、乡镇党委书记 (zh), or the role ids (en)."""
    return "、".join(label(f"role.{r}", "zh") for r in roles) if zh else ", ".join(roles)


def stage_label(stream_id: str, stage: str, lang: Lang) -> str:
    """A stage of the stream ``stream_id``, labelled with its kind's words."""
    from domain.kinds import decider_of_stream  # every kind's rules: imported by the screens that need them

    return enum_label(STAGE_LABELS[decider_of_stream(stream_id).name], stage, lang)


def done(result: Any, lang: Lang) -> None:
    """The line a state-changing command prints: ``result`` is a ``service.commands.Done``; its stage is
    labelled with the words of its stream's kind."""
    names = ("、" if lang == "zh" else ", ").join(label(f"event.{t}", lang) for t in result.events)
    names = names or ("无变化" if lang == "zh" else "no change")
    stage = stage_label(result.stream_id, result.stage, lang)
    if lang == "zh":
        note = "（重复提交，已按首次结果返回）" if result.duplicate else ""
        console.print(f"✓ {result.stream_id}：{names}；当前阶段：{stage}（版本 {result.version}）{note}")
    else:
        note = " (a retry: the first result is returned)" if result.duplicate else ""
        console.print(f"✓ {result.stream_id}: {names}; stage now: {stage} (version {result.version}){note}")


def case_detail(state: CaseState, lang: Lang) -> None:
    def L(key: str) -> str:
        return label(key, lang)

    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.case"), state.case_id)
    head.add_row(L("word.org"), state.org_name + paren(state.org_code, lang))
    head.add_row(L("word.region"), state.region)
    head.add_row(L("word.year"), str(state.year))
    head.add_row(L("word.stage"), enum_label("stage", state.stage, lang))
    head.add_row(L("word.cycle"), str(state.cycle))
    if state.basis:
        head.add_row(L("word.basis"), enum_label("basis", state.basis.kind, lang) + colon(lang) + state.basis.detail)
    head.add_row(L("word.leaders"), "、".join(state.leaders))
    head.add_row(
        L("word.plan"),
        enum_label("plan", state.plan_status, lang)
        + paren(
            f"{L('word.plan_round')} {state.plan_round}{'，' if lang == 'zh' else ', '}{L('word.plan_returns')} {state.plan_returns}", lang
        ),
    )
    if state.consolidation_until:
        head.add_row(L("word.consolidation_until"), when(state.consolidation_until))
    if state.outcome:
        head.add_row(L("word.outcome"), enum_label("outcome", state.outcome, lang))
    if state.case_paused:
        head.add_row(L("word.case_paused"), state.pause_reason)
    console.print(head)

    problems = Table(title=L("word.problems"), title_justify="left")
    for column in ("ID", L("word.cycle"), L("word.category"), L("word.description")):
        problems.add_column(column)
    for p in state.problems:
        problems.add_row(p.id, str(p.cycle), p.category, p.description)
    console.print(problems)

    if state.measures:
        measures = Table(title=L("word.measures"), title_justify="left")
        for column in (
            "ID",
            L("word.description"),
            L("word.addresses"),
            L("word.responsible"),
            L("word.deadline"),
            L("word.status"),
            L("word.reminders"),
            L("word.escalations"),
        ):
            measures.add_column(column)
        for m in state.measures:
            status = L("word.done") if m.done else (L("word.overdue") if m.overdue else L("word.open"))
            if m.paused and not m.done:
                status += paren(L("word.paused") + " " + when(m.paused_since) + (f" {m.pause_reason}" if m.pause_reason else ""), lang)
            deadline = when(m.deadline)
            if m.budget:
                deadline += paren(human_duration(m.budget, lang), lang)
            measures.add_row(
                m.id,
                m.description,
                ",".join(m.problems),
                m.responsible,
                deadline,
                status,
                ",".join(human_duration(r, lang) for r in m.reminded) or "-",
                ",".join(enum_label("rung", r, lang) for r in m.escalated) or "-",
            )
        console.print(measures)

    changes = [(m.id, c) for m in state.measures for c in m.changes]
    if changes:
        table = Table(title=L("word.changes"), title_justify="left")
        for column in (
            L("word.measure"),
            "",
            L("word.deadline"),
            L("word.working_days"),
            L("word.reason"),
            L("word.actor"),
            L("word.time"),
        ):
            table.add_column(column)
        for measure_id, c in changes:
            table.add_row(
                measure_id,
                L(f"word.{c.kind}"),
                f"{when(c.old_deadline)} → {when(c.new_deadline)}",
                "-" if c.working_days is None else str(c.working_days),
                c.reason,
                c.by,
                when(c.at),
            )
        console.print(table)

    if state.proposals:
        table = Table(title=L("word.proposals"), title_justify="left")
        for column in (
            "ID",
            L("word.measure"),
            L("word.rung"),
            L("word.status"),
            L("word.decide_by"),
            L("word.decided_by"),
            L("word.details"),
        ):
            table.add_column(column)
        for proposal in state.proposals:
            table.add_row(
                proposal.proposal_id,
                proposal.measure_id or "-",
                enum_label("rung", proposal.rung, lang),
                enum_label("proposal", proposal.status, lang),
                when(proposal.decide_by),
                proposal.decided_by or "-",
                proposal.comment or proposal.reason,
            )
        console.print(table)

    if state.acceptances:
        rounds = Table(title=L("word.acceptances"), title_justify="left")
        for column in (L("word.cycle"), "#", L("word.score"), L("word.unsatisfied"), L("word.verdict"), L("word.actor"), L("word.time")):
            rounds.add_column(column)
        for a in state.acceptances:
            rounds.add_row(
                str(a.cycle),
                str(a.round),
                f"{a.score:g}",
                f"{a.unsatisfied_share:.0%}",
                enum_label("verdict", a.verdict, lang),
                a.by,
                when(a.at),
            )
        console.print(rounds)


def keep_whole(table: Table, values: Sequence[str]) -> None:
    """The table's first column (the ids) is never shortened: a narrow terminal or a pipe (80 columns)
    wraps the other columns instead of cutting rect-V001-2026 and rect-V001-2027 to the same rect-V001…."""
    first = table.columns[0]
    first.no_wrap = True
    first.min_width = max((len(v) for v in values), default=0) or None


def page_line(total: int, page: int, pages: int, paged: bool, lang: Lang) -> str:
    """The last line of a list: 共 120 件，第 1/3 页 / 120 case(s), page 1/3 (without the page when not ``paged``)."""
    beyond = paged and page > pages  # a page past the last: say so, and which is the last
    if lang == "zh":
        note = f"（没有第 {page} 页，最后一页是第 {pages} 页）" if beyond else ""
        return f"共 {total} 件" + (f"，第 {page}/{pages} 页" if paged else "") + note
    note = f" (no page {page}: the last is {pages})" if beyond else ""
    return f"{total} case(s)" + (f", page {page}/{pages}" if paged else "") + note


def case_list(found: CaseList, lang: Lang) -> None:
    """`pdca case list`: one page of the case ledger (service.case_reads.CaseList), then the total and the page."""
    rows = found.rows

    def L(key: str) -> str:
        return label(key, lang)

    table = Table()
    for column in (
        L("word.case"),
        L("word.org"),
        L("word.region"),
        L("word.year"),
        L("word.stage"),
        L("word.progress"),
        L("word.overdue"),
        L("word.next_due"),
    ):
        table.add_column(column)
    keep_whole(table, [r.case_id for r in rows])
    for r in rows:
        table.add_row(
            r.case_id,
            r.org_name,
            r.region,
            str(r.year),
            enum_label("stage", r.stage, lang),
            f"{r.measures_done}/{r.measures_total}",
            yes_no(r.overdue, lang) + (paren(str(r.overdue_measures), lang) if r.overdue else ""),
            when(r.next_due),
        )
    console.print(table)
    console.print(page_line(found.total, found.page, found.pages, found.page_size is not None, lang))


def event_details(event: Event, lang: Lang) -> str:
    data = event.model_dump(mode="json", exclude={"type", "at", "actor", "policy_version"})
    if event.type == "AcceptanceRecorded":
        sep = "，" if lang == "zh" else ", "
        unsatisfied = f"{label('word.unsatisfied', lang)} {data['unsatisfied_share']:.0%}"
        return f"{enum_label('verdict', data['verdict'], lang)} {data['score']:g}/{data['pass_score']:g}{sep}{unsatisfied}"
    if event.type == "EscalationRaised":
        early = ("（提前）" if lang == "zh" else " (early)") if data.get("early") else ""
        return f"{data['measure_id']} {enum_label('rung', data['rung'], lang)}{early} → {','.join(data['recipients'])}"
    if event.type == "SanctionProposed":
        return (
            f"{data['proposal_id']} {data.get('measure_id') or '-'} {enum_label('rung', data['rung'], lang)}"
            f" ≤ {when(datetime.fromisoformat(data['decide_by']))} → {','.join(data['recipients'])}"
        )
    if event.type == "SanctionDecided":
        decision = enum_label("proposal", data["decision"], lang)
        return f"{data['proposal_id']} {enum_label('rung', data['rung'], lang)}: {decision} {data.get('comment') or ''}".rstrip()
    if event.type == "SanctionLapsed":
        nxt = f" → {enum_label('rung', data['next_rung'], lang)}" if data.get("next_rung") else ""
        return f"{data['proposal_id']} {enum_label('rung', data['rung'], lang)}{nxt}"
    if event.type == "MeasuresPaused":
        which = label("word.case_paused", lang) if data["whole_case"] else ",".join(data["measure_ids"])
        return f"{which}: {data['reason']} ({data['requested_by']})"
    if event.type == "MeasuresResumed":
        return "; ".join(
            f"{s['measure_id']} +{s['working_days']}wd → {when(datetime.fromisoformat(s['new_deadline']))}" for s in data["shifts"]
        )
    if event.type == "DeadlineExtended":
        by = f" (+{data['by']})" if data.get("by") else ""
        old, new = (when(datetime.fromisoformat(data[key])) for key in ("old_deadline", "new_deadline"))
        return f"{data['measure_id']} {old} → {new}{by} {data['reason']}"
    if event.type in {"ReminderSent", "MeasureOverdue"}:
        lead = f" -{human_duration(data['lead'], lang)}" if "lead" in data else ""
        return f"{data['measure_id']}{lead} → {','.join(data['recipients'])}"
    if event.type == "PlanSubmitted":
        return f"#{data['round']}: " + ", ".join(f"{m['id']}@{when(datetime.fromisoformat(m['deadline']))}" for m in data["measures"])
    if event.type == "CaseOpened":
        sep = "；" if lang == "zh" else "; "
        basis = enum_label("basis", data["basis"]["kind"], lang) + colon(lang) + data["basis"]["detail"]
        return f"{data['org_name']}{sep}{basis}{sep}{len(data['problems'])} {label('word.problems', lang)}"
    if event.type == "CaseClosed":
        return " ".join(filter(None, [enum_label("outcome", data["outcome"], lang), data["note"]]))
    if event.type == "ReworkOrdered":
        return f"#{data['rework_round']} → {when(datetime.fromisoformat(data['deadline']))}"
    if event.type == "ConsolidationStarted":
        return f"→ {when(datetime.fromisoformat(data['until']))}"
    if event.type == "RelapseRecorded":
        return f"{label('word.cycle', lang)} {data['cycle']}: " + "; ".join(p["description"] for p in data["new_problems"])
    text = " ".join(str(data[k]) for k in ("measure_id", "note", "comments", "summary", "outcome") if data.get(k))
    evidence = data.get("evidence") or []
    return text + (f" [{', '.join(evidence)}]" if evidence else "")


# what went wrong with a checkpoint (store/checkpoints.py CheckpointFinding.kind), in Chinese
CHECKPOINT_KINDS_ZH = {
    "unreadable": "无法读取",
    "signature": "签名无效",
    "truncated": "日志被截断",
    "rewritten": "日志被改写",
    "unchecked": "未能核对",
}


def verify_report(report: AnchoredReport, lang: Lang) -> None:
    """`pdca audit verify`: the chain, the stream versions, then every checkpoint (store/checkpoints.py)."""
    zh = lang == "zh"
    if report.chain_ok:
        if zh:
            console.print(f"✓ 审计链完整：共校验 {report.checked} 条事件，链首序号 {report.head_position}，摘要 {report.head_hash}")
        else:
            console.print(f"✓ audit chain intact: {report.checked} events checked, head {report.head_position}, digest {report.head_hash}")
    elif report.version_break is not None and report.chain_intact:
        vb = report.version_break
        console.print(
            f"✗ 版本号不连续：记录流 {vb.stream_id} 应为第 {vb.expected} 版，实为第 {vb.found} 版（序号 {vb.position}）"
            if zh
            else f"✗ stream versions broken: stream {vb.stream_id} expected version {vb.expected}, "
            f"found {vb.found} (position {vb.position})"
        )
    elif zh:
        console.print(f"✗ 审计链校验失败：第 {report.bad_position} 条事件：{report.reason}（此前 {report.checked} 条完好）")
    else:
        console.print(
            f"✗ audit chain broken at position {report.bad_position}: {report.reason} ({report.checked} events before it are intact)"
        )
    if report.version_break is not None and not report.chain_intact:
        vb = report.version_break
        console.print(
            f"✗ 此前已有版本号不连续：记录流 {vb.stream_id} 应为第 {vb.expected} 版，实为第 {vb.found} 版（序号 {vb.position}）"
            if zh
            else f"✗ before that, stream versions broken: stream {vb.stream_id} expected {vb.expected}, "
            f"found {vb.found} (position {vb.position})"
        )
    failed = report.failed_checkpoints
    good = report.checkpoints_checked - len(failed)
    if report.checkpoints_checked:
        mark = "✓" if not failed else "✗"
        console.print(
            f"{mark} 签名检查点 {report.checkpoints_checked} 个，通过 {good} 个；最新锚定序号 {report.anchored_position}，"
            f"尚未锚定 {report.not_anchored} 条"
            if zh
            else f"{mark} signed checkpoints: {report.checkpoints_checked} checked, {good} good; newest anchored position "
            f"{report.anchored_position}, not yet anchored: {report.not_anchored}"
        )
    for finding in failed:
        kind = CHECKPOINT_KINDS_ZH.get(finding.kind, finding.kind) if zh else finding.kind
        console.print(f"  ✗ {finding.file}: {kind}: {finding.problem}", soft_wrap=True)
    if report.missing_checkpoint:
        mark = "✗" if report.require_checkpoint else "!"
        console.print(
            f"{mark} 未找到有效的签名检查点，无法发现截断或整体重算（运行 `pdca audit checkpoint`，检查点应存放在数据库以外）；"
            f"尚未锚定 {report.not_anchored} 条"
            if zh
            else f"{mark} no good signed checkpoint found: a cut tail or a recomputed chain cannot be seen "
            f"(run `pdca audit checkpoint`; keep checkpoints outside the database); not yet anchored: {report.not_anchored}"
        )
