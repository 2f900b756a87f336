"""Who a request is, read on PostgreSQL in one round trip on the worker's own connection.

Every request first asks who its cookie's token is: the live session, its account, the account's role
assignments and the unit tree's stamp, in one statement (portal/auth/sessions.py). On PostgreSQL each
worker process asks it on a connection of its own in autocommit, as the application role with no
settings (row-level security opens accounts, sessions and role assignments to reads, as it does to an
empty reach), as a statement prepared once on that connection; the row's values go through the columns'
own result processors, as the ORM's would. So a page that reads nothing else takes no connection from
the pool, and sends no ping, no BEGIN and no ROLLBACK.

Nothing is kept between requests but the connection (closed with the engine's pool: portal/listeners.py).
Every request reads the session and the account as they are, so a logout, a disabled account or a role
taken away counts at the next request on every worker. Any failure of that connection (a database
restarting) closes it and answers False: the caller asks in the request's session instead, as it always
does on SQLite, and the next request connects again.
"""

import atexit
import os
import threading
from functools import cache

import psycopg
from sqlalchemy import Select

from portal.extensions import db

_CURSORS: dict[tuple[int, str], psycopg.Cursor] = {}  # (process, database) -> a cursor of its own connection
_LOCK = threading.Lock()  # the development server serves requests on threads


def read(statement: Select, parameters: dict) -> tuple | None | bool:
    """The statement's one row (None when there is none), with its values as the ORM would give them;
    False when it cannot be asked here (not PostgreSQL, or the connection failed)."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return False
    sql, constants, processors = _compiled(statement, engine.dialect)
    key = (os.getpid(), engine.url.render_as_string(hide_password=False))
    with _LOCK:
        try:
            cursor = _CURSORS.get(key) or _connect(key)
            row = cursor.execute(sql, constants | parameters, prepare=True).fetchone()
        except psycopg.Error:
            _close(key)
            return False
    if row is None:
        return None
    return tuple(process(value) if process else value for process, value in zip(processors, row, strict=True))


@cache
def _compiled(statement: Select, dialect) -> tuple[str, dict, tuple]:
    """Compiled once per statement and dialect: its SQL with the parameters rendered late (a constant, the
    separator of the role assignments' text) in place, its constant parameters, and each column's result
    processor (None: as the driver gives it)."""
    compiled = statement.compile(dialect=dialect)
    asked = {name: None for name, bind in compiled.binds.items() if bind.value is None and bind.callable is None}
    expanded = compiled.construct_expanded_state(asked)
    constants = {name: value for name, value in expanded.parameters.items() if name not in asked}
    processors = tuple(column.type.result_processor(dialect, None) for column in statement.selected_columns)
    return expanded.statement, constants, processors


def _connect(key: tuple[int, str]) -> psycopg.Cursor:
    url = key[1].replace("postgresql+psycopg://", "postgresql://", 1)
    cursor = _CURSORS[key] = psycopg.connect(url, autocommit=True, connect_timeout=5).cursor()
    return cursor


def close_own_connection(engine) -> None:
    """The engine's pool is disposed (a restore, a test's teardown): this worker's own connection to the
    same database goes with it."""
    _close((os.getpid(), engine.url.render_as_string(hide_password=False)))


@atexit.register
def _close_all() -> None:
    """This process's own (a forked child must not end its parent's connection)."""
    for key in [key for key in _CURSORS if key[0] == os.getpid()]:
        _close(key)


def _close(key: tuple[int, str]) -> None:
    cursor = _CURSORS.pop(key, None)
    if cursor is not None:
        try:
            cursor.connection.close()
        except psycopg.Error:
            pass
