"""What people ask of a star rating: open it, assess, review or return, approve, take objections,
record veto events. Every command refuses unknown keys (``domain.decider.Input``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from domain.decider import Command as _Command
from domain.decider import Input, Tick
from domain.directory import CODE_PATTERN, OrgDomain
from domain.evidence import MAX_FILES, EvidenceFile
from domain.limits import MAX_ID, MAX_ITEMS, MAX_NAME, MAX_REFERENCE, MAX_REFERENCES, MAX_TEXT, Cap, Reference

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
ItemCode = Annotated[str, Field(min_length=1), Cap(MAX_ID)]
Stars = Annotated[int, Field(ge=1, le=5)]


class ItemScoreInput(Input):
    """One point item scored: its code in the standard, the points, the evidence (references, and files
    uploaded to the evidence store, named by their SHA-256), a note."""

    code: ItemCode
    points: float = Field(ge=0, le=1000)
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)
    files: Annotated[list[EvidenceFile], Cap(MAX_FILES)] = Field(default_factory=list)  # uploaded in the console, by SHA-256
    note: Annotated[str, Cap(MAX_TEXT)] = ""


Scores = Annotated[list[ItemScoreInput], Cap(MAX_ITEMS)]
Vetoes = Annotated[list[ItemCode], Cap(MAX_ITEMS)]


class OpenRating(_Command):
    """启动评星: the county opens an organization's rating of ``year`` (opens the stream). Name, township,
    domain, last year's level and the cases that propose 晋位升级 are the directory's and the audit log's,
    read by the workflow before the opening is recorded (a client's values are replaced)."""

    type: Literal["OpenRating"] = "OpenRating"
    org_code: Code
    year: int = Field(ge=2000, le=2100)
    org_name: Annotated[str, Cap(MAX_NAME)] = ""
    region: Annotated[str, Cap(MAX_NAME)] = ""
    domain: OrgDomain | None = None
    previous_level: Stars | None = None
    upgrade_cases: Annotated[list[Annotated[str, Cap(MAX_ID * 2)]], Cap(MAX_ITEMS)] = Field(default_factory=list)
    open_cases: Annotated[list[Annotated[str, Cap(MAX_ID * 2)]], Cap(MAX_ITEMS)] = Field(default_factory=list)
    note: Annotated[str, Cap(MAX_TEXT)] = ""


class SubmitSelfAssessment(_Command):
    """提交自评: the organization scores itself item by item, with evidence, and declares any veto item
    that occurred. Submitted again after a return (退回修改)."""

    type: Literal["SubmitSelfAssessment"] = "SubmitSelfAssessment"
    scores: Scores = Field(min_length=1)
    vetoes: Vetoes = Field(default_factory=list)
    note: Annotated[str, Cap(MAX_TEXT)] = ""


class ReviewRating(_Command):
    """审核上报: the township reviews the self-assessment, corrects item scores where it disagrees (items
    not given keep the organization's), adds veto items it found, and reports it to the county."""

    type: Literal["ReviewRating"] = "ReviewRating"
    scores: Scores = Field(default_factory=list)
    vetoes: Vetoes = Field(default_factory=list)
    comment: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class ReturnRating(_Command):
    """退回: the township returns the self-assessment (退回修改), the county returns the review (退回复核)."""

    type: Literal["ReturnRating"] = "ReturnRating"
    comment: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class ApproveRating(_Command):
    """审定: the county approves a level (default: the highest the gates grant; never above it) and
    publishes it (公示) for the policy's objection window."""

    type: Literal["ApproveRating"] = "ApproveRating"
    level: Stars | None = None
    comment: Annotated[str, Cap(MAX_TEXT)] = ""
    # the workflow's, read from the audit log before the approval is decided (a client's value is replaced):
    # the rating year's cases of the organization, a veto item (case_veto_item) the gates apply now
    open_cases: Annotated[list[Annotated[str, Cap(MAX_ID * 2)]], Cap(MAX_ITEMS)] | None = None


class RecordObjection(_Command):
    """记录异议: an objection received during 公示."""

    type: Literal["RecordObjection"] = "RecordObjection"
    text: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    source: Annotated[str, Cap(MAX_NAME)] = ""


class ResolveObjection(_Command):
    """处理异议: upheld (成立: the level it decides, below the approved one) or dismissed (不成立)."""

    type: Literal["ResolveObjection"] = "ResolveObjection"
    objection_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    upheld: bool
    level: Stars | None = None
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class RecordVetoEvent(_Command):
    """记录否决事项: a veto item of the standard occurred — a rectification case opened against the
    organization (``source`` its id), an inspection finding (``insp-…/F2``), or a county decision
    (``manual``, with a note). Before the level is decided the gates apply it at approval; after, the
    level falls to the veto level (降星). ``source_org`` is the workflow's: read from the audit log."""

    type: Literal["RecordVetoEvent"] = "RecordVetoEvent"
    item: ItemCode
    source: Annotated[str, Cap(MAX_REFERENCE)] = Field(min_length=1)
    note: Annotated[str, Cap(MAX_TEXT)] = ""
    source_org: Annotated[str, Cap(MAX_ID)] | None = None


Command = Annotated[
    OpenRating
    | SubmitSelfAssessment
    | ReviewRating
    | ReturnRating
    | ApproveRating
    | RecordObjection
    | ResolveObjection
    | RecordVetoEvent
    | Tick,
    Field(discriminator="type"),
]
