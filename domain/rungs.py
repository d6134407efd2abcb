"""The escalation ladder's rungs (问责阶梯) and what a person decides about a sanction proposal, in their
own module so every policy section and every kind of case (rectification, project) names them the same way."""

from __future__ import annotations

from enum import StrEnum


class Rung(StrEnum):
    """The escalation ladder, mildest first (问责阶梯)."""

    REMINDER = "reminder"  # 提醒
    REMINDER_TALK = "reminder_talk"  # 提醒谈话
    SUPERVISION_NOTICE = "supervision_notice"  # 发函督办/通报
    ADMONISHMENT_TALK = "admonishment_talk"  # 诫勉谈话
    PERSONNEL_ADJUSTMENT = "personnel_adjustment"  # 组织调整


class SanctionDecision(StrEnum):
    """A person's decision on a sanction proposal."""

    APPROVED = "approved"  # 同意
    DISMISSED = "dismissed"  # 不予处理


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DISMISSED = "dismissed"
    LAPSED = "lapsed"  # undecided by its deadline
