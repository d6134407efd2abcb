"""Annual campaigns: campaign summary projection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_summary",
        sa.Column("campaign_id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(128), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("designated", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("existing", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("last_check_at", UTCDateTime(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcomes_recorded", sa.Boolean(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_index("ix_campaign_summary_region", "campaign_summary", ["region"])
    op.create_index("ix_campaign_summary_year", "campaign_summary", ["year"])
    op.create_table(
        "campaign_case",
        sa.Column("campaign_id", sa.String(128), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "case_id"),
    )
    op.create_index("ix_campaign_case_case_id", "campaign_case", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_case_case_id", table_name="campaign_case")
    op.drop_table("campaign_case")
    op.drop_index("ix_campaign_summary_year", table_name="campaign_summary")
    op.drop_index("ix_campaign_summary_region", table_name="campaign_summary")
    op.drop_table("campaign_summary")
