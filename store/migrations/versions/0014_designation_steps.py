"""Designation as counties decide it (issue 14): the category-standard results the designation reads
(``standard_result``: one row per organization, year and standard item, e.g. 三有一化's 有人办事 points or
a 一票否决 situation, imported with `pdca campaign standards FILE`; store/standards.py). The designation
steps, the 分类 results and the labels are campaign events (no table).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standard_result",
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("org_code", "year", "item"),
    )
    op.create_index("ix_standard_result_year", "standard_result", ["year"])


def downgrade() -> None:
    op.drop_index("ix_standard_result_year", table_name="standard_result")
    op.drop_table("standard_result")
