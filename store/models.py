"""Tables. ``audit_event`` is the record; everything else is a projection rebuilt from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("stream_id", "version", name="uq_audit_event_stream_version"),
        # events by type within a scope's cases (the console's dashboard and 我的待办; migration 0008)
        Index("ix_audit_event_type_stream", "event_type", "stream_id"),
    )

    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    event_id: str = Field(max_length=64, unique=True)
    stream_id: str = Field(max_length=128, index=True)
    version: int
    event_type: str = Field(max_length=64)
    actor: str = Field(max_length=128)
    policy_version: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class CaseSummary(SQLModel, table=True):
    __tablename__ = "case_summary"
    # the scrape-time gauges read only this index (store.dashboard_queries.open_case_counts; migration 0010)
    __table_args__ = (Index("ix_case_summary_gauges", "kind", "stage", "region", "overdue", "overdue_measures"),)

    case_id: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=32)
    org_code: str = Field(max_length=64, index=True)
    org_name: str
    region: str = Field(max_length=128, index=True)
    year: int
    stage: str = Field(max_length=32, index=True)
    cycle: int
    plan_status: str = Field(max_length=32)
    plan_round: int
    plan_returns: int
    measures_total: int
    measures_done: int
    overdue_measures: int
    escalations: int
    overdue: bool = Field(index=True)
    next_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consolidation_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=32)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    position: int
    policy_version: str | None = Field(default=None, max_length=64)
    # Rectification timing (issue 4, migration 0006): nullable so existing rows need no default.
    paused_measures: int | None = None
    case_paused: bool | None = None
    extensions: int | None = None
    sanctions_pending: int | None = None


class MeasureLedger(SQLModel, table=True):
    __tablename__ = "measure_ledger"

    case_id: str = Field(primary_key=True, max_length=128)
    measure_id: str = Field(primary_key=True, max_length=64)
    cycle: int
    description: str
    problems: str  # comma-separated problem ids
    responsible: str = Field(max_length=128, index=True)
    deadline: datetime = Field(sa_type=UTCDateTime)
    done: bool
    overdue: bool
    progress_reports: int
    reminders: str  # comma-separated leads already sent
    escalations: str  # comma-separated rungs already fired
    completed_by: str | None = Field(default=None, max_length=128)
    # Rectification timing (issue 4, migration 0006).
    budget: str | None = Field(default=None, max_length=16)  # "20wd" when the deadline came from a budget
    original_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused: bool | None = None
    paused_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_working_days: int | None = None  # working days added by resumed pauses
    extensions: int | None = None
    proposals_pending: int | None = None
    # 结对帮扶 (issue 14, migration 0013): the measure's partners as ",id1,id2," (empty: none), matched with LIKE '%,id,%'
    partners: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SanctionLedger(SQLModel, table=True):
    """Sanction proposals (问责提议) and their decisions, one row per proposal."""

    __tablename__ = "sanction_ledger"

    case_id: str = Field(primary_key=True, max_length=128)
    proposal_id: str = Field(primary_key=True, max_length=32)
    measure_id: str | None = Field(default=None, max_length=64)
    rung: str = Field(max_length=32)
    source: str = Field(max_length=16)
    status: str = Field(max_length=16, index=True)
    reason: str | None = None
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    decide_by: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = None


class ProblemLedger(SQLModel, table=True):
    __tablename__ = "problem_ledger"

    case_id: str = Field(primary_key=True, max_length=128)
    problem_id: str = Field(primary_key=True, max_length=16)
    cycle: int
    category: str = Field(max_length=64)
    description: str
    source: str | None = Field(default=None, max_length=128)  # an inspection's id, for problems from its findings (issue 14)
