"""Rectification timing: pause, extension and sanction columns on the measure ledger; sanction ledger.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MEASURE_COLUMNS = (
    ("budget", sa.String(16)),
    ("original_deadline", UTCDateTime()),
    ("paused", sa.Boolean()),
    ("paused_since", UTCDateTime()),
    ("paused_working_days", sa.Integer()),
    ("extensions", sa.Integer()),
    ("proposals_pending", sa.Integer()),
)
_SUMMARY_COLUMNS = (
    ("paused_measures", sa.Integer()),
    ("case_paused", sa.Boolean()),
    ("extensions", sa.Integer()),
    ("sanctions_pending", sa.Integer()),
)


def upgrade() -> None:
    for name, type_ in _MEASURE_COLUMNS:
        op.add_column("measure_ledger", sa.Column(name, type_, nullable=True))
    for name, type_ in _SUMMARY_COLUMNS:
        op.add_column("case_summary", sa.Column(name, type_, nullable=True))
    op.create_table(
        "sanction_ledger",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("proposal_id", sa.String(32), nullable=False),
        sa.Column("measure_id", sa.String(64), nullable=True),
        sa.Column("rung", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("decide_by", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "proposal_id"),
    )
    op.create_index("ix_sanction_ledger_status", "sanction_ledger", ["status"])


def downgrade() -> None:
    op.drop_index("ix_sanction_ledger_status", table_name="sanction_ledger")
    op.drop_table("sanction_ledger")
    with op.batch_alter_table("case_summary") as batch:
        for name, _ in reversed(_SUMMARY_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("measure_ledger") as batch:
        for name, _ in reversed(_MEASURE_COLUMNS):
            batch.drop_column(name)
