"""Two trees: a unit is its tree and its code (the 2025 tree reuses old codes), addressed by `address`;
the lineage of old communes

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-11-30 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'f2a3b4c5d6e7'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_unit') as batch:
        batch.add_column(sa.Column('address', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('tree', sa.String(length=4), nullable=True))
    # every unit so far is of the late-2024 tree, addressed by its code until the 2025 tree is loaded
    op.execute("UPDATE admin_unit SET address = code")
    op.execute("UPDATE admin_unit SET tree = '2024' WHERE level <> 'province'")
    with op.batch_alter_table('admin_unit') as batch:
        batch.alter_column('address', existing_type=sa.String(length=16), nullable=False)
        batch.drop_constraint('uq_admin_unit_code', type_='unique')
        batch.create_unique_constraint(batch.f('uq_admin_unit_address'), ['address'])
        batch.create_index(batch.f('ix_admin_unit_code'), ['code'], unique=False)
    op.create_table(
        'unit_lineage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=False),
        sa.Column('to_unit_id', sa.Integer(), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('share', sa.Float(), nullable=True),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['from_unit_id'], ['admin_unit.id'], name=op.f('fk_unit_lineage_from_unit_id_admin_unit')),
        sa.ForeignKeyConstraint(['to_unit_id'], ['admin_unit.id'], name=op.f('fk_unit_lineage_to_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_lineage')),
    )
    with op.batch_alter_table('unit_lineage') as batch:
        batch.create_index(batch.f('ix_unit_lineage_from_unit_id'), ['from_unit_id'], unique=False)
        batch.create_index(batch.f('ix_unit_lineage_to_unit_id'), ['to_unit_id'], unique=False)


def downgrade():
    op.drop_table('unit_lineage')
    op.execute("DELETE FROM admin_unit WHERE tree = '2025'")
    with op.batch_alter_table('admin_unit') as batch:
        batch.drop_index(batch.f('ix_admin_unit_code'))
        batch.drop_constraint('uq_admin_unit_address', type_='unique')
        batch.create_unique_constraint('uq_admin_unit_code', ['code'])
        batch.drop_column('tree')
        batch.drop_column('address')
