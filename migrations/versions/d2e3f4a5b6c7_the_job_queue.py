"""The job queue on PostgreSQL: procrastinate's tables and functions, as the installed procrastinate
ships them (portal/queue.py), and where a queued import's process writes its progress
(`import_progress`, on both databases; SQLite's jobs keep theirs in a file).

Revision ID: d2e3f4a5b6c7
Revises: b0c1d2e3f4a5
Create Date: 2026-12-07 06:45:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d2e3f4a5b6c7"
down_revision = "b0c1d2e3f4a5"
branch_labels = None
depends_on = None

QUEUE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")


def upgrade():
    op.create_table(
        "import_progress",
        sa.Column("job_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_import_progress")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from portal.queue import schema_sql

    # the driver's own execute: the schema is several statements, with no parameters to bind
    bind.connection.driver_connection.execute(schema_sql())


def downgrade():
    op.drop_table("import_progress")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in QUEUE_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute(
        "DO $$ DECLARE f record; BEGIN FOR f IN SELECT oid::regprocedure AS signature FROM pg_proc "
        "WHERE proname LIKE 'procrastinate%' AND pronamespace = 'public'::regnamespace LOOP "
        "EXECUTE 'DROP FUNCTION IF EXISTS ' || f.signature || ' CASCADE'; END LOOP; END $$"
    )
    for kind in ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status"):
        op.execute(f"DROP TYPE IF EXISTS {kind} CASCADE")
