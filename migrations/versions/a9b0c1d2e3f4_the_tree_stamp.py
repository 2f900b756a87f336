"""The tree's stamp: a random value written again with every change of the unit tree or its lineage, so
that each worker keeps the tree in memory and knows, from the one statement that reads the login, when
to read it again (portal/tenancy/tree.py).

Revision ID: a9b0c1d2e3f4
Revises: f8a9b0c1d2e3
Create Date: 2026-12-07 06:00:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a9b0c1d2e3f4"
down_revision = "f8a9b0c1d2e3"
branch_labels = None
depends_on = None


def upgrade():
    stamp = op.create_table(
        "tree_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_stamp")),
    )
    op.bulk_insert(stamp, [{"id": 1, "value": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("tree_stamp")
