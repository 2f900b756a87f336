"""The signed reach checked in PL/pgSQL: the same four functions, their plans kept for the connection

Every policy asks `portal_ids(...)` and `portal_system()` once per table a statement reads (an InitPlan),
and each asks `portal_reach_signed()`. As SQL functions with a SET clause they were planned again at
every call: about 85 µs for `portal_ids`, 60 of them `portal_reach_signed` planning its read of the key,
so a page whose statements read twenty tables spent 2-3 ms in PostgreSQL on them (the workspace's
register counts: 2.9 ms for 18 tables of a few rows). As PL/pgSQL, the function and its statement are
prepared once per connection: 11 and 15 µs a call. What they check is unchanged: the HMAC of the six
settings and the backend pid under the owner's key, SECURITY DEFINER, `search_path` pinned (with
`pg_temp` last, so no temporary object of the caller can stand in for a catalog one).

Revision ID: e3f4a5b6c7d8
Revises: d2e3f4a5b6c7
Create Date: 2026-12-07 09:00:00
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "e3f4a5b6c7d8"
down_revision = "d2e3f4a5b6c7"
branch_labels = None
depends_on = None

SETTINGS = (
    "portal.reach", "portal.write_reach", "portal.units", "portal.manage_units", "portal.actor", "portal.system"
)
SIGNED_TEXT = " || '|' || ".join(f"coalesce(current_setting('{s}', true), '')" for s in SETTINGS)

FUNCTIONS = f"""
-- true when the settings of this transaction carry this connection's valid signature
CREATE OR REPLACE FUNCTION public.portal_reach_signed() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, portal_secret, pg_temp AS $$
DECLARE
    key bytea;
BEGIN
    SELECT k.secret INTO key FROM portal_secret.reach_key k WHERE k.id = 1;
    IF key IS NULL THEN
        RETURN false;
    END IF;
    RETURN coalesce(
        encode(portal_secret.hmac(convert_to({SIGNED_TEXT} || '|' || pg_backend_pid()::text, 'UTF8'), key, 'sha256'), 'hex')
            = current_setting('portal.reach_sig', true),
        false);
END
$$;

CREATE OR REPLACE FUNCTION public.portal_system() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(current_setting('portal.system', true), '') = 'on' AND public.portal_reach_signed();
END
$$;

-- the acting account, when signed
CREATE OR REPLACE FUNCTION public.portal_actor() RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF public.portal_reach_signed() THEN
        RETURN NULLIF(coalesce(current_setting('portal.actor', true), ''), '')::integer;
    END IF;
    RETURN NULL;
END
$$;

-- the ids a signed setting lists (none when the signature is missing or wrong)
CREATE OR REPLACE FUNCTION public.portal_ids(setting text) RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF setting IN ('portal.reach', 'portal.write_reach', 'portal.units', 'portal.manage_units')
       AND public.portal_reach_signed() THEN
        RETURN coalesce(string_to_array(NULLIF(current_setting(setting, true), ''), ',')::integer[], '{{}}');
    END IF;
    RETURN '{{}}'::integer[];
END
$$;
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # the same names, arguments and return types: the policies keep pointing at them
    op.execute(FUNCTIONS)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    path = Path(__file__).with_name("c5d6e7f8a9b0_a_reach_the_app_role_cannot_forge.py")
    spec = importlib.util.spec_from_file_location("reach_as_sql", path)
    earlier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(earlier)
    op.execute(earlier.FUNCTIONS)  # the SQL functions as they were (the schema and the key table stay)
