"""The words a notice says to a person, rendered from the event that caused it (pure). Chinese first.

Escalation rungs have their own wording (提醒 / 提醒谈话 / 发函督办 / 诫勉谈话 / 组织调整); a policy step's
``wording`` overrides it, with the placeholders {org} {case} {measure} {deadline} {overdue_for} {rung}.
"""

from __future__ import annotations

from domain.labels import Lang, enum_label, label
from domain.policy import Policy
from domain.rectification import (
    ConsolidationEnded,
    DeadlineExtended,
    EscalationRaised,
    Event,
    MeasureOverdue,
    MeasuresPaused,
    MeasuresResumed,
    ReminderSent,
    SanctionDecided,
    SanctionDecision,
    SanctionLapsed,
    SanctionProposed,
)
from domain.rungs import Rung
from domain.timeutil import local

_UNITS = {"wd": ("个工作日", "working days"), "d": ("天", "days"), "h": ("小时", "hours"), "m": ("分钟", "minutes"), "s": ("秒", "seconds")}


def human_duration(code: str | None, lang: Lang = "zh") -> str:
    """"7d" -> "7天" / "7 days"; "5wd" -> "5个工作日" / "5 working days" (codes as policies write them)."""
    if not code:
        return "-"
    unit = "wd" if code.endswith("wd") else code[-1:]
    number = code[: -len(unit)]
    zh, en = _UNITS.get(unit, (unit, unit))
    if lang == "zh":
        return f"{number}{zh}"
    return f"{number} {en[:-1] if number == '1' else en}"


def _when(value) -> str:  # type: ignore[no-untyped-def]
    return local(value).strftime("%Y-%m-%d %H:%M")


# Built-in wording per rung: (zh, en). {overdue_for} is already human-readable.
RUNG_WORDING: dict[Rung, tuple[str, str]] = {
    Rung.REMINDER: (
        "【提醒】{org}（{case}）整改措施 {measure} 已逾期{overdue_for}（时限 {deadline}），请抓紧完成并报告进展。",
        "[Reminder] {org} ({case}): measure {measure} is {overdue_for} past its deadline ({deadline}). Finish it and report.",
    ),
    Rung.REMINDER_TALK: (
        "【提醒谈话】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，请包联领导约谈责任人，提醒谈话并限期整改。",
        "[Reminder talk] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the liaison leader "
        "holds a reminder talk with the person responsible.",
    ),
    Rung.SUPERVISION_NOTICE: (
        "【发函督办】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}仍未完成，现发函督办并予以通报，请上级党组织督促整改。",
        "[Supervision notice] {org} ({case}): measure {measure} is still not done {overdue_for} after its deadline; "
        "a written supervision notice goes to the superior and the delay is reported.",
    ),
    Rung.ADMONISHMENT_TALK: (
        "【诫勉谈话】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，对责任人诫勉谈话。",
        "[Admonishment talk] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the person "
        "responsible receives an admonishment talk.",
    ),
    Rung.PERSONNEL_ADJUSTMENT: (
        "【组织调整】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，对责任人进行组织调整。",
        "[Personnel adjustment] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the person "
        "responsible is to be reassigned.",
    ),
}


def rung_text(rung: Rung, fields: dict[str, str], lang: Lang = "zh", policy: Policy | None = None) -> str:
    """The rung's wording: the policy step's own if it has one, else the built-in."""
    step = next((s for s in policy.escalation_ladder if s.rung == rung), None) if policy else None
    if step is not None and step.wording is not None:
        template = step.wording.zh if lang == "zh" else step.wording.en
    else:
        zh, en = RUNG_WORDING[rung]
        template = zh if lang == "zh" else en
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template  # a policy template with an unknown placeholder: say it as written


def render_notice(event: Event, case_id: str, org_name: str, lang: Lang = "zh", policy: Policy | None = None) -> str:
    zh = lang == "zh"
    if isinstance(event, ReminderSent):
        return (
            f"【{label('event.ReminderSent')}】{org_name}（{case_id}）整改措施 {event.measure_id} "
            f"将于 {_when(event.deadline)} 到期（提前{human_duration(event.lead)}提醒），请按时完成并报告进展。"
            if zh
            else f"[Reminder] {org_name} ({case_id}): measure {event.measure_id} is due {_when(event.deadline)} "
            f"(reminder {human_duration(event.lead, lang)} ahead). Please complete it and report progress."
        )
    if isinstance(event, MeasureOverdue):
        return (
            f"【{label('event.MeasureOverdue')}】{org_name}（{case_id}）整改措施 {event.measure_id} "
            f"已于 {_when(event.deadline)} 逾期未完成，请立即整改并说明情况。"
            if zh
            else f"[Overdue] {org_name} ({case_id}): measure {event.measure_id} was due {_when(event.deadline)} "
            "and is not complete. Act now and explain the delay."
        )
    if isinstance(event, EscalationRaised):
        fields = {
            "org": org_name,
            "case": case_id,
            "measure": event.measure_id,
            "deadline": _when(event.deadline) if event.deadline else "-",
            "overdue_for": human_duration(event.overdue_for, lang),
            "rung": enum_label("rung", event.rung, lang),
        }
        text = rung_text(event.rung, fields, lang, policy)
        if event.early:
            text += "（上一级问责提议逾期未决，提前启动）" if zh else " (brought forward: the previous proposal was not decided in time)"
        return text
    if isinstance(event, SanctionProposed):
        rung = enum_label("rung", event.rung, lang)
        subject = f"整改措施 {event.measure_id} " if event.measure_id else ""
        subject_en = f"measure {event.measure_id} " if event.measure_id else ""
        why = human_duration(event.overdue_for, lang) if event.overdue_for else event.reason
        return (
            f"【问责提议·{rung}】{org_name}（{case_id}）{subject}"
            + (f"逾期已满{why}，" if event.overdue_for else f"{why}，")
            + f"提议“{rung}”（编号 {event.proposal_id}），请于 {_when(event.decide_by)} 前审批（同意或不予处理），逾期未决将升级。"
            if zh
            else f"[Sanction proposal: {rung}] {org_name} ({case_id}): {subject_en}"
            + (f"overdue for {why}; " if event.overdue_for else f"{why}; ")
            + f"'{rung}' is proposed (id {event.proposal_id}). Approve or dismiss by {_when(event.decide_by)}, "
            "or it escalates to the next rung."
        )
    if isinstance(event, SanctionDecided):
        rung = enum_label("rung", event.rung, lang)
        approved = event.decision == SanctionDecision.APPROVED
        subject = f"整改措施 {event.measure_id} 的" if event.measure_id else ""
        if zh:
            verdict = "同意，请按程序实施" if approved else "不予处理"
            note = f"（意见：{event.comment}）" if event.comment else ""
            return f"【问责决定·{rung}】{org_name}（{case_id}）{subject}“{rung}”提议（{event.proposal_id}）：{verdict}{note}。"
        verdict = "approved; carry it out" if approved else "dismissed"
        note = f" (comment: {event.comment})" if event.comment else ""
        target = f"measure {event.measure_id}, " if event.measure_id else ""
        return f"[Sanction decision: {rung}] {org_name} ({case_id}): {target}proposal {event.proposal_id} {verdict}{note}."
    if isinstance(event, SanctionLapsed):
        rung = enum_label("rung", event.rung, lang)
        nxt = enum_label("rung", event.next_rung, lang) if event.next_rung else None
        if zh:
            tail = f"，升级启动“{nxt}”" if nxt else "，请督导员跟进"
            return f"【问责提议逾期未决】{org_name}（{case_id}）“{rung}”提议（{event.proposal_id}）未在时限内审批{tail}。"
        tail = f"; escalating to '{nxt}'" if nxt else "; supervisors, follow up"
        return f"[Proposal not decided] {org_name} ({case_id}): the '{rung}' proposal {event.proposal_id} was not decided in time{tail}."
    if isinstance(event, MeasuresPaused):
        which = "全部整改措施" if event.whole_case else "整改措施 " + "、".join(event.measure_ids)
        which_en = "every measure" if event.whole_case else "measures " + ", ".join(event.measure_ids)
        return (
            f"【暂停计时】{org_name}（{case_id}）{which}暂停计时（{event.reason}），恢复后时限按暂停的工作日顺延。"
            if zh
            else f"[Paused] {org_name} ({case_id}): {which_en} paused ({event.reason}); deadlines move by the working days paused."
        )
    if isinstance(event, MeasuresResumed):
        moves = ("；" if zh else "; ").join(
            f"{s.measure_id} {_when(s.old_deadline)} → {_when(s.new_deadline)}"
            + (f"（顺延{s.working_days}个工作日）" if zh else f" (+{s.working_days} working days)")
            for s in event.shifts
        )
        return f"【恢复计时】{org_name}（{case_id}）：{moves}。" if zh else f"[Resumed] {org_name} ({case_id}): {moves}."
    if isinstance(event, DeadlineExtended):
        return (
            f"【延期】{org_name}（{case_id}）整改措施 {event.measure_id} 完成时限由 {_when(event.old_deadline)} "
            f"延至 {_when(event.new_deadline)}（{event.reason}）。"
            if zh
            else f"[Extended] {org_name} ({case_id}): measure {event.measure_id} is now due {_when(event.new_deadline)} "
            f"(was {_when(event.old_deadline)}; {event.reason})."
        )
    if isinstance(event, ConsolidationEnded):
        return (
            f"【{label('event.ConsolidationEnded')}】{org_name}（{case_id}）巩固期已届满，请组织回头看并办理销号。"
            if zh
            else f"[Consolidation ended] {org_name} ({case_id}): run the follow-up review and close the case."
        )
    return f"{label('event.' + event.type, lang)}: {org_name} ({case_id})"
