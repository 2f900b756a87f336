"""Layer 4 of isolation, on PostgreSQL: row-level security under the ORM guard.

Every unit-keyed table has `ENABLE` and `FORCE ROW LEVEL SECURITY` and four policies (migration
`c5d6e7f8a9b0`) that read settings local to the transaction:

- `portal.reach`: the commune ids whose registers the request may read, comma-separated;
- `portal.write_reach`: the commune ids whose registers it may insert, update or delete;
- `portal.units`: every unit under the URL's unit (dossiers, results, snapshots, the audit trail);
- `portal.manage_units`: the units where it may grant roles and change accounts;
- `portal.actor`: the account acting, which may change its own account and sessions;
- `portal.system`: `on` for code running in `system_scope()` (CLI commands, metric rebuilds).

The settings are signed: `portal.reach_sig` is an HMAC-SHA256 of all six and the connection's backend
pid, under a key (`reach_signing_key`) that the owner keeps in `portal_secret.reach_key`, a schema the
application role cannot use. The policies ask SECURITY DEFINER functions, which alone read the key: a
statement injected into a request can `set_config` a wider reach, but without the key it cannot sign
it, and an unsigned reach reads no row and writes none. It can use the request's own signed reach, no
more; a signature is bound to one connection and never stored where the role can read it.

Nothing here decides a reach: the guard's `session.info` (set by the unit gate) stays the one source.
Before any statement reaches PostgreSQL, `apply_reach` compares what the session holds with what was
last sent on that connection in this transaction, and sends `set_config(..., true)` when they differ.
A read at the start of a transaction with an empty reach sends nothing: every policy reads an empty
signed reach exactly as it reads none (no register row, no unit row; accounts, sessions and roles are
open to reads), so knowing who is logged in costs no round trip. Nor does a read of tables no policy
binds (`UNBOUND_TABLES`: the unit tree, the stamps, the published criteria), whatever the reach.
Writes always carry a signature (the audit trail takes rows only from a signed transaction).
The settings end with the transaction (and a rolled-back savepoint restores the earlier ones), so each
transaction starts with no reach: a query then returns no rows and a write is refused.

The portal connects as an application role that owns no table and has no BYPASSRLS
(`flask --app wsgi database grant`); migrations and backups run as the owner (`DATABASE_OWNER_URL`).
"""

import hashlib
import hmac
import weakref
from functools import lru_cache

from flask import current_app
from sqlalchemy import Table, TextClause, text
from sqlalchemy.sql import visitors

from portal.tenancy.guard import ACTOR, MANAGE_UNITS, REACH, SYSTEM, UNITS, WRITE_REACH

# Tables bound by row-level security besides the registers (migration c5d6e7f8a9b0): COPY cannot fill them.
BOUND_BEYOND_REGISTERS = frozenset(
    {
        "dossier", "commune_result", "monthly_snapshot", "dossier_attachment", "dossier_event",
        "dossier_submission", "audit_event", "role_assignment", "user_account", "user_session", "recovery_code",
        "case_transfer",
    }
)
SESSION_KEY = "portal.rls_session"  # connection.info: the ORM session using the connection now
APPLIED_KEY = "portal.rls_applied"  # connection.info: the settings sent in this transaction
SETTINGS = (
    "portal.reach", "portal.write_reach", "portal.units", "portal.manage_units", "portal.actor", "portal.system"
)
SET_REACH = (
    "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in SETTINGS)
    + ", set_config('portal.reach_sig', %s, true)"
)


def settings_of(info: dict) -> tuple[str, ...]:
    """The six settings a session's guard state stands for."""
    actor = info.get(ACTOR)
    return (
        _listed(info.get(REACH) or frozenset()),
        _listed(info.get(WRITE_REACH) or frozenset()),
        _listed(info.get(UNITS) or frozenset()),
        _listed(info.get(MANAGE_UNITS) or frozenset()),
        str(actor) if isinstance(actor, int) else "",
        "on" if info.get(SYSTEM) else "off",
    )


NO_REACH = ("", "", "", "", "", "off")  # settings_of an empty reach: no communes, units, actor or system scope
UNKNOWN = ("?",)  # after a rolled-back savepoint: whatever was sent before it
SAVEPOINT_CONTROL = ("SAVEPOINT ", "ROLLBACK TO SAVEPOINT ", "RELEASE SAVEPOINT ")  # as SQLAlchemy sends them


def reach_signing_key(config) -> bytes:
    """The key that signs the settings: REACH_SIGNING_KEY, or one derived from SECRET_KEY. The owner
    stores it in the database (`store_signing_key`, run by every migration and `database grant`)."""
    explicit = config.get("REACH_SIGNING_KEY")
    if explicit:
        return explicit.encode()
    return hmac.new(config["SECRET_KEY"].encode(), b"portal.reach-signing-key", hashlib.sha256).digest()


def signature(key: bytes, settings: tuple[str, ...], backend_pid: int) -> str:
    message = "|".join((*settings, str(backend_pid))).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def store_signing_key(connection, key: bytes) -> None:
    """As the owner: the key the database checks signatures with (once its table exists)."""
    if connection.execute(text("SELECT to_regclass('portal_secret.reach_key')")).scalar() is None:
        return
    connection.execute(
        text(
            "INSERT INTO portal_secret.reach_key (id, secret) VALUES (1, :k) "
            "ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret"
        ),
        {"k": key},
    )


@lru_cache(maxsize=512)
def _listed(ids: frozenset) -> str:
    """'1,2,3': asked before every statement, and a province's reach is 547 ids (a frozenset keeps its hash)."""
    return ",".join(str(i) for i in sorted(ids))


def bind_connection(session, transaction, connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.info[SESSION_KEY] = weakref.ref(session)
        connection.info.pop(APPLIED_KEY, None)


def apply_reach(conn, cursor, statement, parameters, context, executemany) -> None:
    ref = conn.info.get(SESSION_KEY)
    session = ref() if ref is not None else None
    if session is None:
        return
    if statement.startswith(SAVEPOINT_CONTROL):
        return  # a rollback to a savepoint restores what was sent before it: sent again after (forget_applied)
    wanted = settings_of(session.info)
    applied = conn.info.get(APPLIED_KEY)
    if applied == wanted:
        return
    if _reads_only(context) and (applied is None and wanted == NO_REACH or _reads_no_bound_table(context)):
        return  # read as any reach reads it: sent with the next statement that needs it
    send_signed(conn.connection.dbapi_connection, wanted)
    conn.info[APPLIED_KEY] = wanted


def _reads_only(context) -> bool:
    """A compiled SELECT (text, DDL and every insert, update or delete count as writes)."""
    compiled = getattr(context, "compiled", None)
    if compiled is None or context.is_crud or context.isddl:
        return False
    return bool(getattr(compiled.statement, "is_select", False))


# Tables no policy binds (tests/isolation/test_row_level_security.py checks each against the catalog):
# a read of these alone returns the same rows whatever the settings say.
UNBOUND_TABLES = frozenset({"admin_unit", "unit_lineage", "tree_stamp", "unit_stamp", "criteria_version", "criterion"})
_UNBOUND_READS: dict[str, bool] = {}  # a compiled SELECT's text -> whether it reads only unbound tables


def _reads_no_bound_table(context) -> bool:
    """A SELECT of unbound tables alone, decided once for each compiled text."""
    compiled = context.compiled
    decided = _UNBOUND_READS.get(compiled.string)
    if decided is None:  # as compiled: an ORM statement's eager loads join their tables there
        statement = getattr(getattr(compiled, "compile_state", None), "statement", None)
        decided = _names_unbound_tables_alone(compiled.statement if statement is None else statement)
        if len(_UNBOUND_READS) > 4096:
            _UNBOUND_READS.clear()
        _UNBOUND_READS[compiled.string] = decided
    return decided


def _names_unbound_tables_alone(statement) -> bool:
    """Every table the statement names, in its subqueries and columns too, is unbound; SQL written as text
    (which could name any table) counts as bound."""
    names = set()
    for element in visitors.iterate(statement):
        if isinstance(element, TextClause) or getattr(element, "is_literal", False):
            return False
        table = element if isinstance(element, Table) else getattr(element, "table", None)
        if isinstance(table, Table):
            names.add(table.name)
    return bool(names) and names <= UNBOUND_TABLES


def send_signed(dbapi, wanted: tuple[str, ...]) -> None:
    """The settings and their signature, for this connection's transaction. A cursor of its own: the
    statement's may be a server-side one (yield_per), whose query runs only when rows are fetched."""
    with dbapi.cursor() as own:
        own.execute(SET_REACH, (*wanted, signature(_key(), wanted, dbapi.info.backend_pid)))


def sign_system_scope(connection) -> None:
    """A Core connection of the portal's own (the owner's, for the retention sweep's scrub of the audit
    trail) enters system scope for its transaction, signed like the ORM session's."""
    if connection.dialect.name != "postgresql":
        return
    send_signed(connection.connection.dbapi_connection, settings_of({SYSTEM: True}))


def _key() -> bytes:
    app = current_app._get_current_object()
    key = app.extensions.get("portal.reach_key")
    if key is None:
        key = app.extensions["portal.reach_key"] = reach_signing_key(app.config)
    return key


def forget_applied(conn, *args) -> None:
    """A savepoint is rolled back (this event comes before the ROLLBACK TO, which sends nothing): the
    settings become those sent before the savepoint, so the next statement sends its own again, a read
    with an empty reach too."""
    if not conn.invalidated:  # a connection lost mid-transaction: its info goes with it (and may not be read)
        conn.info[APPLIED_KEY] = UNKNOWN


def unbind(conn, *args) -> None:
    if not conn.invalidated:
        conn.info.pop(APPLIED_KEY, None)
        conn.info.pop(SESSION_KEY, None)

