"""The web console's words and the template helpers that pick them: Chinese first, English on request.

Templates call ``t("我的待办", "My tasks")`` (the pair inline, where it is read), ``label(key)`` for the
shared labels (i18n/labels.py: stages, events, roles, rungs), ``when(moment)`` for a time in Beijing,
and ``command(type)`` for what a waiting decision asks.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from domain.timeutil import local
from i18n.labels import label as shared_label

RP_NAME = "PDCA 整改"  # the relying party's name a passkey prompt shows

COMMANDS: dict[str, tuple[str, str]] = {
    "SubmitPlan": ("编制整改方案", "write the rectification plan"),
    "ApprovePlan": ("审核整改方案", "review the plan"),
    "ReturnPlan": ("退回方案", "return the plan"),
    "ReportProgress": ("报告进展", "report progress"),
    "CompleteMeasure": ("措施完成", "report completion"),
    "SubmitSelfCheck": ("提交自查", "submit the self-check"),
    "RecordAcceptance": ("检查验收", "record the acceptance"),
    "RecordFollowUp": ("回头看", "follow-up review"),
    "CloseCase": ("销号", "close the case"),
    "RequestRelief": ("申请暂停或延期", "ask for a pause or extension"),
    "PauseMeasures": ("审批暂停/延期申请", "decide a pause or extension request"),
    "ResumeMeasures": ("恢复计时", "resume the clock"),
    "ExtendDeadline": ("延期", "extend a deadline"),
    "DecideSanction": ("问责提议审批", "decide a sanction proposal"),
}

LIGHTS: dict[str, tuple[str, str]] = {
    "green": ("正常", "on track"),
    "yellow": ("临近", "due soon"),
    "red": ("逾期", "overdue"),
    "paused": ("暂停计时", "paused"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


@pass_context
def t(context: Context, zh: str, en: str) -> str:
    return zh if context.get("lang", "zh") == "zh" else en


@pass_context
def label(context: Context, key: str) -> str:
    return shared_label(key, context.get("lang", "zh"))


@pass_context
def command(context: Context, kind: str) -> str:
    return pick(COMMANDS.get(kind, (kind, kind)), context.get("lang", "zh"))


@pass_context
def light_word(context: Context, value: Any) -> str:
    return pick(LIGHTS.get(str(value), (str(value), str(value))), context.get("lang", "zh"))


def when(value: datetime | date | str | None, with_time: bool = True) -> str:
    if value is None or value == "":
        return "-"
    moment: datetime | date
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if isinstance(moment, datetime):
        return local(moment).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return moment.isoformat()


# what a plan or report form's fields are called on the page, for a refusal that names a field
FIELDS: dict[str, tuple[str, str]] = {
    "measures": ("整改措施", "measures"),
    "id": ("编号", "id"),
    "description": ("措施内容", "description"),
    "problems": ("针对问题", "problems addressed"),
    "responsible": ("责任人", "responsible person"),
    "deadline": ("完成时限", "deadline"),
    "budget": ("工作日数", "working-day budget"),
    "note": ("情况说明", "note"),
    "summary": ("说明", "summary"),
    "comments": ("意见", "comments"),
    "comment": ("意见", "comment"),
    "score": ("验收得分", "score"),
    "unsatisfied_share": ("群众不满意率", "people unsatisfied"),
    "reason": ("理由", "reason"),
    "evidence": ("佐证", "evidence"),
    "files": ("佐证文件", "evidence files"),
    "outcome": ("结果", "outcome"),
    "decision": ("决定", "decision"),
    "proposal_id": ("提议", "proposal"),
    "measure_id": ("措施", "measure"),
    "measure_ids": ("措施", "measures"),
    "request": ("申请编号", "request"),
    "by": ("延长", "extension"),
    "to": ("新时限", "new deadline"),
}


def field_path(location: str, lang: str) -> str:
    """``measures.0.description`` as a person reads it: 整改措施 1 · 措施内容 / measures 1 · description."""
    words: list[str] = []
    for part in location.split("."):
        if part.isdigit():
            words[-1:] = [f"{words[-1]} {int(part) + 1}"] if words else [str(int(part) + 1)]
        else:
            words.append(pick(FIELDS.get(part, (part, part)), lang))
    return " · ".join(words)


REASONS: dict[str, tuple[str, str]] = {
    "String should have at least 1 character": ("必填", "required"),
    "Field required": ("必填", "required"),
    "List should have at least 1 item after validation, not 0": ("至少选一项", "choose at least one"),
}


def field_reason(reason: str, lang: str) -> str:
    """A validation message in the page's words where it has one (pydantic's English otherwise)."""
    reason = reason.removeprefix("Value error, ")
    if reason in REASONS:
        return pick(REASONS[reason], lang)
    if (too_long := re.fullmatch(r"String should have at most (\d+) characters?", reason)) and lang == "zh":
        return f"过长，最多 {too_long.group(1)} 字"
    if (too_many := re.fullmatch(r"List should have at most (\d+) items? after validation, not \d+", reason)) and lang == "zh":
        return f"过多，最多 {too_many.group(1)} 项"
    return reason


def refusal(code: str | None, message: str, lang: str) -> str:
    """A refusal as a page shows it: its label (as the CLI prints it) and the reason."""
    sep = "：" if lang == "zh" else ": "
    return f"{shared_label('error.' + code, lang)}{sep}{message}" if code else message


def install(env: Environment) -> None:
    env.globals.update(t=t, label=label, command=command, light_word=light_word, when=when)
