"""Tables (projections and working data); see migration 0012 in store/migrations/versions.

Inspections (明察暗访、专项抽查、观摩), folded from the audit log with ``domain.inspection.evolve``:
``inspection_summary`` (one row per inspection) and ``inspection_finding`` (one row per finding, with how
it was disposed of: the designation reads the rows referred to it, ``store.inspections``).

Pairing units (1+N 结对共建单位、联村领导、驻村工作队), working data imported from a file (``store.pairings``):
``pairing_unit`` (one row per unit, its people) and ``pairing_link`` (unit × organization paired).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Text
from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class InspectionSummary(SQLModel, table=True):
    __tablename__ = "inspection_summary"

    inspection_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(index=True)
    kind: str = Field(max_length=32)  # unannounced / spot_check / observation
    visited_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    announced: bool
    title: str
    inspector: str = Field(max_length=128)
    companions: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of actor ids
    org_codes: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of codes visited
    region: str = Field(max_length=128)  # "" when the visit spanned several regions
    stage: str = Field(max_length=32, index=True)
    findings_total: int
    findings_open: int
    findings_to_case: int
    findings_to_designation: int
    findings_closed: int
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    position: int
    policy_version: str | None = Field(default=None, max_length=64)


class InspectionFinding(SQLModel, table=True):
    __tablename__ = "inspection_finding"

    inspection_id: str = Field(primary_key=True, max_length=64)
    finding_id: str = Field(primary_key=True, max_length=16)
    org_code: str = Field(max_length=64, index=True)
    category: str
    description: str
    status: str = Field(max_length=16)  # open / case / designation / closed
    case_id: str | None = Field(default=None, max_length=128)
    designation_year: int | None = Field(default=None, index=True)
    note: str = ""
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    disposed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disposed_by: str | None = Field(default=None, max_length=128)


class PairingUnitRow(SQLModel, table=True):
    __tablename__ = "pairing_unit"

    unit_code: str = Field(primary_key=True, max_length=64)
    unit_name: str
    kind: str = Field(max_length=32)  # paired_unit / liaison_leader / work_team
    people: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of actor ids
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PairingLinkRow(SQLModel, table=True):
    __tablename__ = "pairing_link"

    unit_code: str = Field(primary_key=True, max_length=64)
    org_code: str = Field(primary_key=True, max_length=64, index=True)
