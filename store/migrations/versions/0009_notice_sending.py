"""Notices are recorded as being sent before they are sent: who claimed a key and when.

``notice_delivery`` gets ``sending_by`` (the worker and activity attempt that claimed the key) and
``sending_at``; its ``status`` may now also be ``sending`` and ``uncertain`` (store/notify_models.py,
docs/notifications.md "Crashes"). Batch mode, so SQLite can follow any later change of this table;
the audit table's append-only triggers are not on this table, and are re-created anyway (a batch
migration that re-creates a table drops its triggers: PITFALLS), which is harmless when they exist.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime
from store.triggers import create_append_only_triggers

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice_delivery") as batch:
        batch.add_column(sa.Column("sending_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("sending_at", UTCDateTime(), nullable=True))
    create_append_only_triggers(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("notice_delivery") as batch:
        batch.drop_column("sending_at")
        batch.drop_column("sending_by")
    create_append_only_triggers(op.get_bind())
