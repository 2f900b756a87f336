"""A dossier records the body that appraised it (district police before the reform, the provincial
police or an area's officers after)

Revision ID: b4c5d6e7f8a9
Revises: a3b4c5d6e7f8
Create Date: 2026-11-30 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b4c5d6e7f8a9'
down_revision = 'a3b4c5d6e7f8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossier') as batch:
        batch.add_column(sa.Column('appraised_by', sa.String(length=160), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('dossier') as batch:
        batch.drop_column('appraised_by')
