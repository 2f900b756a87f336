"""Large exports on the job queue: `export_job`, one export asked for by one officer, its file kept a day

With `JOB_QUEUE=postgresql`, an export of more than `EXPORT_QUEUE_ROWS` rows is written by a worker
(portal/registers/export_jobs.py); the request keeps what was asked here and the worker the file. Bound by
row-level security to the units the request views and to its requester (the signed actor): a viewer asks
for exports too, and writes no register.

Revision ID: f4a5b6c7d8e9
Revises: e3f4a5b6c7d8
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "f4a5b6c7d8e9"
down_revision = "e3f4a5b6c7d8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("register", sa.String(length=40), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["commune_id"], ["admin_unit.id"], name=op.f("fk_export_job_commune_id_admin_unit")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name=op.f("fk_export_job_requested_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_job_commune_id"), ["commune_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_export_job_requested_by_id"), ["requested_by_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # in a unit the request views, and its requester's own (the signed actor), or system scope (the sweep)
        units = (
            "((SELECT public.portal_system()) OR (commune_id = ANY ((SELECT public.portal_ids('portal.units'))::integer[])"
            " AND requested_by_id = (SELECT public.portal_actor())))"
        )
        op.execute("ALTER TABLE export_job ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE export_job FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY reach_read ON export_job FOR SELECT USING {units}")
        op.execute(f"CREATE POLICY reach_insert ON export_job FOR INSERT WITH CHECK {units}")
        op.execute(f"CREATE POLICY reach_update ON export_job FOR UPDATE USING {units} WITH CHECK {units}")
        op.execute(f"CREATE POLICY reach_delete ON export_job FOR DELETE USING {units}")


def downgrade():
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_job_requested_by_id"))
        batch_op.drop_index(batch_op.f("ix_export_job_commune_id"))
    op.drop_table("export_job")
