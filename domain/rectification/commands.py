"""What people ask of a rectification case: the inputs they type and the commands that carry them.

Every command refuses unknown keys (``decider.Input``) and names its actor (``decider.Command``); the
clock is the shared ``Tick`` and a sanction decision the shared ``DecideSanction`` (domain.proposals).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from domain.decider import Command as _Command
from domain.decider import Input, Tick
from domain.directory import HistoryRecord, Pairing
from domain.evidence import MAX_FILES, EvidenceFile
from domain.limits import (
    MAX_ID,
    MAX_ITEMS,
    MAX_LEADERS,
    MAX_MEASURES,
    MAX_NAME,
    MAX_PROBLEMS,
    MAX_REFERENCES,
    MAX_SUMMARY,
    MAX_TEXT,
    Cap,
    Id,
    Name,
    Reference,
)
from domain.proposals import DecideSanction
from domain.timeutil import reject_naive_deadline
from domain.workcal import Offset


class BasisKind(StrEnum):
    RANKING = "ranking"  # 综合考评倒排
    DIRECT = "direct"  # 直接认定情形


class Outcome(StrEnum):
    UPGRADED = "upgraded"  # 晋位升级
    STABLE = "stable"  # 巩固达标


# --------------------------------------------------------------------------- inputs


class Basis(Input):
    kind: BasisKind
    detail: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)  # e.g. "2025年度综合考评倒排第3名" or a direct criterion
    rank: int | None = Field(default=None, ge=1)


class ProblemInput(Input):
    category: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    description: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class Problem(ProblemInput):
    model_config = ConfigDict(extra="ignore")
    id: str
    cycle: int = 1  # the PDCA cycle in which it was found; each cycle's plan must address its own
    source: str | None = None  # where it was found when not at designation: an inspection, e.g. insp-2027-001
    finding_id: str | None = None  # the finding's id in that source (e.g. F2)


class MeasureInput(Input):
    id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    problems: Annotated[list[Id], Cap(MAX_ITEMS)] = Field(min_length=1)
    responsible: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    # 结对帮扶: person ids of pairing units / 联村领导 / 驻村工作队 who share the measure (notified with the
    # responsible person, may report on it)
    partners: Annotated[list[Id], Cap(MAX_LEADERS)] = Field(default_factory=list)
    # A timestamp is tried first: pydantic would otherwise read a midnight timestamp as a bare date.
    deadline: Annotated[AwareDatetime | date | None, Field(union_mode="left_to_right")] = None
    # Or a budget counted from the day the plan is submitted: "20wd" (working days) or "30d".
    budget: Offset | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> MeasureInput:
        if (self.deadline is None) == (self.budget is None):
            raise ValueError("give either deadline (a date or timestamp) or budget (e.g. 20wd), not both")
        return self

    @field_validator("deadline", mode="before")
    @classmethod
    def _reject_naive(cls, value: object) -> object:
        return reject_naive_deadline(value)


# --------------------------------------------------------------------------- commands


class OpenCase(_Command):
    type: Literal["OpenCase"] = "OpenCase"
    org_code: Annotated[str, Cap(MAX_ID)] = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    region: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    basis: Basis
    problems: Annotated[list[ProblemInput], Cap(MAX_PROBLEMS)] = Field(min_length=1)
    leaders: Annotated[list[Name], Cap(MAX_LEADERS)] = Field(min_length=1)
    # Memory across years: this organization's records of previous years as the designation read
    # them (possibly none), and its current secretary (same_secretary rules). A campaign's case carries
    # what its designation read; for a case opened by hand (or by any client) the workflow reads them
    # from the directory before the opening is recorded (memory-recall-v1), whatever the body said.
    # None (a case opened before that): the memory rules are not applied to the case.
    secretary: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None)
    history: Annotated[list[HistoryRecord] | None, Cap(MAX_ITEMS)] = Field(default=None)
    # The organization's pairing units (结对单位, 联村领导, 驻村工作队), read from the directory with the history.
    pairings: Annotated[list[Pairing] | None, Cap(MAX_ITEMS)] = Field(default=None)


class SubmitPlan(_Command):
    type: Literal["SubmitPlan"] = "SubmitPlan"
    measures: Annotated[list[MeasureInput], Cap(MAX_MEASURES)] = Field(min_length=1)
    summary: Annotated[str, Cap(MAX_SUMMARY)] = Field(default="")


class ReturnPlan(_Command):
    type: Literal["ReturnPlan"] = "ReturnPlan"
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class ApprovePlan(_Command):
    type: Literal["ApprovePlan"] = "ApprovePlan"
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class ReportProgress(_Command):
    type: Literal["ReportProgress"] = "ReportProgress"
    measure_id: Annotated[str, Cap(MAX_ID)]
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)  # a file name, a link, an archive number
    files: Annotated[list[EvidenceFile], Cap(MAX_FILES)] = Field(default_factory=list)  # uploaded files, by SHA-256


class CompleteMeasure(_Command):
    """措施完成: with at least one piece of evidence, a reference or an uploaded file."""

    type: Literal["CompleteMeasure"] = "CompleteMeasure"
    measure_id: Annotated[str, Cap(MAX_ID)]
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)
    files: Annotated[list[EvidenceFile], Cap(MAX_FILES)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_evidence(self) -> CompleteMeasure:
        if not self.evidence and not self.files:
            raise ValueError("a completed measure needs evidence: a reference (evidence) or an uploaded file (files)")
        return self


class SubmitSelfCheck(_Command):
    type: Literal["SubmitSelfCheck"] = "SubmitSelfCheck"
    summary: Annotated[str, Cap(MAX_SUMMARY)] = Field(min_length=1)


class RecordAcceptance(_Command):
    type: Literal["RecordAcceptance"] = "RecordAcceptance"
    score: float = Field(ge=0, le=100)
    unsatisfied_share: float = Field(ge=0, le=1)
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class RecordFollowUp(_Command):
    """回头看: a follow-up review during consolidation; a relapse re-opens the PDCA cycle."""

    type: Literal["RecordFollowUp"] = "RecordFollowUp"
    relapsed: bool
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    new_problems: Annotated[list[ProblemInput], Cap(MAX_PROBLEMS)] = Field(default_factory=list)


class CloseCase(_Command):
    type: Literal["CloseCase"] = "CloseCase"
    outcome: Outcome
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class RequestRelief(_Command):
    """暂停/延期申请: the person who needs more time asks, with their own credential; an approver then
    pauses or extends ``request=`` it (the requester proven, never the approver)."""

    type: Literal["RequestRelief"] = "RequestRelief"
    measure_ids: Annotated[list[Id], Cap(MAX_ITEMS)] = Field(default_factory=list)  # empty: the whole case
    reason: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class PauseMeasures(_Command):
    """暂停计时 (换届 etc.): stop the clock of chosen measures, or of every open measure (the whole case).

    ``actor`` approves (a ``deadline_approvers`` role). Who asked is ``request`` (a ``RequestRelief``
    its requester sent: proven) or ``requested_by`` (a name the approver gives: recorded as told);
    never the approver."""

    type: Literal["PauseMeasures"] = "PauseMeasures"
    measure_ids: Annotated[list[Id], Cap(MAX_ITEMS)] = Field(default_factory=list)  # empty: the whole case
    reason: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    requested_by: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None, min_length=1)
    request: Annotated[str | None, Cap(MAX_ID)] = Field(default=None)  # the id of a pending RequestRelief, e.g. "Q1"


class ResumeMeasures(_Command):
    """恢复计时: paused measures resume; each deadline moves by the working days it was paused."""

    type: Literal["ResumeMeasures"] = "ResumeMeasures"
    measure_ids: Annotated[list[Id], Cap(MAX_ITEMS)] = Field(default_factory=list)  # empty: every paused measure
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class ExtendDeadline(_Command):
    """延期: a later deadline for one measure, as a new date/timestamp or as extra time ("10wd")."""

    type: Literal["ExtendDeadline"] = "ExtendDeadline"
    measure_id: Annotated[str, Cap(MAX_ID)]
    to: Annotated[AwareDatetime | date | None, Field(union_mode="left_to_right")] = None
    by: Offset | None = None
    reason: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    requested_by: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None)
    request: Annotated[str | None, Cap(MAX_ID)] = Field(default=None)  # the id of a pending RequestRelief, e.g. "Q1"

    @model_validator(mode="after")
    def _one_way(self) -> ExtendDeadline:
        if (self.to is None) == (self.by is None):
            raise ValueError("give either to (a new date or timestamp) or by (extra time, e.g. 10wd)")
        return self


class FindingInput(Input):
    """One finding of an inspection (明察暗访, 专项抽查, 观摩) that becomes a problem of the case."""

    finding_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    category: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    description: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class RecordFindings(_Command):
    """检查发现问题: findings of an inspection (``source``, e.g. insp-2027-001) become problems of the
    case's current cycle; the plan must then address them (a supplementary plan once it is approved)."""

    type: Literal["RecordFindings"] = "RecordFindings"
    source: Annotated[str, Cap(MAX_ID)] = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:/-]+$")
    findings: Annotated[list[FindingInput], Cap(MAX_PROBLEMS)] = Field(min_length=1)


class RecordExecution(_Command):
    """落实问责: what was done on an approved 组织调整 or 诫勉谈话 proposal, and when; for 组织调整 the new
    secretary (撤换) if the post changed hands. Who recorded it is the verified actor."""

    type: Literal["RecordExecution"] = "RecordExecution"
    proposal_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    action: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)  # e.g. "免去张某某村党支部书记职务"
    executed_on: date
    new_secretary: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None, min_length=1)


Command = Annotated[
    OpenCase
    | SubmitPlan
    | ReturnPlan
    | ApprovePlan
    | ReportProgress
    | CompleteMeasure
    | SubmitSelfCheck
    | RecordAcceptance
    | RecordFollowUp
    | CloseCase
    | RequestRelief
    | PauseMeasures
    | ResumeMeasures
    | ExtendDeadline
    | DecideSanction
    | RecordExecution
    | RecordFindings
    | Tick,
    Field(discriminator="type"),
]
