"""The words a secretary-project notice says to a person, rendered from the event that caused it (pure)."""

from __future__ import annotations

from domain.labels import Lang, enum_label, label
from domain.project import (
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReturned,
    EvaluationDue,
    Event,
    MilestoneOverdue,
    MilestoneReminderSent,
    ProjectPromoted,
    ReportReminderSent,
    ReportUrged,
    SanctionDecided,
    SanctionLapsed,
    SanctionProposed,
)
from domain.timeutil import local


def _when(value) -> str:  # type: ignore[no-untyped-def]
    return local(value).strftime("%Y-%m-%d %H:%M")


def _lead(code: str, lang: Lang) -> str:
    """"5wd" -> "5个工作日" / "5 working days"; other offsets through the shared wording."""
    from domain.messages import human_duration

    if code.endswith("wd"):
        n = code[:-2]
        return f"{n}个工作日" if lang == "zh" else f"{n} working day{'' if n == '1' else 's'}"
    return human_duration(code, lang)


def render_notice(event: Event, project_id: str, org_name: str, lang: Lang = "zh") -> str:
    zh = lang == "zh"
    tag = f"【{label('event.' + event.type, 'zh')}】" if zh else f"[{label('event.' + event.type, 'en')}] "
    who = f"{org_name}（{project_id}）" if zh else f"{org_name} ({project_id})"
    if isinstance(event, ApplicationReturned):
        return (
            f"{tag}{who}立项申请第{event.round}稿被退回修改（已退回{event.returns}/{event.limit}次）：{event.comments}"
            if zh
            else f"{tag}{who}: application draft {event.round} returned for revision ({event.returns}/{event.limit}): {event.comments}"
        )
    if isinstance(event, ApplicationApproved):
        dues = "，".join(f"第{r.quarter}季度 {_when(r.due)}" for r in event.reports_due)
        return (
            f"{tag}{who}项目已批准立项，进入实施。季度进展报告截止：{dues or '无'}。"
            if zh
            else f"{tag}{who}: approved; implementation starts. Quarterly reports due: "
            + (", ".join(f"Q{r.quarter} {_when(r.due)}" for r in event.reports_due) or "none")
        )
    if isinstance(event, ApplicationRejected):
        return f"{tag}{who}不予立项：{event.comments}" if zh else f"{tag}{who}: application rejected: {event.comments}"
    if isinstance(event, MilestoneReminderSent):
        return (
            f"{tag}{who}项目节点 {event.milestone_id} 将于 {_when(event.deadline)} 到期（提前{_lead(event.lead, lang)}提醒），请按时完成。"
            if zh
            else f"{tag}{who}: milestone {event.milestone_id} is due {_when(event.deadline)} ({_lead(event.lead, lang)} ahead)."
        )
    if isinstance(event, MilestoneOverdue):
        return (
            f"{tag}{who}项目节点 {event.milestone_id} 已于 {_when(event.deadline)} 逾期未完成，请抓紧推进并说明情况。"
            if zh
            else f"{tag}{who}: milestone {event.milestone_id} was due {_when(event.deadline)} and is not done."
        )
    if isinstance(event, ReportReminderSent):
        return (
            f"{tag}{who}第{event.quarter}季度进展报告应于 {_when(event.due)} 前提交，至今未报，请尽快报送。"
            if zh
            else f"{tag}{who}: the Q{event.quarter} progress report was due {_when(event.due)} and is missing. Please submit it."
        )
    if isinstance(event, ReportUrged):
        return (
            f"{tag}（第{event.urge}/{event.of}次）{who}第{event.quarter}季度进展报告逾期未报（截止 {_when(event.due)}），请立即报送。"
            if zh
            else f"{tag}({event.urge}/{event.of}) {who}: the Q{event.quarter} progress report (due {_when(event.due)}) is still missing. Submit it now."
        )
    if isinstance(event, EvaluationDue):
        return (
            f"{tag}{who}项目已于 {_when(event.deadline)} 到期，请组织年终评价（结题）。"
            if zh
            else f"{tag}{who}: the project deadline {_when(event.deadline)} has passed; the year-end evaluation is due."
        )
    if isinstance(event, SanctionProposed):
        rung = enum_label("rung", event.rung, lang)
        return (
            f"{tag}{who}{event.reason}，提议对 {event.subject} 进行“{rung}”，请于 {_when(event.decide_by)} 前决定。"
            if zh
            else f"{tag}{who}: rated poor; '{rung}' proposed for {event.subject}. Decide by {_when(event.decide_by)}."
        )
    if isinstance(event, SanctionDecided):
        rung = enum_label("rung", event.rung, lang)
        decision = label(f"proposal.{event.decision.value}", lang)
        return f"{tag}{who}“{rung}”提议：{decision}。{event.comment}" if zh else f"{tag}{who}: '{rung}' proposal {decision}. {event.comment}".rstrip()
    if isinstance(event, SanctionLapsed):
        rung = enum_label("rung", event.rung, lang)
        return f"{tag}{who}“{rung}”提议逾期未决。" if zh else f"{tag}{who}: the '{rung}' proposal lapsed undecided."
    if isinstance(event, ProjectPromoted):
        return f"{tag}{who}项目评为优秀，作为典型推广。{event.note}" if zh else f"{tag}{who}: promoted as a model. {event.note}".rstrip()
    return f"{label('event.' + event.type, lang)}: {org_name} ({project_id})"


def kind():  # type: ignore[no-untyped-def]
    """The ``proj-`` stream kind for domain.kinds (notices, projections and the CLI read it)."""
    from domain.kinds import Kind
    from domain.project import EVENT_ADAPTER, KIND, NOTICE_EVENTS, PREFIX

    return Kind(KIND, PREFIX, EVENT_ADAPTER, NOTICE_EVENTS, render_notice)
