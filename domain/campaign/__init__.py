"""The annual campaign (年度整顿工作): the committee-level PDCA loop over a region's cases, as a decider.

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                 total, never refuses

One campaign per region and year, stream ``camp-{region}-{year}`` (see ``campaign_id_for``):

    Plan   OpenCampaign, RecordDesignationStep (the policy's designation steps, e.g. 县级领导遍访 →
           乡镇党委摸排 → 联席会诊 → 常委会审定, in order, each by a person with the step's role),
           ApproveDesignation (a supervisor approves the designees once every step is recorded, with
           each designee's 分类 result and label; approving again amends: organizations already
           approved are skipped, never duplicated)
    Do     CasesStarted (the workflow starts each approved case as a child rectification workflow and
           records, batch by batch, which case ids it started and which already existed)
    Check  CheckRecorded (a snapshot of the figures over the campaign's cases, when they changed)
    Act    YearClosed (the year-end summary: on-time rate, carried-over cases, upgrades), then
           OutcomesRecorded (the write-back to the organizations' history that next year's
           designation and memory rules read)

Pure: no I/O, no clock (``ctx.now`` is given), no Temporal. The modules:

    ids        stream ids (``campaign_id_for``, ``region_token``)
    figures    what the Check and Act steps see (``CampaignFigures``, ``YearEndSummary``)
    commands   what is asked;  events  what is recorded (and the JSON adapters)
    state      the fold of the events;  decide  the rules;  evolve  the fold
    clock      the workflow's pace (monthly check, year end, batches of starts)

``DECIDER`` is this kind as a value (domain/decider.py), for generic code.
"""

from __future__ import annotations

from domain.campaign.clock import CampaignSettings, next_batch, next_check_at, year_end_at
from domain.campaign.commands import (
    INTERNAL_COMMANDS,
    ApproveDesignation,
    CloseYear,
    Command,
    OpenCampaign,
    RecordCheck,
    RecordDesignationStep,
    RecordOutcomes,
    RecordStarts,
)
from domain.campaign.decide import ALLOWED_STAGES, ROLES_ALLOWED, accepts, decide
from domain.campaign.events import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    NOTICE_EVENTS,
    CampaignOpened,
    CasesStarted,
    CheckRecorded,
    DesignationApproved,
    DesignationStepRecorded,
    Event,
    OutcomesRecorded,
    YearClosed,
)
from domain.campaign.evolve import evolve
from domain.campaign.figures import CampaignFigures, ProjectCounts, YearEndSummary
from domain.campaign.ids import ALL_REGIONS, KIND, PREFIX, campaign_id_for, region_token
from domain.campaign.state import INITIAL_STATE, CampaignCase, CampaignStage, CampaignState, StartStatus, StepRecord, is_terminal
from domain.decider import Decider, no_calendar, no_wakeup

DECIDER: Decider[CampaignState, Command, Event] = Decider(
    name=KIND,
    prefix=PREFIX,
    initial=INITIAL_STATE,
    commands=COMMAND_ADAPTER,
    events=EVENT_ADAPTER,
    notice_events=NOTICE_EVENTS,
    decide=decide,
    evolve=evolve,
    is_terminal=is_terminal,
    next_wakeup=no_wakeup,
    calendar_years=no_calendar,
    internal_commands=INTERNAL_COMMANDS,
    # decisions that judge a person, signed by who decides (docs/security.md)
    signed_commands=frozenset({"ApproveDesignation"}),
)
fold = DECIDER.fold

__all__ = [
    "ALLOWED_STAGES",
    "ALL_REGIONS",
    "COMMAND_ADAPTER",
    "DECIDER",
    "EVENT_ADAPTER",
    "INITIAL_STATE",
    "KIND",
    "NOTICE_EVENTS",
    "PREFIX",
    "ROLES_ALLOWED",
    "accepts",
    "ApproveDesignation",
    "CampaignCase",
    "CampaignFigures",
    "CampaignOpened",
    "CampaignSettings",
    "CampaignStage",
    "CampaignState",
    "CasesStarted",
    "CheckRecorded",
    "CloseYear",
    "Command",
    "DesignationApproved",
    "DesignationStepRecorded",
    "Event",
    "OpenCampaign",
    "OutcomesRecorded",
    "ProjectCounts",
    "RecordCheck",
    "RecordDesignationStep",
    "RecordOutcomes",
    "RecordStarts",
    "StartStatus",
    "StepRecord",
    "YearClosed",
    "YearEndSummary",
    "campaign_id_for",
    "decide",
    "evolve",
    "fold",
    "is_terminal",
    "next_batch",
    "next_check_at",
    "region_token",
    "year_end_at",
]
