"""Every register row records the commune of the 2024 tree it was kept in before the reform moved it;
the same-commune keys become deferrable, so a commune's rows move table by table in one transaction

Revision ID: a3b4c5d6e7f8
Revises: f2a3b4c5d6e7
Create Date: 2026-11-30 00:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a3b4c5d6e7f8'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None

REGISTER_TABLES = (
    "village", "household", "household_commitment", "village_head_commitment", "person", "status_episode",
    "reintegration_support", "suspicion_lead", "drug_test", "missed_case", "hotspot", "incident",
    "prevention_model", "model_activity",
)
SAME_COMMUNE_KEYS = (
    ("drug_test", "lead_id", "suspicion_lead"), ("drug_test", "person_id", "person"),
    ("hotspot", "village_id", "village"), ("hotspot_status", "hotspot_id", "hotspot"),
    ("household", "village_id", "village"), ("household_commitment", "household_id", "household"),
    ("incident", "person_id", "person"), ("incident", "village_id", "village"),
    ("missed_case", "person_id", "person"), ("missed_case", "test_id", "drug_test"),
    ("model_activity", "model_id", "prevention_model"), ("person", "household_id", "household"),
    ("person", "village_id", "village"), ("prevention_model", "village_id", "village"),
    ("reintegration_support", "person_id", "person"), ("status_episode", "person_id", "person"),
    ("suspicion_lead", "person_id", "person"), ("village_head_commitment", "village_id", "village"),
)


def upgrade():
    for table in REGISTER_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('former_commune_id', sa.Integer(), nullable=True))
            batch.create_foreign_key(
                batch.f(f'fk_{table}_former_commune_id_admin_unit'), 'admin_unit', ['former_commune_id'], ['id']
            )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, target in SAME_COMMUNE_KEYS:
            op.execute(f"ALTER TABLE {table} ALTER CONSTRAINT fk_{table}_{column}_{target} DEFERRABLE INITIALLY IMMEDIATE")
        return
    for table in sorted({t for t, _c, _target in SAME_COMMUNE_KEYS}):  # SQLite: the table is rebuilt
        with op.batch_alter_table(table) as batch:
            for _t, column, target in (k for k in SAME_COMMUNE_KEYS if k[0] == table):
                name = f"fk_{table}_{column}_{target}"
                batch.drop_constraint(name, type_="foreignkey")
                batch.create_foreign_key(
                    name, target, ["commune_id", column], ["commune_id", "id"], deferrable=True, initially="IMMEDIATE"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, column, target in SAME_COMMUNE_KEYS:
            op.execute(f"ALTER TABLE {table} ALTER CONSTRAINT fk_{table}_{column}_{target} NOT DEFERRABLE")
    for table in REGISTER_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f'fk_{table}_former_commune_id_admin_unit'), type_='foreignkey')
            batch.drop_column('former_commune_id')
