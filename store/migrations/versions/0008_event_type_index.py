"""An index on the audit log's event types: the console's dashboard counts events by type within the
cases of a scope, and 我的待办 finds the cases holding a pause/extension request, without scanning the
whole log (benchmarks/bench_web.py: the county dashboard at 10,000 cases, 218 → 101 ms).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_type_stream", "audit_event", ["event_type", "stream_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_type_stream", table_name="audit_event")
