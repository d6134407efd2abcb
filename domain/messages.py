"""The words a notice says to a person, rendered from the event that caused it (pure)."""

from __future__ import annotations

from domain.labels import Lang, enum_label, label
from domain.rectification import ConsolidationEnded, EscalationRaised, Event, MeasureOverdue, ReminderSent
from domain.timeutil import local


_UNITS = {"d": ("天", "days"), "h": ("小时", "hours"), "m": ("分钟", "minutes"), "s": ("秒", "seconds")}


def human_duration(code: str, lang: Lang = "zh") -> str:
    """"7d" -> "7天" / "7 days" (codes as written by ``format_duration``)."""
    number, unit = code[:-1], code[-1:]
    zh, en = _UNITS.get(unit, (unit, unit))
    if lang == "zh":
        return f"{number}{zh}"
    return f"{number} {en[:-1] if number == '1' else en}"


def _when(value) -> str:  # type: ignore[no-untyped-def]
    return local(value).strftime("%Y-%m-%d %H:%M")


def render_notice(event: Event, case_id: str, org_name: str, lang: Lang = "zh") -> str:
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
        rung = enum_label("rung", event.rung, lang)
        return (
            f"【{label('event.EscalationRaised')}·{rung}】{org_name}（{case_id}）整改措施 {event.measure_id} "
            f"逾期已满{human_duration(event.overdue_for)}，启动“{rung}”。"
            if zh
            else f"[Escalation: {rung}] {org_name} ({case_id}): measure {event.measure_id} has been overdue "
            f"for {human_duration(event.overdue_for, lang)}; '{rung}' is now due."
        )
    if isinstance(event, ConsolidationEnded):
        return (
            f"【{label('event.ConsolidationEnded')}】{org_name}（{case_id}）巩固期已届满，请组织回头看并办理销号。"
            if zh
            else f"[Consolidation ended] {org_name} ({case_id}): run the follow-up review and close the case."
        )
    return f"{label('event.' + event.type, lang)}: {org_name} ({case_id})"
