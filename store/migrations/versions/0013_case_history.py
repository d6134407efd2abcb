"""The organization's history remembers which memory rules each of its years already served as evidence
for (issue 14): ``assessment.memory_proposed``, a JSON list of rule names (``last_place``,
``failed_acceptance``, ``designated_repeatedly``). A case's memory proposal (SanctionProposed, source
memory) writes its rule into each year it cites (store/projections.py, in the append's transaction);
the memory rules then skip those years for that rule in later cases: each piece of evidence (rule +
year) is proposed once.

And two ledger columns (issue 14): ``measure_ledger.partners`` (结对帮扶: the measure's partners as
",id1,id2,", so a partner finds the cases they share) and ``problem_ledger.source`` (the inspection a
problem was found by). Both nullable: rows written before stay valid; a rebuild fills them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("memory_proposed", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("measure_ledger") as batch:
        batch.add_column(sa.Column("partners", sa.Text(), nullable=True))
    with op.batch_alter_table("problem_ledger") as batch:
        batch.add_column(sa.Column("source", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("problem_ledger") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("measure_ledger") as batch:
        batch.drop_column("partners")
    with op.batch_alter_table("assessment") as batch:
        batch.drop_column("memory_proposed")
