"""A reach the application role cannot forge, and row-level security on every unit-keyed table

Until now the policies trusted `portal.reach`, `portal.write_reach` and `portal.system` as sent: the
application role could `set_config` any of them, so an injected statement could read every commune.
From here the portal also sends `portal.reach_sig`, an HMAC-SHA256 of every setting and the connection's
backend pid under a key kept in `portal_secret.reach_key`. The application role has no usage on that
schema; the functions below are SECURITY DEFINER, owned by the owner, and they alone read the key. A
setting without a valid signature counts as no reach at all: no rows, no writes.

The settings (portal.tenancy.rls sends them):
- `portal.reach`, `portal.write_reach`: the communes whose registers the request reads, writes;
- `portal.units`: every unit under the URL's unit (dossiers, results, snapshots, the audit trail);
- `portal.manage_units`: the units where the request may grant roles (role assignments, accounts);
- `portal.actor`: the account acting (its own account and sessions);
- `portal.system`: `on` for code serving no user (CLI commands, rebuilds, jobs).

Revision ID: c5d6e7f8a9b0
Revises: b4c5d6e7f8a9
Create Date: 2026-12-06 23:30:00
"""
from alembic import op

revision = 'c5d6e7f8a9b0'
down_revision = 'b4c5d6e7f8a9'
branch_labels = None
depends_on = None

# Every table that holds a commune's registers (c1d2e3f4a5b6, e1f2a3b4c5d6).
REGISTER_TABLES = (
    "village", "household", "household_commitment", "village_head_commitment", "person", "status_episode",
    "reintegration_support", "suspicion_lead", "drug_test", "missed_case", "hotspot", "hotspot_status",
    "incident", "prevention_model", "model_activity", "import_job",
)
# Keyed by a unit, read by whoever views that unit; written as the pages decide (recognition, rebuilds).
UNIT_TABLES = ("dossier", "commune_result", "monthly_snapshot")
DOSSIER_CHILDREN = ("dossier_attachment", "dossier_event", "dossier_submission")
SETTINGS = (
    "portal.reach", "portal.write_reach", "portal.units", "portal.manage_units", "portal.actor", "portal.system"
)

FUNCTIONS = f"""
CREATE SCHEMA IF NOT EXISTS portal_secret;
REVOKE ALL ON SCHEMA portal_secret FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA portal_secret;
CREATE TABLE IF NOT EXISTS portal_secret.reach_key (
    id integer PRIMARY KEY CHECK (id = 1),
    secret bytea NOT NULL
);
REVOKE ALL ON portal_secret.reach_key FROM PUBLIC;

-- true when the settings of this transaction carry this connection's valid signature
CREATE OR REPLACE FUNCTION public.portal_reach_signed() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, portal_secret AS $$
    SELECT coalesce((
        SELECT encode(portal_secret.hmac(convert_to(
            {" || '|' || ".join(f"coalesce(current_setting('{s}', true), '')" for s in SETTINGS)}
            || '|' || pg_backend_pid()::text, 'UTF8'), k.secret, 'sha256'), 'hex')
            = current_setting('portal.reach_sig', true)
        FROM portal_secret.reach_key k WHERE k.id = 1
    ), false)
$$;

CREATE OR REPLACE FUNCTION public.portal_system() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT coalesce(current_setting('portal.system', true), '') = 'on' AND public.portal_reach_signed()
$$;

-- the acting account, when signed
CREATE OR REPLACE FUNCTION public.portal_actor() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT CASE WHEN public.portal_reach_signed()
        THEN NULLIF(coalesce(current_setting('portal.actor', true), ''), '')::integer END
$$;

-- the ids a signed setting lists (none when the signature is missing or wrong)
CREATE OR REPLACE FUNCTION public.portal_ids(setting text) RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT CASE
        WHEN setting IN ('portal.reach', 'portal.write_reach', 'portal.units', 'portal.manage_units')
             AND public.portal_reach_signed()
        THEN coalesce(string_to_array(NULLIF(current_setting(setting, true), ''), ',')::integer[], '{{}}')
        ELSE '{{}}'::integer[]
    END
$$;
"""


def in_signed(setting: str, column: str = "commune_id") -> str:
    """A row whose unit the signed setting lists, or system scope. Each function runs once a statement
    (a scalar subquery becomes an InitPlan), not once a row."""
    return f"((SELECT public.portal_system()) OR {column} = ANY ((SELECT public.portal_ids('{setting}'))::integer[]))"


def _policies(table: str, read: str, insert: str, update: str, delete: str) -> None:
    for policy in ("reach_read", "reach_insert", "reach_update", "reach_delete"):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY reach_read ON {table} FOR SELECT USING {read}")
    op.execute(f"CREATE POLICY reach_insert ON {table} FOR INSERT WITH CHECK {insert}")
    op.execute(f"CREATE POLICY reach_update ON {table} FOR UPDATE USING {update} WITH CHECK {update}")
    op.execute(f"CREATE POLICY reach_delete ON {table} FOR DELETE USING {delete}")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTIONS)
    read, write = in_signed("portal.reach"), in_signed("portal.write_reach")
    for table in REGISTER_TABLES:
        _policies(table, read, write, write, write)
    units = in_signed("portal.units")
    for table in UNIT_TABLES:
        _policies(table, units, units, units, units)
    of_dossier = f"(EXISTS (SELECT 1 FROM dossier d WHERE d.id = dossier_id AND {in_signed('portal.units', 'd.commune_id')}))"
    for table in DOSSIER_CHILDREN:
        _policies(table, of_dossier, of_dossier, of_dossier, of_dossier)
    # The audit trail: a row about a unit is read under that unit; a row about no unit (a login, an
    # account's own change) by whoever opens an access log that may show it. The application role adds
    # rows (signed: any transaction of the portal) and never changes them (its grants: UPDATE and DELETE
    # revoked); the owner changes them only in signed system scope (the retention sweep's scrub).
    signed = "((SELECT public.portal_reach_signed()))"
    system = "((SELECT public.portal_system()))"
    audit_read = f"(unit_id IS NULL OR {in_signed('portal.units', 'unit_id')})"
    _policies("audit_event", audit_read, signed, system, system)
    # Role assignments: everybody's roles are read at every login; a grant, change or removal only
    # within the units where the request may manage accounts.
    _policies("role_assignment", "(true)", *([in_signed("portal.manage_units", "unit_id")] * 3))
    # Accounts and their sessions: read at every login (before any reach exists); changed only by the
    # account itself (signed actor: its login, its password, its second factor) or by a manager of a unit
    # it holds a role on (or of any unit, for an account being made, which holds none yet).
    managed = (
        "(EXISTS (SELECT 1 FROM role_assignment r WHERE r.user_id = {col} "
        "AND r.unit_id = ANY ((SELECT public.portal_ids('portal.manage_units'))::integer[])) "
        "OR (NOT EXISTS (SELECT 1 FROM role_assignment r WHERE r.user_id = {col}) "
        "AND cardinality((SELECT public.portal_ids('portal.manage_units'))::integer[]) > 0))"
    )
    own = "((SELECT public.portal_system()) OR {col} = (SELECT public.portal_actor()) OR " + managed + ")"
    account, session = own.format(col="id"), own.format(col="user_id")
    _policies("user_account", "(true)", account, account, account)
    _policies("user_session", "(true)", session, session, session)
    # Its recovery codes too (a code slipped in would skip the second factor). The login attempts stay
    # open: the throttle counts them before anyone is known, and a forged one only slows a login.
    _policies("recovery_code", "(true)", session, session, session)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    accounts = ("user_account", "user_session", "recovery_code")
    for table in (*UNIT_TABLES, *DOSSIER_CHILDREN, "audit_event", "role_assignment", *accounts):
        for policy in ("reach_read", "reach_insert", "reach_update", "reach_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    plain = {
        s: "(current_setting('portal.system', true) = 'on' OR commune_id = ANY "
        f"(string_to_array(NULLIF(current_setting('{s}', true), ''), ',')::integer[]))"
        for s in ("portal.reach", "portal.write_reach")
    }
    for table in REGISTER_TABLES:
        r, w = plain["portal.reach"], plain["portal.write_reach"]
        _policies(table, r, w, w, w)
    op.execute("DROP FUNCTION IF EXISTS public.portal_ids(text)")
    op.execute("DROP FUNCTION IF EXISTS public.portal_actor()")
    op.execute("DROP FUNCTION IF EXISTS public.portal_system()")
    op.execute("DROP FUNCTION IF EXISTS public.portal_reach_signed()")
    op.execute("DROP SCHEMA IF EXISTS portal_secret CASCADE")
