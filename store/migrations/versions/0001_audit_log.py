"""Audit event log, projections, append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime
from store.triggers import create_append_only_triggers, drop_append_only_triggers

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("stream_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("stream_id", "version", name="uq_audit_event_stream_version"),
    )
    op.create_index("ix_audit_event_stream_id", "audit_event", ["stream_id"])
    op.create_table(
        "case_summary",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("plan_status", sa.String(32), nullable=False),
        sa.Column("plan_round", sa.Integer(), nullable=False),
        sa.Column("plan_returns", sa.Integer(), nullable=False),
        sa.Column("measures_total", sa.Integer(), nullable=False),
        sa.Column("measures_done", sa.Integer(), nullable=False),
        sa.Column("overdue_measures", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("next_due", UTCDateTime(), nullable=True),
        sa.Column("consolidation_until", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_summary_org_code", "case_summary", ["org_code"])
    op.create_index("ix_case_summary_region", "case_summary", ["region"])
    op.create_index("ix_case_summary_stage", "case_summary", ["stage"])
    op.create_index("ix_case_summary_overdue", "case_summary", ["overdue"])
    op.create_table(
        "measure_ledger",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("measure_id", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("problems", sa.String(), nullable=False),
        sa.Column("responsible", sa.String(128), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("progress_reports", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.String(), nullable=False),
        sa.Column("escalations", sa.String(), nullable=False),
        sa.Column("completed_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "measure_id"),
    )
    op.create_index("ix_measure_ledger_responsible", "measure_ledger", ["responsible"])
    op.create_table(
        "problem_ledger",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("problem_id", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "problem_id"),
    )
    create_append_only_triggers(op.get_bind())


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind())
    for table in ("problem_ledger", "measure_ledger", "case_summary", "audit_event"):
        op.drop_table(table)
