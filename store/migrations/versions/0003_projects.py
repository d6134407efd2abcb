"""Secretary projects (书记项目): project summary and milestone ledgers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_summary",
        sa.Column("project_id", sa.String(128), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("application_status", sa.String(32), nullable=False),
        sa.Column("revision_rounds", sa.Integer(), nullable=False),
        sa.Column("milestones_total", sa.Integer(), nullable=False),
        sa.Column("milestones_done", sa.Integer(), nullable=False),
        sa.Column("overdue_milestones", sa.Integer(), nullable=False),
        sa.Column("quarterly_reports", sa.Integer(), nullable=False),
        sa.Column("reports_due", sa.Integer(), nullable=False),
        sa.Column("reports_missing", sa.Integer(), nullable=False),
        sa.Column("urges_sent", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("next_due", UTCDateTime(), nullable=True),
        sa.Column("final_deadline", UTCDateTime(), nullable=True),
        sa.Column("rating", sa.String(16), nullable=True),
        sa.Column("satisfaction", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("sanction_proposals", sa.Integer(), nullable=False),
        sa.Column("sanctions_pending", sa.Integer(), nullable=False),
        sa.Column("sanctions_approved", sa.Integer(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("project_id"),
    )
    for column in ("level", "org_code", "region", "year", "stage", "overdue"):
        op.create_index(f"ix_project_summary_{column}", "project_summary", [column])
    op.create_table(
        "project_milestone",
        sa.Column("project_id", sa.String(128), nullable=False),
        sa.Column("milestone_id", sa.String(32), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("progress_entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "milestone_id"),
    )


def downgrade() -> None:
    op.drop_table("project_milestone")
    for column in ("level", "org_code", "region", "year", "stage", "overdue"):
        op.drop_index(f"ix_project_summary_{column}", table_name="project_summary")
    op.drop_table("project_summary")
