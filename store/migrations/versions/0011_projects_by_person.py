"""委员项目 and 支部项目 keyed by their leading person (issue 14): a county runs ~5,000 projects a year,
several per organization, and `pdca project list --owner` finds the ones a person leads. An index on
``project_summary.owner`` (the leading person's id); no column changes — the per-person id
(``proj-committee_member-V001-2027-wy-01``) fits the existing 128-character ids (longer ones are refused
by the decider).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_project_summary_owner", "project_summary", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_project_summary_owner", table_name="project_summary")
