"""The web console's words and the template helpers that pick them: Chinese first, English on request.

Templates call ``t("我的待办", "My tasks")`` (the pair inline, where it is read), ``label(key)`` for the
shared labels (i18n/labels.py: stages, events, roles, rungs), ``when(moment)`` for a time in Beijing,
and ``command(type)`` for what a waiting decision asks.
"""

from __future__ import annotations

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


def install(env: Environment) -> None:
    env.globals.update(t=t, label=label, command=command, light_word=light_word, when=when)
