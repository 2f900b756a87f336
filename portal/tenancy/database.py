"""The two PostgreSQL roles: the owner (migrations, backups) and the application role (everything else).

The portal serves requests as `DATABASE_URL`'s role, which must own no table and have neither
SUPERUSER nor BYPASSRLS, so that row-level security binds it. Migrations, `backup` and `restore` run as
`DATABASE_OWNER_URL`'s role. `grant_app_role` (run after every migration, and by
`flask --app wsgi database grant`) creates the application role if it is missing and gives it exactly
what it needs: read and write on the tables, but only read and insert on the audit trail.
"""

import logging

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine, make_url

from portal.extensions import db
from portal.tenancy.rls import reach_signing_key, store_signing_key

log = logging.getLogger(__name__)

APPEND_ONLY = ("audit_event",)  # the application role may read and add rows here, never change them
READ_ONLY = ("alembic_version",)


class UnsafeAppRole(RuntimeError):
    """The portal was about to serve requests as a role that row-level security does not bind."""


def owner_url() -> URL:
    url = make_url(current_app.config.get("DATABASE_OWNER_URI") or current_app.config["SQLALCHEMY_DATABASE_URI"])
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url  # the driver we ship


def owner_engine() -> Engine:
    """The owner's engine, or the portal's own when no owner is configured (SQLite; one-role setups)."""
    if not current_app.config.get("DATABASE_OWNER_URI"):
        return db.engine
    engines = current_app.extensions.setdefault("portal.owner_engines", {})
    url = owner_url()
    key = url.render_as_string(hide_password=False)
    if key not in engines:
        engines[key] = create_engine(url, pool_pre_ping=True)
    return engines[key]


def dispose_engines() -> None:
    """Close every pooled connection of this app, the owner's included."""
    db.engine.dispose()
    for engine in current_app.extensions.pop("portal.owner_engines", {}).values():
        engine.dispose()


def app_role_url(owner: str, role: str, password: str | None) -> str:
    """The owner's URL with the application role in its place (its password only where the owner has one):
    how the tests and the benchmarks connect as production does."""
    url = make_url(owner)
    return url.set(username=role, password=password if url.password else None).render_as_string(hide_password=False)


def app_role_of(app_url: URL, connection: Connection) -> str | None:
    """The application role, when it differs from the role the connection runs as (the owner)."""
    role = app_url.username
    owner = connection.execute(text("SELECT current_user")).scalar()
    return role if role and role != owner else None


def grant_app_role(connection: Connection, app_url: URL) -> str | None:
    """As the owner: store the key that signs the reach (portal.tenancy.rls), and make the application
    role exist, bound by row-level security, with its grants."""
    if connection.dialect.name != "postgresql":
        return None
    store_signing_key(connection, reach_signing_key(current_app.config))
    role = app_role_of(app_url, connection)
    if role is None:
        return None
    quoted = connection.dialect.identifier_preparer.quote(role)
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        password = app_url.password
        statement = f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        if password:
            literal = connection.execute(text("SELECT quote_literal(:p)"), {"p": str(password)}).scalar()
            statement += f" PASSWORD {literal}"
        connection.execute(text(statement))
    problems = role_problems(connection, role)
    if problems:
        raise UnsafeAppRole(f"the application role {role}: " + "; ".join(problems))
    database = connection.dialect.identifier_preparer.quote(
        connection.execute(text("SELECT current_database()")).scalar()
    )
    for statement in (
        f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",  # UPDATE: setval after bulk loads
        *(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {t} FROM {quoted}" for t in READ_ONLY),
        *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {quoted}" for t in APPEND_ONLY),
    ):
        connection.execute(text(statement))
    return role


def role_problems(connection: Connection, role: str) -> list[str]:
    """Why row-level security would not bind this role (empty when it would)."""
    row = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).one_or_none()
    if row is None:
        return ["does not exist"]
    problems = []
    if row.rolsuper:
        problems.append("is a superuser")
    if row.rolbypassrls:
        problems.append("has BYPASSRLS")
    owned = connection.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"), {"r": role}
    ).scalar()
    if owned:
        problems.append(f"owns {owned} tables")
    return problems


def _signing_problems(app) -> list[str]:
    """Whether the database accepts this app's signature of the reach (the key it stores is derived from the
    same SECRET_KEY, or REACH_SIGNING_KEY): otherwise every page would read nothing."""
    from portal.tenancy.rls import send_signed, settings_of

    with app.app_context():
        try:
            with db.engine.connect() as connection:
                if connection.execute(text("SELECT to_regprocedure('public.portal_reach_signed()')")).scalar() is None:
                    return []  # not migrated yet
                send_signed(connection.connection.dbapi_connection, settings_of({}))
                accepted = connection.execute(text("SELECT public.portal_reach_signed()")).scalar()
                connection.rollback()
        except Exception:  # noqa: BLE001 - the database may be down at start-up; requests then get the 503 page
            log.warning("could not check the reach's signing key at start-up", exc_info=True)
            return []
    if accepted:
        return []
    return [
        "the database does not accept this portal's signature of the reach (SECRET_KEY or REACH_SIGNING_KEY "
        "differs from the one it was granted with): every page would read nothing. Run "
        "`flask --app wsgi database grant` with this configuration."
    ]


def check_app_role(app) -> None:
    """At start-up on PostgreSQL: refuse (in production) or warn when the portal's role escapes RLS."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                role = connection.execute(text("SELECT current_user")).scalar()
                problems = role_problems(connection, role)
        except Exception:  # noqa: BLE001 - the database may be down at start-up; requests then get the 503 page
            log.warning("could not check the database role at start-up", exc_info=True)
            return
    if not problems:
        problems = _signing_problems(app)
        if not problems:
            return
        message = "; ".join(problems)
    else:
        message = (
            f"the portal connects as {role}, which " + "; ".join(problems) + ": row-level security does not bind it. "
            "Set DATABASE_URL to the application role and DATABASE_OWNER_URL to the owner (README, 'Database roles')."
        )
    if app.config["PORTAL_ENV"] == "production":
        with app.app_context():
            dispose_engines()  # the app is not made: its pooled connections go with it
        raise UnsafeAppRole(message)
    log.warning(message)
