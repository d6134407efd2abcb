"""Rectification timing: pause, extension and sanction columns on the measure ledger; sanction ledger.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from store.db import UTCDateTime  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this migration


def downgrade() -> None:
    pass
