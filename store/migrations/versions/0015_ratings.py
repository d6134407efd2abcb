"""Star ratings (评星定级): ``rating_summary``, the projection of the ``star-`` streams
(store/ratings.py; tables as in store/rating_models.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_summary",
        sa.Column("rating_id", sa.String(128), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("domain", sa.String(32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("standard", sa.String(), nullable=False),
        sa.Column("self_total", sa.Float(), nullable=True),
        sa.Column("self_level", sa.Integer(), nullable=True),
        sa.Column("review_total", sa.Float(), nullable=True),
        sa.Column("review_level", sa.Integer(), nullable=True),
        sa.Column("approved_level", sa.Integer(), nullable=True),
        sa.Column("decided_level", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("previous_level", sa.Integer(), nullable=True),
        sa.Column("upgrade_level", sa.Integer(), nullable=True),
        sa.Column("upgrade_cases", sa.Text(), nullable=False),
        sa.Column("veto_items", sa.Text(), nullable=False),
        sa.Column("downgrades", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("objections", sa.Integer(), nullable=False),
        sa.Column("objections_open", sa.Integer(), nullable=False),
        sa.Column("publicity_ends", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("rating_id"),
    )
    op.create_index("ix_rating_summary_org_code", "rating_summary", ["org_code"])
    op.create_index("ix_rating_summary_stage", "rating_summary", ["stage"])
    op.create_index("ix_rating_summary_year_region", "rating_summary", ["year", "region"])


def downgrade() -> None:
    op.drop_table("rating_summary")
