"""Notification deliveries (status per channel) and the daily digest queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from store.db import UTCDateTime  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this migration


def downgrade() -> None:
    pass
