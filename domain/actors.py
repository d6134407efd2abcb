"""Who may act, and on which organizations."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    SUPERVISOR = "supervisor"  # 组织部督导员
    COUNTY_LEADER = "county_leader"  # 县级包联领导
    TOWNSHIP_SECRETARY = "township_secretary"  # 乡镇（街道）党（工）委书记
    BRANCH_SECRETARY = "branch_secretary"  # 村（社区）党组织书记
    COMMITTEE_MEMBER = "committee_member"  # 党组织委员: leads its own 委员项目 (docs/projects.md)
    FIRST_SECRETARY = "first_secretary"  # 驻村第一书记
    ADMIN = "admin"  # 系统管理员: keeps the people directory (docs/security.md)
    SYSTEM = "system"  # 系统（定时器）


class Actor(BaseModel):
    id: str = Field(min_length=1)
    name: str = ""
    roles: list[Role] = Field(min_length=1)
    # Organization codes, region names, or "*" for every organization.
    scope: list[str] = Field(default_factory=lambda: ["*"])
    # Contacts and notification preferences (docs/notifications.md). ``exclude=True``: they are read
    # by the notifier from the directory file and never serialized into commands, Temporal history
    # or the audit log, which only ever carry the actor's id.
    email: str | None = Field(default=None, exclude=True)
    mobile: str | None = Field(default=None, exclude=True)  # @-mentioned in DingTalk / WeCom group messages
    channels: list[str] | None = Field(default=None, exclude=True)  # channel names; None: the configured default
    digest: bool = Field(default=False, exclude=True)  # one daily digest instead of a message per notice

    def may_act_on(self, org_code: str, region: str) -> bool:
        return "*" in self.scope or org_code in self.scope or region in self.scope

    def has_any(self, roles: frozenset[Role]) -> bool:
        return any(role in roles for role in self.roles)


SYSTEM_ACTOR = Actor(id="system", name="系统", roles=[Role.SYSTEM])
