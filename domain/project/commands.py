"""What people ask of a secretary project (书记项目): the application they type and the commands.

Every command refuses unknown keys (``domain.decider.Input``); ``DecideSanction`` and ``Tick`` are the
ones every kind shares."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field

from domain.decider import Command as _Command
from domain.decider import Input, Tick
from domain.limits import MAX_ID, MAX_ITEMS, MAX_NAME, MAX_REFERENCES, MAX_SUMMARY, MAX_TEXT, Cap, Reference, Text
from domain.project.state import Level, Rating
from domain.proposals import DecideSanction
from domain.timeutil import reject_naive_deadline

# A date (due at the policy's time of day, Beijing) or a timestamp with its offset; a naive one is refused.
DeadlineInput = Annotated[AwareDatetime | date, Field(union_mode="left_to_right"), BeforeValidator(reject_naive_deadline)]


class MilestoneInput(Input):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    description: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    deadline: DeadlineInput


class ApplicationInput(Input):
    """The 立项 application: the problem, goals, measures, milestones and the final deadline."""

    title: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    problem: Annotated[str, Cap(MAX_SUMMARY)] = Field(min_length=1)
    goals: Annotated[list[Text], Cap(MAX_ITEMS)] = Field(min_length=1)
    measures: Annotated[list[Text], Cap(MAX_ITEMS)] = Field(min_length=1)
    milestones: Annotated[list[MilestoneInput], Cap(MAX_ITEMS)] = Field(min_length=1)
    deadline: DeadlineInput


class ApplyProject(_Command):
    """立项申请. The acting secretary becomes the project's owner."""

    type: Literal["ApplyProject"] = "ApplyProject"
    level: Level
    org_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    region: Annotated[str, Cap(MAX_NAME)] = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    application: ApplicationInput
    # The id names the leading person (the applicant) for a 委员项目 or 支部项目, so an organization has
    # any number of them a year: set by the project workflow since ``project-per-person-v1`` (whatever
    # the client sent); openings recorded before it lack it and keep the id of one per level,
    # organization and year.
    per_person: bool = False


class ReviseApplication(_Command):
    type: Literal["ReviseApplication"] = "ReviseApplication"
    application: ApplicationInput
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class ReturnApplication(_Command):
    type: Literal["ReturnApplication"] = "ReturnApplication"
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class ApproveApplication(_Command):
    type: Literal["ApproveApplication"] = "ApproveApplication"
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class RejectApplication(_Command):
    type: Literal["RejectApplication"] = "RejectApplication"
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class RecordProgress(_Command):
    """进展台账: one entry of the progress ledger, optionally about a milestone."""

    type: Literal["RecordProgress"] = "RecordProgress"
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    milestone_id: Annotated[str | None, Cap(MAX_ID)] = Field(default=None)
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)


class CompleteMilestone(_Command):
    type: Literal["CompleteMilestone"] = "CompleteMilestone"
    milestone_id: Annotated[str, Cap(MAX_ID)]
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")
    evidence: Annotated[list[Reference], Cap(MAX_REFERENCES)] = Field(default_factory=list)


class SubmitQuarterlyReport(_Command):
    type: Literal["SubmitQuarterlyReport"] = "SubmitQuarterlyReport"
    quarter: int = Field(ge=1, le=4)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class EvaluateProject(_Command):
    """年终评价: good / medium / poor with the satisfaction share (0–1)."""

    type: Literal["EvaluateProject"] = "EvaluateProject"
    rating: Rating
    satisfaction: float = Field(ge=0, le=1)
    comments: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class PromoteProject(_Command):
    type: Literal["PromoteProject"] = "PromoteProject"
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class CloseProject(_Command):
    type: Literal["CloseProject"] = "CloseProject"
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


Command = Annotated[
    ApplyProject
    | ReviseApplication
    | ReturnApplication
    | ApproveApplication
    | RejectApplication
    | RecordProgress
    | CompleteMilestone
    | SubmitQuarterlyReport
    | EvaluateProject
    | PromoteProject
    | CloseProject
    | DecideSanction
    | Tick,
    Field(discriminator="type"),
]

