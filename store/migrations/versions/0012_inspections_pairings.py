"""Inspections (明察暗访、专项抽查、观摩) and pairing units (结对共建单位、联村领导、驻村工作队).

``inspection_summary`` and ``inspection_finding`` are projections of the ``insp-`` streams
(store/inspections.py; the designation reads the findings referred to it); ``pairing_unit`` and
``pairing_link`` hold the pairing units imported from a file (store/pairings.py). Tables as in
store/inspection_models.py.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_summary",
        sa.Column("inspection_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("inspector", sa.String(128), nullable=False),
        sa.Column("companions", sa.Text(), nullable=False),
        sa.Column("org_codes", sa.Text(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("findings_total", sa.Integer(), nullable=False),
        sa.Column("findings_open", sa.Integer(), nullable=False),
        sa.Column("findings_to_case", sa.Integer(), nullable=False),
        sa.Column("findings_to_designation", sa.Integer(), nullable=False),
        sa.Column("findings_closed", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("inspection_id"),
    )
    for column in ("year", "stage"):
        op.create_index(f"ix_inspection_summary_{column}", "inspection_summary", [column])
    op.create_table(
        "inspection_finding",
        sa.Column("inspection_id", sa.String(64), nullable=False),
        sa.Column("finding_id", sa.String(16), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=True),
        sa.Column("designation_year", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("disposed_at", UTCDateTime(), nullable=True),
        sa.Column("disposed_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("inspection_id", "finding_id"),
    )
    for column in ("org_code", "designation_year"):
        op.create_index(f"ix_inspection_finding_{column}", "inspection_finding", [column])
    op.create_table(
        "pairing_unit",
        sa.Column("unit_code", sa.String(64), nullable=False),
        sa.Column("unit_name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code"),
    )
    op.create_table(
        "pairing_link",
        sa.Column("unit_code", sa.String(64), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "org_code"),
    )
    op.create_index("ix_pairing_link_org_code", "pairing_link", ["org_code"])


def downgrade() -> None:
    op.drop_index("ix_pairing_link_org_code", table_name="pairing_link")
    op.drop_table("pairing_link")
    op.drop_table("pairing_unit")
    for column in ("org_code", "designation_year"):
        op.drop_index(f"ix_inspection_finding_{column}", table_name="inspection_finding")
    op.drop_table("inspection_finding")
    for column in ("year", "stage"):
        op.drop_index(f"ix_inspection_summary_{column}", table_name="inspection_summary")
    op.drop_table("inspection_summary")
