"""Criteria faithful to Đề án 3822: criteria windows and version rules, who found a tested person, why a
missed case is one, households' residence, hotspots' status history (backfilled from the audit trail)

Revision ID: e1f2a3b4c5d6
Revises: d7e8f9a0b1c2
Create Date: 2026-11-30 00:40:00
"""
import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = 'e1f2a3b4c5d6'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None

POLICY = (
    "(current_setting('portal.system', true) = 'on' OR commune_id = ANY "
    "(string_to_array(NULLIF(current_setting('{setting}', true), ''), ',')::integer[]))"
)


def upgrade():
    with op.batch_alter_table('criteria_version') as batch:
        batch.add_column(sa.Column('rules', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('criterion') as batch:
        batch.add_column(sa.Column('window', sa.String(length=20), nullable=False, server_default='calendar_year'))
    with op.batch_alter_table('commune_result') as batch:
        batch.add_column(sa.Column('aside', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('drug_test') as batch:
        batch.add_column(sa.Column('found_by', sa.String(length=20), nullable=False, server_default='commune'))
    with op.batch_alter_table('missed_case') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=20), nullable=False, server_default='off_register'))
    with op.batch_alter_table('household') as batch:
        batch.add_column(sa.Column('residence', sa.String(length=12), nullable=False, server_default='resident'))
        batch.add_column(sa.Column('residence_since', sa.Date(), nullable=True))
    op.create_table(
        'hotspot_status',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hotspot_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['admin_unit.id'], name=op.f('fk_hotspot_status_commune_id_admin_unit')),
        sa.ForeignKeyConstraint(
            ['commune_id', 'hotspot_id'], ['hotspot.commune_id', 'hotspot.id'], name='fk_hotspot_status_hotspot_id_hotspot'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_status')),
    )
    op.create_index(op.f('ix_hotspot_status_commune_id'), 'hotspot_status', ['commune_id'], unique=False)
    op.create_index(op.f('ix_hotspot_status_hotspot_id'), 'hotspot_status', ['hotspot_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        read, write = POLICY.format(setting="portal.reach"), POLICY.format(setting="portal.write_reach")
        op.execute("ALTER TABLE hotspot_status ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE hotspot_status FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY reach_read ON hotspot_status FOR SELECT USING {read}")
        op.execute(f"CREATE POLICY reach_insert ON hotspot_status FOR INSERT WITH CHECK {write}")
        op.execute(f"CREATE POLICY reach_update ON hotspot_status FOR UPDATE USING {write} WITH CHECK {write}")
        op.execute(f"CREATE POLICY reach_delete ON hotspot_status FOR DELETE USING {write}")
    _backfill_hotspot_statuses()


def _backfill_hotspot_statuses():
    """Replay the audit trail of every hotspot: each (status, since) it took becomes a history row."""
    bind = op.get_bind()
    live = {
        str(row.id): row.commune_id
        for row in bind.execute(sa.text("SELECT id, commune_id FROM hotspot WHERE deleted_at IS NULL"))
    }
    state, seen = {}, set()
    events = bind.execute(
        sa.text("SELECT object_id, after FROM audit_event WHERE object_type = 'hotspot' AND after IS NOT NULL ORDER BY id")
    )
    rows = []
    for object_id, after in events:
        if object_id not in live:
            continue
        current = state.setdefault(object_id, {})
        current.update({k: v for k, v in json.loads(after).items() if k in ("status", "status_since")})
        key = (object_id, current.get("status"), current.get("status_since"))
        if None not in key and key not in seen:
            seen.add(key)
            rows.append({"commune_id": live[object_id], "hotspot_id": int(object_id), "status": key[1],
                         "since": key[2]})
    table = sa.table("hotspot_status", sa.column("commune_id"), sa.column("hotspot_id"), sa.column("status"),
                     sa.column("since", sa.Date()))
    if rows:
        op.bulk_insert(table, [{**r, "since": date.fromisoformat(str(r["since"])[:10])} for r in rows])


def downgrade():
    op.drop_index(op.f('ix_hotspot_status_hotspot_id'), table_name='hotspot_status')
    op.drop_index(op.f('ix_hotspot_status_commune_id'), table_name='hotspot_status')
    op.drop_table('hotspot_status')
    with op.batch_alter_table('household') as batch:
        batch.drop_column('residence_since')
        batch.drop_column('residence')
    with op.batch_alter_table('missed_case') as batch:
        batch.drop_column('reason')
    with op.batch_alter_table('drug_test') as batch:
        batch.drop_column('found_by')
    with op.batch_alter_table('commune_result') as batch:
        batch.drop_column('aside')
    with op.batch_alter_table('criterion') as batch:
        batch.drop_column('window')
    with op.batch_alter_table('criteria_version') as batch:
        batch.drop_column('rules')
