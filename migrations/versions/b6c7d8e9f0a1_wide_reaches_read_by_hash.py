"""Reads of the tables keyed by a unit (kept results, dossiers, monthly snapshots) check the row's unit
against the signed `portal.units` by a hash, not by a walk along the list.

A province's pages read these rows for every unit the province views (about 770 ids). `commune_id = ANY
(array)` compares each row with the ids one after another: the province page's results, 1,578 rows
against 766 ids, took 4.3 ms of their statement's 5.3 ms. `commune_id IN (SELECT unnest(array))` is a
hashed subplan: the ids are hashed once a statement and each row is one probe (the same statement: 1.0
ms). The rows are the same: an empty or missing setting lists no unit either way, and system scope still
reads all. Writes keep their check as it is (one commune's rows).

Revision ID: b6c7d8e9f0a1
Revises: a5b6c7d8e9f0
Create Date: 2026-12-07 14:00:00
"""

from alembic import op

revision = "b6c7d8e9f0a1"
down_revision = "a5b6c7d8e9f0"
branch_labels = None
depends_on = None

UNIT_TABLES = ("dossier", "commune_result", "monthly_snapshot")
IDS = "(SELECT public.portal_ids('portal.units'))::integer[]"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in UNIT_TABLES:
        op.execute(
            f"ALTER POLICY reach_read ON {table} "
            f"USING ((SELECT public.portal_system()) OR commune_id IN (SELECT unnest({IDS})))"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in UNIT_TABLES:
        op.execute(
            f"ALTER POLICY reach_read ON {table} USING ((SELECT public.portal_system()) OR commune_id = ANY ({IDS}))"
        )
