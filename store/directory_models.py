"""Tables (projections and working data); see the matching migration in store/migrations/versions.

The organization directory (working data imported from files, not an event stream):

- ``organization``: one row per Party organization (code), its current attributes.
- ``assessment``: one row per organization and year: the annual assessment (score, rank, star, class)
  and what happened that year (the secretary, designated or not, acceptance outcome, failed rounds,
  secretary-project rating). It *is* the assessment-history store the memory rules read: imports
  write the assessment columns, campaigns write the outcome columns back (``record_outcome``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class OrganizationRow(SQLModel, table=True):
    __tablename__ = "organization"

    code: str = Field(primary_key=True, max_length=64)
    name: str
    level: str = Field(max_length=32)
    domain: str = Field(max_length=32, index=True)
    parent: str | None = Field(default=None, max_length=64)
    region: str = Field(max_length=128, index=True)
    secretary: str | None = Field(default=None, max_length=128)
    secretary_vacant_since: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    leader: str | None = Field(default=None, max_length=128)
    flags: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of strings
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AssessmentRow(SQLModel, table=True):
    __tablename__ = "assessment"

    org_code: str = Field(
        sa_column=Column(String(64), ForeignKey("organization.code", ondelete="CASCADE"), primary_key=True)
    )
    year: int = Field(primary_key=True, index=True)  # ix_assessment_year: designation reads a year
    score: float | None = None
    rank: int | None = None
    star: int | None = None
    org_class: str | None = Field(default=None, max_length=16)
    person: str | None = Field(default=None, max_length=128)  # the secretary that year
    designated: bool = False
    acceptance: str | None = Field(default=None, max_length=16)  # passed / failed
    failed_acceptances: int = 0
    project_rating: str | None = Field(default=None, max_length=16)
    outcome_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # memory rules this year already served as evidence for (JSON list of rule names; migration 0013)
    memory_proposed: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    updated_at: datetime = Field(sa_type=UTCDateTime)
