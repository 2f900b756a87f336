"""An import's uploaded file waits in its job's row, not on one server's disk: the worker of any machine
can take the job (portal/imports/jobs.py). The column is cleared when the job ends.

Revision ID: b0c1d2e3f4a5
Revises: a9b0c1d2e3f4
Create Date: 2026-12-07 06:30:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b0c1d2e3f4a5"
down_revision = "a9b0c1d2e3f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_job") as batch:
        batch.add_column(sa.Column("upload", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_job") as batch:
        batch.drop_column("upload")
