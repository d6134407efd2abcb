"""The words a notice says to a person, rendered from the event that caused it (pure). Chinese first.

One entry point, ``render_notice(kind, event, stream_id, org_name, lang, policy)``, dispatching on the
stream kind's name ("rectification", "project", "campaign"). Each kind's wording is a table of
(zh, en) ``str.format`` templates keyed by event type; a small function per event type supplies the
derived fields (times in Beijing, durations, rung labels). Templates may read the event's own fields
as ``{e.field}``. An event type without a template is told as "label: org (stream id)".

Escalation rungs have their own wording (提醒 / 提醒谈话 / 发函督办 / 诫勉谈话 / 组织调整); a policy step's
``wording`` overrides it, with the placeholders {org} {case} {measure} {deadline} {overdue_for} {rung}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.timeutil import local
from i18n.campaign import describe
from i18n.labels import Lang, enum_label, label

if TYPE_CHECKING:
    from domain.policy import Policy

Template = tuple[str, str]  # (zh, en)
Fields = Callable[[Any, Lang], dict[str, Any]]


def pick(pair: Template, lang: Lang) -> str:
    """The Chinese or the English of a (zh, en) pair."""
    return pair[0] if lang == "zh" else pair[1]


def _when(value: datetime) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M")


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


# --------------------------------------------------------------------------- escalation rungs

# Built-in wording per rung: (zh, en). {overdue_for} is already human-readable.
RUNG_WORDING: dict[str, Template] = {
    "reminder": (
        "【提醒】{org}（{case}）整改措施 {measure} 已逾期{overdue_for}（时限 {deadline}），请抓紧完成并报告进展。",
        "[Reminder] {org} ({case}): measure {measure} is {overdue_for} past its deadline ({deadline}). Finish it and report.",
    ),
    "reminder_talk": (
        "【提醒谈话】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，请包联领导约谈责任人，提醒谈话并限期整改。",
        "[Reminder talk] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the liaison leader "
        "holds a reminder talk with the person responsible.",
    ),
    "supervision_notice": (
        "【发函督办】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}仍未完成，现发函督办并予以通报，请上级党组织督促整改。",
        "[Supervision notice] {org} ({case}): measure {measure} is still not done {overdue_for} after its deadline; "
        "a written supervision notice goes to the superior and the delay is reported.",
    ),
    "admonishment_talk": (
        "【诫勉谈话】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，对责任人诫勉谈话。",
        "[Admonishment talk] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the person "
        "responsible receives an admonishment talk.",
    ),
    "personnel_adjustment": (
        "【组织调整】{org}（{case}）整改措施 {measure} 逾期已满{overdue_for}，对责任人进行组织调整。",
        "[Personnel adjustment] {org} ({case}): measure {measure} has been overdue for {overdue_for}; the person "
        "responsible is to be reassigned.",
    ),
}


def rung_text(rung: str, fields: Mapping[str, str], lang: Lang = "zh", policy: Policy | None = None) -> str:
    """The rung's wording: the policy step's own if it has one, else the built-in."""
    step = next((s for s in policy.escalation_ladder if s.rung == rung), None) if policy else None
    if step is not None and step.wording is not None:
        template = step.wording.zh if lang == "zh" else step.wording.en
    else:
        template = pick(RUNG_WORDING[rung], lang)
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template  # a policy template with an unknown placeholder: say it as written


# --------------------------------------------------------------------------- rectification cases

# Common fields: {org}, {case}, {e} (the event), {label} (the event type's Chinese label).
CASE_NOTICES: dict[str, Template] = {
    "ReminderSent": (
        "【{label}】{org}（{case}）整改措施 {e.measure_id} 将于 {deadline} 到期（提前{lead}提醒），请按时完成并报告进展。",
        "[Reminder] {org} ({case}): measure {e.measure_id} is due {deadline} (reminder {lead} ahead). "
        "Please complete it and report progress.",
    ),
    "MeasureOverdue": (
        "【{label}】{org}（{case}）整改措施 {e.measure_id} 已于 {deadline} 逾期未完成，请立即整改并说明情况。",
        "[Overdue] {org} ({case}): measure {e.measure_id} was due {deadline} and is not complete. Act now and explain the delay.",
    ),
    "EscalationRaised": ("{text}{early}", "{text}{early}"),
    "SanctionProposed": (
        "【问责提议·{rung}】{org}（{case}）{subject}{why}提议“{rung}”（编号 {e.proposal_id}），"
        "请于 {decide_by} 前审批（同意或不予处理），逾期未决将升级。",
        "[Sanction proposal: {rung}] {org} ({case}): {subject}{why}'{rung}' is proposed (id {e.proposal_id}). "
        "Approve or dismiss by {decide_by}, or it escalates to the next rung.",
    ),
    "SanctionDecided": (
        "【问责决定·{rung}】{org}（{case}）{subject}“{rung}”提议（{e.proposal_id}）：{verdict}{note}。",
        "[Sanction decision: {rung}] {org} ({case}): {subject}proposal {e.proposal_id} {verdict}{note}.",
    ),
    "SanctionLapsed": (
        "【问责提议逾期未决】{org}（{case}）“{rung}”提议（{e.proposal_id}）未在时限内审批{tail}。",
        "[Proposal not decided] {org} ({case}): the '{rung}' proposal {e.proposal_id} was not decided in time{tail}.",
    ),
    "MeasuresPaused": (
        "【暂停计时】{org}（{case}）{which}暂停计时（{e.reason}），恢复后时限按暂停的工作日顺延。",
        "[Paused] {org} ({case}): {which} paused ({e.reason}); deadlines move by the working days paused.",
    ),
    "MeasuresResumed": ("【恢复计时】{org}（{case}）：{moves}。", "[Resumed] {org} ({case}): {moves}."),
    "DeadlineExtended": (
        "【延期】{org}（{case}）整改措施 {e.measure_id} 完成时限由 {old} 延至 {new}（{e.reason}）。",
        "[Extended] {org} ({case}): measure {e.measure_id} is now due {new} (was {old}; {e.reason}).",
    ),
    "ConsolidationEnded": (
        "【{label}】{org}（{case}）巩固期已届满，请组织回头看并办理销号。",
        "[Consolidation ended] {org} ({case}): run the follow-up review and close the case.",
    ),
}

# Fragments some case notices put together.
_EARLY: Template = ("（上一级问责提议逾期未决，提前启动）", " (brought forward: the previous proposal was not decided in time)")
_PROPOSED_SUBJECT: Template = ("整改措施 {m} ", "measure {m} ")
_PROPOSED_OVERDUE: Template = ("逾期已满{why}，", "overdue for {why}; ")
_PROPOSED_REASON: Template = ("{why}，", "{why}; ")
_DECIDED_SUBJECT: Template = ("整改措施 {m} 的", "measure {m}, ")
_DECIDED_VERDICT: dict[bool, Template] = {True: ("同意，请按程序实施", "approved; carry it out"), False: ("不予处理", "dismissed")}
_DECIDED_NOTE: Template = ("（意见：{c}）", " (comment: {c})")
_LAPSED_NEXT: Template = ("，升级启动“{n}”", "; escalating to '{n}'")
_LAPSED_NO_NEXT: Template = ("，请督导员跟进", "; supervisors, follow up")
_PAUSED_ALL: Template = ("全部整改措施", "every measure")
_PAUSED_SOME: Template = ("整改措施 {ids}", "measures {ids}")
_LIST_SEP: Template = ("、", ", ")
_MOVES_SEP: Template = ("；", "; ")
_MOVE: Template = ("{m} {old} → {new}（顺延{n}个工作日）", "{m} {old} → {new} (+{n} working days)")


def _rung(event: Any, lang: Lang) -> str:
    return enum_label("rung", event.rung, lang)


def _reminder(e: Any, lang: Lang) -> dict[str, Any]:
    return {"deadline": _when(e.deadline), "lead": human_duration(e.lead, lang)}


def _overdue(e: Any, lang: Lang) -> dict[str, Any]:
    return {"deadline": _when(e.deadline)}


def _proposed(e: Any, lang: Lang) -> dict[str, Any]:
    why = human_duration(e.overdue_for, lang) if e.overdue_for else e.reason
    return {
        "rung": _rung(e, lang),
        "subject": pick(_PROPOSED_SUBJECT, lang).format(m=e.measure_id) if e.measure_id else "",
        "why": pick(_PROPOSED_OVERDUE if e.overdue_for else _PROPOSED_REASON, lang).format(why=why),
        "decide_by": _when(e.decide_by),
    }


def _decided(e: Any, lang: Lang) -> dict[str, Any]:
    return {
        "rung": _rung(e, lang),
        "subject": pick(_DECIDED_SUBJECT, lang).format(m=e.measure_id) if e.measure_id else "",
        "verdict": pick(_DECIDED_VERDICT[e.decision == "approved"], lang),
        "note": pick(_DECIDED_NOTE, lang).format(c=e.comment) if e.comment else "",
    }


def _lapsed(e: Any, lang: Lang) -> dict[str, Any]:
    following = enum_label("rung", e.next_rung, lang) if e.next_rung else None
    tail = pick(_LAPSED_NEXT, lang).format(n=following) if following else pick(_LAPSED_NO_NEXT, lang)
    return {"rung": _rung(e, lang), "tail": tail}


def _paused(e: Any, lang: Lang) -> dict[str, Any]:
    which = pick(_PAUSED_ALL, lang) if e.whole_case else pick(_PAUSED_SOME, lang).format(ids=pick(_LIST_SEP, lang).join(e.measure_ids))
    return {"which": which}


def _resumed(e: Any, lang: Lang) -> dict[str, Any]:
    move = pick(_MOVE, lang)
    moves = pick(_MOVES_SEP, lang).join(
        move.format(m=s.measure_id, old=_when(s.old_deadline), new=_when(s.new_deadline), n=s.working_days) for s in e.shifts
    )
    return {"moves": moves}


def _extended(e: Any, lang: Lang) -> dict[str, Any]:
    return {"old": _when(e.old_deadline), "new": _when(e.new_deadline)}


_CASE_FIELDS: dict[str, Fields] = {
    "ReminderSent": _reminder,
    "MeasureOverdue": _overdue,
    "SanctionProposed": _proposed,
    "SanctionDecided": _decided,
    "SanctionLapsed": _lapsed,
    "MeasuresPaused": _paused,
    "MeasuresResumed": _resumed,
    "DeadlineExtended": _extended,
}


def _escalation(e: Any, case_id: str, org_name: str, lang: Lang, policy: Policy | None) -> dict[str, Any]:
    fields = {
        "org": org_name,
        "case": case_id,
        "measure": e.measure_id,
        "deadline": _when(e.deadline) if e.deadline else "-",
        "overdue_for": human_duration(e.overdue_for, lang),
        "rung": _rung(e, lang),
    }
    return {"text": rung_text(e.rung, fields, lang, policy), "early": pick(_EARLY, lang) if e.early else ""}


def render_case_notice(event: Any, case_id: str, org_name: str, lang: Lang = "zh", policy: Policy | None = None) -> str:
    """A rectification case's notice."""
    template = CASE_NOTICES.get(event.type)
    if template is None:
        return f"{label('event.' + event.type, lang)}: {org_name} ({case_id})"
    if event.type == "EscalationRaised":
        fields = _escalation(event, case_id, org_name, lang, policy)
    else:
        derive = _CASE_FIELDS.get(event.type)
        fields = derive(event, lang) if derive else {}
    return pick(template, lang).format(org=org_name, case=case_id, e=event, label=label("event." + event.type, "zh"), **fields)


# --------------------------------------------------------------------------- secretary projects

# Common fields: {tag} (【label】 / [label]), {who} (org and project id), {e} (the event).
PROJECT_NOTICES: dict[str, Template] = {
    "ApplicationReturned": (
        "{tag}{who}立项申请第{e.round}稿被退回修改（已退回{e.returns}/{e.limit}次）：{e.comments}",
        "{tag}{who}: application draft {e.round} returned for revision ({e.returns}/{e.limit}): {e.comments}",
    ),
    "ApplicationApproved": (
        "{tag}{who}项目已批准立项，进入实施。季度进展报告截止：{dues}。",
        "{tag}{who}: approved; implementation starts. Quarterly reports due: {dues}",
    ),
    "ApplicationRejected": ("{tag}{who}不予立项：{e.comments}", "{tag}{who}: application rejected: {e.comments}"),
    "MilestoneReminderSent": (
        "{tag}{who}项目节点 {e.milestone_id} 将于 {deadline} 到期（提前{lead}提醒），请按时完成。",
        "{tag}{who}: milestone {e.milestone_id} is due {deadline} ({lead} ahead).",
    ),
    "MilestoneOverdue": (
        "{tag}{who}项目节点 {e.milestone_id} 已于 {deadline} 逾期未完成，请抓紧推进并说明情况。",
        "{tag}{who}: milestone {e.milestone_id} was due {deadline} and is not done.",
    ),
    "ReportReminderSent": (
        "{tag}{who}第{e.quarter}季度进展报告应于 {due} 前提交，至今未报，请尽快报送。",
        "{tag}{who}: the Q{e.quarter} progress report was due {due} and is missing. Please submit it.",
    ),
    "ReportUrged": (
        "{tag}（第{e.urge}/{e.of}次）{who}第{e.quarter}季度进展报告逾期未报（截止 {due}），请立即报送。",
        "{tag}({e.urge}/{e.of}) {who}: the Q{e.quarter} progress report (due {due}) is still missing. Submit it now.",
    ),
    "EvaluationDue": (
        "{tag}{who}项目已于 {deadline} 到期，请组织年终评价（结题）。",
        "{tag}{who}: the project deadline {deadline} has passed; the year-end evaluation is due.",
    ),
    "SanctionProposed": (
        "{tag}{who}{e.reason}，提议对 {e.subject} 进行“{rung}”，请于 {decide_by} 前决定。",
        "{tag}{who}: rated poor; '{rung}' proposed for {e.subject}. Decide by {decide_by}.",
    ),
    "SanctionDecided": ("{tag}{who}“{rung}”提议：{decision}。{e.comment}", "{tag}{who}: '{rung}' proposal {decision}.{comment}"),
    "SanctionLapsed": ("{tag}{who}“{rung}”提议逾期未决。", "{tag}{who}: the '{rung}' proposal lapsed undecided."),
    "ProjectPromoted": ("{tag}{who}项目评为优秀，作为典型推广。{e.note}", "{tag}{who}: promoted as a model.{note}"),
}

_TAG: Template = ("【{l}】", "[{l}] ")
_WHO: Template = ("{org}（{pid}）", "{org} ({pid})")
_DUE: Template = ("第{q}季度 {due}", "Q{q} {due}")
_DUES_SEP: Template = ("，", ", ")
_NO_DUES: Template = ("无", "none")


def _trailing(text: str) -> str:
    """An English sentence's optional last words: " words", or nothing (no trailing space)."""
    return f" {text}".rstrip()


def _approved(e: Any, lang: Lang) -> dict[str, Any]:
    due = pick(_DUE, lang)
    dues = pick(_DUES_SEP, lang).join(due.format(q=r.quarter, due=_when(r.due)) for r in e.reports_due)
    return {"dues": dues or pick(_NO_DUES, lang)}


def _milestone_reminder(e: Any, lang: Lang) -> dict[str, Any]:
    return {"deadline": _when(e.deadline), "lead": human_duration(e.lead, lang)}


def _report_due(e: Any, lang: Lang) -> dict[str, Any]:
    return {"due": _when(e.due)}


def _project_proposed(e: Any, lang: Lang) -> dict[str, Any]:
    return {"rung": _rung(e, lang), "decide_by": _when(e.decide_by)}


def _project_decided(e: Any, lang: Lang) -> dict[str, Any]:
    return {"rung": _rung(e, lang), "decision": label(f"proposal.{e.decision.value}", lang), "comment": _trailing(e.comment)}


def _project_lapsed(e: Any, lang: Lang) -> dict[str, Any]:
    return {"rung": _rung(e, lang)}


def _promoted(e: Any, lang: Lang) -> dict[str, Any]:
    return {"note": _trailing(e.note)}


_PROJECT_FIELDS: dict[str, Fields] = {
    "ApplicationApproved": _approved,
    "MilestoneReminderSent": _milestone_reminder,
    "MilestoneOverdue": _overdue,
    "ReportReminderSent": _report_due,
    "ReportUrged": _report_due,
    "EvaluationDue": _overdue,
    "SanctionProposed": _project_proposed,
    "SanctionDecided": _project_decided,
    "SanctionLapsed": _project_lapsed,
    "ProjectPromoted": _promoted,
}


def render_project_notice(event: Any, project_id: str, org_name: str, lang: Lang = "zh", policy: Policy | None = None) -> str:
    """A secretary project's notice."""
    template = PROJECT_NOTICES.get(event.type)
    if template is None:
        return f"{label('event.' + event.type, lang)}: {org_name} ({project_id})"
    derive = _PROJECT_FIELDS.get(event.type)
    fields = derive(event, lang) if derive else {}
    tag = pick(_TAG, lang).format(l=label("event." + event.type, lang))
    who = pick(_WHO, lang).format(org=org_name, pid=project_id)
    return pick(template, lang).format(tag=tag, who=who, e=event, **fields)


# --------------------------------------------------------------------------- campaigns


def render_campaign_notice(event: Any, stream_id: str, org_name: str = "", lang: Lang = "zh", policy: Policy | None = None) -> str:
    """A campaign sends no notices itself; histories show its one-line description."""
    return describe(event, lang)


def render_inspection_notice(event: Any, stream_id: str, org_name: str = "", lang: Lang = "zh", policy: Policy | None = None) -> str:
    """An inspection sends no notices itself (the case it feeds does); histories show its one-line description."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    kind = event.type
    if kind == "InspectionRecorded":
        words = {"unannounced": ("明察暗访", "unannounced visit"), "spot_check": ("专项抽查", "spot check"),
                 "observation": ("观摩", "observation")}.get(str(event.kind), (str(event.kind), str(event.kind)))
        orgs = sep.join(o.code for o in event.orgs)
        day = event.visited_on.isoformat()
        if zh:
            return f"{words[0]}「{event.title}」{day}，{'事先通知' if event.announced else '不打招呼'}；党组织：{orgs}"
        announced = "announced" if event.announced else "unannounced"
        return f"{words[1]} '{event.title}' on {day}, {announced}; organizations: {orgs}"
    if kind == "InspectionFindingsRecorded":
        items = sep.join(f"{f.finding_id} {f.org_code} {f.category}" for f in event.findings)
        return f"发现问题 {len(event.findings)} 个：{items}" if zh else f"{len(event.findings)} finding(s): {items}"
    ids = sep.join(getattr(event, "finding_ids", []))
    if kind == "FindingsReferredToCase":
        return f"{ids} 转入整顿案件 {event.case_id}" if zh else f"{ids} referred to case {event.case_id}"
    if kind == "FindingsReferredToDesignation":
        return f"{ids} 列入 {event.year} 年度认定的直接认定情形" if zh else f"{ids} referred to the {event.year} designation"
    if kind == "FindingsClosed":
        return f"{ids} 办结：{event.note}" if zh else f"{ids} closed: {event.note}"
    if kind == "InspectionClosed":
        return f"检查办结 {event.note}".strip() if zh else f"inspection closed {event.note}".strip()
    return str(kind)  # pragma: no cover


def render_rating_notice(event: Any, stream_id: str, org_name: str = "", lang: Lang = "zh", policy: Policy | None = None) -> str:
    """A star rating's event in one line: histories show it as it is; a notice (``org_name`` given: returned,
    approved, decided, lowered) says first which organization's rating it is."""
    text = _rating_line(event, lang)
    if not org_name:
        return text
    return f"【评星定级】{org_name}（{stream_id}）：{text}" if lang == "zh" else f"[Star rating] {org_name} ({stream_id}): {text}"


def _rating_line(event: Any, lang: Lang) -> str:
    from domain.rating import stars_text

    zh = lang == "zh"
    kind = event.type
    if kind == "RatingOpened":
        last = stars_text(event.previous_level)
        up = f"；晋位升级建议 {event.upgrade_level} 星（{'、'.join(event.upgrade_cases)}）" if event.upgrade_level else ""
        if zh:
            return f"{event.year} 年度评星，标准「{event.standard}」，上年 {last}{up}"
        up = f"; upgrade proposed to {event.upgrade_level}" if event.upgrade_level else ""
        return f"{event.year} star rating, standard '{event.standard}', last year {last}{up}"
    if kind in ("SelfAssessmentSubmitted", "RatingReviewed"):
        a = event.assessment
        vetoes = f"，否决事项 {'、'.join(a.vetoes)}" if a.vetoes and zh else (f", veto {', '.join(a.vetoes)}" if a.vetoes else "")
        return f"总分 {a.total:g}，可评 {a.level} 星{vetoes}" if zh else f"total {a.total:g}, gates grant {a.level} stars{vetoes}"
    if kind == "RatingReturned":
        return f"退回：{event.comment}" if zh else f"returned: {event.comment}"
    if kind == "RatingApproved":
        ends = local(event.publicity_ends).strftime("%Y-%m-%d %H:%M")
        return f"审定 {stars_text(event.level)}，公示至 {ends}" if zh else f"approved {event.level} stars, published until {ends}"
    if kind == "ObjectionRecorded":
        o = event.objection
        return f"{o.objection_id} {o.text}" + (f"（{o.source}）" if o.source else "")
    if kind == "ObjectionResolved":
        verdict = ("成立" if event.upheld else "不成立") if zh else ("upheld" if event.upheld else "dismissed")
        level = f" → {event.level}★" if event.level else ""
        return f"{event.objection_id} {verdict}{level}：{event.note}"
    if kind == "RatingDecided":
        if zh:
            return f"定级 {stars_text(event.level)}（上年 {stars_text(event.previous_level)}）"
        return f"decided {event.level} stars (last year {event.previous_level or '-'})"
    if kind == "VetoEventRecorded":
        v = event.veto
        change = f" {v.level_before}★→{v.level_after}★" if v.level_after is not None else ""
        return f"{v.item} ← {v.source}{change} {v.note}".strip()
    if kind == "RatingArchived":
        return f"归档 {stars_text(event.level)}" if zh else f"archived at {event.level or '-'} stars"
    return str(kind)  # pragma: no cover


def render_directory_notice(event: Any, stream_id: str, org_name: str = "", lang: Lang = "zh", policy: Policy | None = None) -> str:
    """The people directory sends no notices; histories (`pdca person history`) show whom or what an event concerned."""
    person = getattr(event, "person", None) or getattr(event, "admin", None)
    parts = [person.id] if person is not None and hasattr(person, "id") else []
    parts += [str(getattr(event, name)) for name in ("person_id", "what", "file_name") if getattr(event, name, None)]
    return " ".join(parts)


# --------------------------------------------------------------------------- by stream kind

_RENDERERS: dict[str, Callable[..., str]] = {
    "rectification": render_case_notice,
    "project": render_project_notice,
    "campaign": render_campaign_notice,
    "inspection": render_inspection_notice,
    "rating": render_rating_notice,
    "directory": render_directory_notice,
}


_LINK: Template = ("办理：{link}", "Open: {link}")


def render_notice(
    kind: str, event: Any, stream_id: str, org_name: str, lang: Lang = "zh", policy: Policy | None = None, link: str | None = None
) -> str:
    """The words of ``event`` of a stream of ``kind`` (a Decider's name) for a person, in ``lang``;
    ``link``: where the item is in the web console, one tap from the message (i18n.links)."""
    try:
        render = _RENDERERS[kind]
    except KeyError:
        raise ValueError(f"unknown stream kind {kind!r}; known: {', '.join(_RENDERERS)}") from None
    text = render(event, stream_id, org_name, lang, policy)
    return f"{text}\n{pick(_LINK, lang).format(link=link)}" if link else text


_CHANNEL_TEST: Template = (
    "【通道测试】PDCA 通知通道 {channel} 的测试消息（{moment}）。收到即表示配置正确，无需回复。",
    "[Channel test] Test message of PDCA notification channel {channel} ({moment}). No reply needed.",
)


def channel_test_message(channel: str, moment: datetime, lang: Lang = "zh") -> str:
    """The words of a test message through ``channel`` (`pdca notify test`), sent at ``moment``."""
    return pick(_CHANNEL_TEST, lang).format(channel=channel, moment=_when(moment))
