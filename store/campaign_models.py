"""Tables (projections and working data); see the matching migration in store/migrations/versions.

Campaign projections, folded from ``camp-`` streams with ``domain.campaign.evolve``:

- ``campaign_summary``: one row per campaign (region + year): stage, counts, the last Check figures
  and the year-end summary (JSON text, as the domain models dump them).
- ``campaign_case``: one row per approved organization: its case id and whether the campaign started
  it, found it already running, or has yet to start it. The Check step joins it with ``case_summary``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class CampaignSummary(SQLModel, table=True):
    __tablename__ = "campaign_summary"

    campaign_id: str = Field(primary_key=True, max_length=128)
    region: str | None = Field(default=None, max_length=128, index=True)
    year: int = Field(index=True)
    stage: str = Field(max_length=32)
    designated: int = 0
    started: int = 0
    existing: int = 0
    pending: int = 0
    approvals: int = 0
    batches: int = 0
    checks: int = 0
    last_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    figures: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # CampaignFigures JSON
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # YearEndSummary JSON
    outcomes_recorded: bool = False
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    position: int


class CampaignCaseRow(SQLModel, table=True):
    __tablename__ = "campaign_case"

    campaign_id: str = Field(primary_key=True, max_length=128)
    case_id: str = Field(primary_key=True, max_length=128, index=True)
    org_code: str = Field(max_length=64)
    org_name: str
    region: str = Field(max_length=128)
    basis: str = Field(max_length=32)
    round: int
    status: str = Field(max_length=16)
