"""Row-level security on every tenant-owned table (PostgreSQL only)

The policies read the settings `portal.tenancy.rls` sends at the start of each transaction: the
commune ids in reach (read), in write reach, and whether the code runs in system scope. With no
setting a query returns no rows and a write is refused. FORCE makes them bind the tables' owner too
(only a superuser or a BYPASSRLS role, used for backups, passes them).

Revision ID: c1d2e3f4a5b6
Revises: 76758b978f2a
Create Date: 2026-11-29 12:00:00
"""
from alembic import op

revision = 'c1d2e3f4a5b6'
down_revision = '76758b978f2a'
branch_labels = None
depends_on = None

# Frozen here: a tenant table added later gets its policies in its own migration
# (tests/isolation/test_row_level_security.py fails until it has them).
TENANT_TABLES = (
    "village", "household", "household_commitment", "village_head_commitment", "person", "status_episode",
    "reintegration_support", "suspicion_lead", "drug_test", "missed_case", "hotspot", "incident",
    "prevention_model", "model_activity", "import_job",
)


def in_reach(setting: str) -> str:
    return (
        "(current_setting('portal.system', true) = 'on' OR commune_id = ANY "
        f"(string_to_array(NULLIF(current_setting('{setting}', true), ''), ',')::integer[]))"
    )


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    read, write = in_reach("portal.reach"), in_reach("portal.write_reach")
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY reach_read ON {table} FOR SELECT USING {read}")
        op.execute(f"CREATE POLICY reach_insert ON {table} FOR INSERT WITH CHECK {write}")
        op.execute(f"CREATE POLICY reach_update ON {table} FOR UPDATE USING {write} WITH CHECK {write}")
        op.execute(f"CREATE POLICY reach_delete ON {table} FOR DELETE USING {write}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        for policy in ("reach_read", "reach_insert", "reach_update", "reach_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
