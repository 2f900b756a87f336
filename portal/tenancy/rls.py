"""Layer 4 of isolation, on PostgreSQL: row-level security under the ORM guard.

Every tenant-owned table has `ENABLE` and `FORCE ROW LEVEL SECURITY` and four policies (migration
`c1d2e3f4a5b6`) that read three settings local to the transaction:

- `portal.reach`: the commune ids the request may read, comma-separated;
- `portal.write_reach`: the commune ids it may insert, update or delete;
- `portal.system`: `on` for code running in `system_scope()` (CLI commands, metric rebuilds).

Nothing here decides a reach: the guard's `session.info` (set by the unit gate) stays the one source.
Before any statement reaches PostgreSQL, `_apply_reach` compares what the session holds with what was
last sent on that connection in this transaction, and sends `set_config(..., true)` when they differ.
The settings end with the transaction (and a rolled-back savepoint restores the earlier ones), so each
transaction starts with no reach: a query then returns no rows and a write is refused.

The portal connects as an application role that owns no table and has no BYPASSRLS
(`flask --app wsgi database grant`); migrations and backups run as the owner (`DATABASE_OWNER_URL`).
"""

import weakref
from functools import lru_cache

from portal.tenancy.guard import REACH, SYSTEM, WRITE_REACH

SESSION_KEY = "portal.rls_session"  # connection.info: the ORM session using the connection now
APPLIED_KEY = "portal.rls_applied"  # connection.info: the settings sent in this transaction
SET_REACH = (
    "SELECT set_config('portal.reach', %s, true), set_config('portal.write_reach', %s, true), "
    "set_config('portal.system', %s, true)"
)


def settings_of(info: dict) -> tuple[str, str, str]:
    """The three settings a session's guard state stands for."""
    return (
        _listed(info.get(REACH) or frozenset()),
        _listed(info.get(WRITE_REACH) or frozenset()),
        "on" if info.get(SYSTEM) else "off",
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
    wanted = settings_of(session.info)
    if conn.info.get(APPLIED_KEY) != wanted:
        # a cursor of its own: the statement's may be a server-side one (yield_per), whose query runs only
        # when rows are fetched
        with conn.connection.dbapi_connection.cursor() as own:
            own.execute(SET_REACH, wanted)
        conn.info[APPLIED_KEY] = wanted


def forget_applied(conn, *args) -> None:
    """The transaction's settings are gone: the next statement sends them again."""
    if not conn.invalidated:  # a connection lost mid-transaction: its info goes with it (and may not be read)
        conn.info.pop(APPLIED_KEY, None)


def unbind(conn, *args) -> None:
    if not conn.invalidated:
        conn.info.pop(APPLIED_KEY, None)
        conn.info.pop(SESSION_KEY, None)

