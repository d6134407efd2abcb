"""Tables (projections and working data); see the matching migration in store/migrations/versions.

Secretary projects (书记项目): ``project_summary`` (one row per project) and ``project_milestone``
(the milestone ledger), both folded from the audit log with ``domain.project.evolve``.
The reports area reads these column names: keep them stable.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.db import UTCDateTime


class ProjectSummary(SQLModel, table=True):
    __tablename__ = "project_summary"

    project_id: str = Field(primary_key=True, max_length=128)
    level: str = Field(max_length=32, index=True)  # secretary / committee_member / branch
    org_code: str = Field(max_length=64, index=True)
    org_name: str
    region: str = Field(max_length=128, index=True)
    year: int = Field(index=True)
    owner: str = Field(max_length=128, index=True)  # the leading person's actor id (secretary, member, branch)
    title: str = ""
    stage: str = Field(max_length=32, index=True)
    application_status: str = Field(max_length=32)
    revision_rounds: int  # times the application was returned for revision
    milestones_total: int
    milestones_done: int
    overdue_milestones: int  # not done and past their deadline (notice sent)
    quarterly_reports: int  # reports submitted
    reports_due: int  # reports owed in all
    reports_missing: int  # owed, past due, not submitted
    urges_sent: int  # 催办 notices sent
    overdue: bool = Field(index=True)
    next_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    final_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: str | None = Field(default=None, max_length=16)  # good / medium / poor
    satisfaction: float | None = None
    outcome: str | None = Field(default=None, max_length=32)  # promoted / closed / rejected
    sanction_proposals: int  # proposals raised
    sanctions_pending: int
    sanctions_approved: int
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    position: int
    policy_version: str | None = Field(default=None, max_length=64)


class ProjectMilestone(SQLModel, table=True):
    __tablename__ = "project_milestone"

    project_id: str = Field(primary_key=True, max_length=128)
    milestone_id: str = Field(primary_key=True, max_length=32)
    description: str
    deadline: datetime = Field(sa_type=UTCDateTime)
    done: bool
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool  # completed after its deadline
    overdue: bool  # not done, past its deadline
    progress_entries: int  # progress-ledger entries about this milestone
