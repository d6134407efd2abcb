"""What people (a supervisor) and the campaign workflow ask of a campaign."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from domain.actors import SYSTEM_ACTOR, Actor
from domain.campaign.figures import CampaignFigures
from domain.decider import Command as _Command
from domain.directory import OrgClass
from domain.limits import MAX_DESIGNEES, MAX_ID, MAX_NAME, MAX_TEXT, Cap
from domain.rectification import OpenCase


class OpenCampaign(_Command):
    type: Literal["OpenCampaign"] = "OpenCampaign"
    region: Annotated[str | None, Cap(MAX_NAME)] = Field(default=None)
    year: int = Field(ge=2000, le=2100)


class ApproveDesignation(_Command):
    """The designation list, approved by a supervisor: one opening command per designated organization."""

    type: Literal["ApproveDesignation"] = "ApproveDesignation"
    designees: Annotated[list[OpenCase], Cap(MAX_DESIGNEES)] = Field(min_length=1)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")
    # The 分类 result (一/二/三类) and the list's name for each designee (org code → …), recorded with it.
    classes: Annotated[dict[str, OrgClass], Cap(MAX_DESIGNEES)] = Field(default_factory=dict)
    labels: Annotated[dict[str, Annotated[str, Cap(MAX_NAME)]], Cap(MAX_DESIGNEES)] = Field(default_factory=dict)


class RecordDesignationStep(_Command):
    """One step of the designation procedure (policy ``designation.steps``, e.g. 县级领导遍访), recorded by
    a person holding the step's role: notes, and optionally the organizations the step puts on the list."""

    type: Literal["RecordDesignationStep"] = "RecordDesignationStep"
    step: str = Field(min_length=1, max_length=40)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)
    org_codes: Annotated[list[Annotated[str, Cap(MAX_ID)]], Cap(MAX_DESIGNEES)] = Field(default_factory=list)


class RecordStarts(_Command):
    """Issued by the workflow after a batch of child starts: which approved cases now run."""

    type: Literal["RecordStarts"] = "RecordStarts"
    actor: Actor = SYSTEM_ACTOR
    started: list[str] = Field(default_factory=list)
    existing: list[str] = Field(default_factory=list)


class RecordCheck(_Command):
    type: Literal["RecordCheck"] = "RecordCheck"
    actor: Actor = SYSTEM_ACTOR
    figures: CampaignFigures


class CloseYear(_Command):
    """Act: close the year. People send it without figures; the workflow adds the final figures."""

    type: Literal["CloseYear"] = "CloseYear"
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")
    figures: CampaignFigures | None = None


class RecordOutcomes(_Command):
    """Issued by the workflow once the outcomes were written back to the organizations' history."""

    type: Literal["RecordOutcomes"] = "RecordOutcomes"
    actor: Actor = SYSTEM_ACTOR
    organizations: int = Field(ge=0)


Command = Annotated[
    OpenCampaign | ApproveDesignation | RecordStarts | RecordCheck | CloseYear | RecordOutcomes | RecordDesignationStep,
    Field(discriminator="type"),
]
# Commands only the workflow itself issues (the opening is in its input; starts, checks and outcomes
# are its own bookkeeping): people send RecordDesignationStep, ApproveDesignation and CloseYear through
# the `command` Update.
INTERNAL_COMMANDS = frozenset({"OpenCampaign", "RecordStarts", "RecordCheck", "RecordOutcomes"})
