"""Notification deliveries (status per channel) and the daily digest queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_delivery",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("digest_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", "recipient", "channel"),
    )
    op.create_index("ix_notice_delivery_channel_status", "notice_delivery", ["channel", "status"])
    op.create_index("ix_notice_delivery_status_recipient", "notice_delivery", ["status", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_notice_delivery_status_recipient", table_name="notice_delivery")
    op.drop_index("ix_notice_delivery_channel_status", table_name="notice_delivery")
    op.drop_table("notice_delivery")
