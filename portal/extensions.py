"""The Flask extensions, created once and bound to the app in `create_app`."""

import sqlite3
from pathlib import Path

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from portal.files import make_private

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()


def sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked; the same-commune keys must hold there too."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        for _seq, name, filename in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main" and filename:  # the database file (and its write-ahead log): the portal's only
                private_database(Path(filename))
        # Readers go on while an import commits (WAL), and a writer waits its turn rather than failing.
        cursor.execute("PRAGMA busy_timeout=30000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "delete":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def private_database(path: Path) -> None:
    """0600 for the database file and its logs, whatever the umask (the instance directory that holds it
    by default is made 0700 when the app starts)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        make_private(Path(str(path) + suffix))


def limit(attribute) -> int:
    """The most characters a text field holds: its column's length (`String(120)`), or the limit a free-text
    column declares (`info={"max_length": 2000}`, see registers.rows.text_column). Forms, import sheets and
    account sheets read it from here, so each field's limit is written once, in its model."""
    column = attribute.property.columns[0]
    return column.type.length or column.info["max_length"]
