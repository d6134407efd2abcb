"""What people ask of an inspection: record the visit, add findings, dispose of each finding.

Every command refuses unknown keys (``domain.decider.Input``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from domain.decider import Command as _Command
from domain.decider import Input, Tick
from domain.directory import CODE_PATTERN
from domain.inspection.state import VisitKind
from domain.limits import MAX_ID, MAX_ITEMS, MAX_NAME, MAX_REFERENCES, MAX_TEXT, Cap, Id, Reference

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]


class VisitedOrgInput(Input):
    """An organization visited, as the directory holds it (the service fills name and region in)."""

    code: Code
    name: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    region: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)


class FindingInput(Input):
    """One problem found at one organization visited."""

    org_code: Code
    category: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)  # e.g. 组织生活, 阵地建设, 三务公开
    description: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)


class RecordInspection(_Command):
    """记录检查: the visit (opens the inspection's stream). The acting person is the inspector."""

    type: Literal["RecordInspection"] = "RecordInspection"
    year: int = Field(ge=2000, le=2100)
    number: int = Field(ge=1, le=999)
    kind: VisitKind
    visited_on: date
    announced: bool = False  # 明察暗访: never announced
    title: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    orgs: Annotated[list[VisitedOrgInput], Cap(MAX_ITEMS)] = Field(min_length=1)
    companions: Annotated[list[Id], Cap(MAX_ITEMS)] = Field(default_factory=list)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")
    findings: Annotated[list[FindingInput], Cap(MAX_ITEMS)] = Field(default_factory=list)


class RecordFindings(_Command):
    """记录发现的问题: more findings of the visit."""

    type: Literal["RecordFindings"] = "RecordFindings"
    findings: Annotated[list[FindingInput], Cap(MAX_ITEMS)] = Field(min_length=1)


FindingIds = Annotated[list[Annotated[str, Cap(MAX_ID)]], Cap(MAX_ITEMS)]


class ReferToCase(_Command):
    """转入整顿案件: the findings became problems of ``case_id`` (the service recorded them there first)."""

    type: Literal["ReferToCase"] = "ReferToCase"
    finding_ids: FindingIds = Field(min_length=1)
    case_id: Annotated[str, Cap(MAX_ID * 2)] = Field(min_length=1)


class ReferToDesignation(_Command):
    """列入认定: the findings are direct criteria of ``year``'s designation (软弱涣散党组织认定)."""

    type: Literal["ReferToDesignation"] = "ReferToDesignation"
    finding_ids: FindingIds = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class CloseFindings(_Command):
    """办结: the findings need nothing more (corrected on the spot, or not upheld); the note says why."""

    type: Literal["CloseFindings"] = "CloseFindings"
    finding_ids: FindingIds = Field(min_length=1)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class CloseInspection(_Command):
    """办结检查: every finding disposed of; the inspection accepts no more commands."""

    type: Literal["CloseInspection"] = "CloseInspection"
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


Command = Annotated[
    RecordInspection | RecordFindings | ReferToCase | ReferToDesignation | CloseFindings | CloseInspection | Tick,
    Field(discriminator="type"),
]
