"""Organization directory, assessments, assessment history (memory across years), designations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from store.db import UTCDateTime  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this migration


def downgrade() -> None:
    pass
