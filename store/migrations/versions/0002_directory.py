"""Organization directory, assessments, assessment history (memory across years), designations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("domain", sa.String(32), nullable=False),
        sa.Column("parent", sa.String(64), nullable=True),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("secretary", sa.String(128), nullable=True),
        sa.Column("secretary_vacant_since", sa.Date(), nullable=True),
        sa.Column("leader", sa.String(128), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_organization_region", "organization", ["region"])
    op.create_index("ix_organization_domain", "organization", ["domain"])
    op.create_table(
        "assessment",
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("star", sa.Integer(), nullable=True),
        sa.Column("org_class", sa.String(16), nullable=True),
        sa.Column("person", sa.String(128), nullable=True),
        sa.Column("designated", sa.Boolean(), nullable=False),
        sa.Column("acceptance", sa.String(16), nullable=True),
        sa.Column("failed_acceptances", sa.Integer(), nullable=False),
        sa.Column("project_rating", sa.String(16), nullable=True),
        sa.Column("outcome_recorded_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_code"], ["organization.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_code", "year"),
    )
    op.create_index("ix_assessment_year", "assessment", ["year"])


def downgrade() -> None:
    op.drop_index("ix_assessment_year", table_name="assessment")
    op.drop_table("assessment")
    op.drop_index("ix_organization_domain", table_name="organization")
    op.drop_index("ix_organization_region", table_name="organization")
    op.drop_table("organization")
