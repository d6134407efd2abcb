"""The escalation ladder's rungs (问责阶梯), in their own module so every policy section can name them."""

from __future__ import annotations

from enum import StrEnum


class Rung(StrEnum):
    """The escalation ladder, mildest first (问责阶梯)."""

    REMINDER = "reminder"  # 提醒
    REMINDER_TALK = "reminder_talk"  # 提醒谈话
    SUPERVISION_NOTICE = "supervision_notice"  # 发函督办/通报
    ADMONISHMENT_TALK = "admonishment_talk"  # 诫勉谈话
    PERSONNEL_ADJUSTMENT = "personnel_adjustment"  # 组织调整
