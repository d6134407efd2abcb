"""Tables (projections); see migration 0015 in store/migrations/versions.

Star ratings (评星定级), folded from the audit log with ``domain.rating.evolve``: ``rating_summary``, one
row per organization and year — where the rating stands, the levels at each step (self-assessed,
township-reviewed, approved, decided, now), last year's, what 晋位升级 proposed, veto events and
objections. The designation and the rating report read it (store/ratings.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class RatingSummary(SQLModel, table=True):
    __tablename__ = "rating_summary"
    __table_args__ = (Index("ix_rating_summary_year_region", "year", "region"),)

    rating_id: str = Field(primary_key=True, max_length=128)
    org_code: str = Field(max_length=64, index=True)
    org_name: str
    region: str = Field(max_length=128)
    domain: str | None = Field(default=None, max_length=32)
    year: int
    stage: str = Field(max_length=32, index=True)
    standard: str
    self_total: float | None = None
    self_level: int | None = None
    review_total: float | None = None
    review_level: int | None = None
    approved_level: int | None = None
    decided_level: int | None = None  # the level 公示 ended with
    level: int | None = None  # the level now (after veto events)
    previous_level: int | None = None
    upgrade_level: int | None = None  # the level 晋位升级 proposed (a closed case)
    upgrade_cases: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of case ids
    veto_items: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of veto item codes that occurred
    downgrades: int = 0  # veto events that lowered a decided level (降星)
    returns: int = 0
    objections: int = 0
    objections_open: int = 0
    publicity_ends: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    position: int
    policy_version: str | None = Field(default=None, max_length=64)
