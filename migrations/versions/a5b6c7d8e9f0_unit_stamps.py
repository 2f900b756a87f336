"""Unit stamps: a random value renewed in every transaction that changes what a unit's page shows, so
that each worker keeps the commune workspace's content and knows, from one small statement, when to draw
it again (portal/tenancy/stamps.py, portal/home/kept.py). Every unit of the tree gets its first stamp here; a unit
added later gets one when it is written. No row-level security: a stamp holds no data.

Revision ID: a5b6c7d8e9f0
Revises: f4a5b6c7d8e9
Create Date: 2026-12-07 12:00:00
"""

import secrets

from alembic import op
import sqlalchemy as sa

revision = "a5b6c7d8e9f0"
down_revision = "f4a5b6c7d8e9"
branch_labels = None
depends_on = None


def upgrade():
    stamp = op.create_table(
        "unit_stamp",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name=op.f("fk_unit_stamp_unit_id_admin_unit")),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_stamp")),
    )
    units = op.get_bind().execute(sa.text("SELECT id FROM admin_unit")).scalars().all()
    if units:
        op.bulk_insert(stamp, [{"unit_id": unit_id, "value": secrets.token_hex(16)} for unit_id in units])


def downgrade():
    op.drop_table("unit_stamp")
