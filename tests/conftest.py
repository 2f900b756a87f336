"""Test harness: one database per run (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
built by the real migrations, emptied and re-seeded before every test (on SQLite, the seeded world is
restored from a copy, see `world`)."""

import copy
import hashlib
import os
import re
import secrets
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, select, text, update

from portal import clock, create_app
from portal.auth.models import User, UserSession
from portal.extensions import db
from portal.imports.jobs import wait_for_workers
from portal.tenancy import tree
from portal.tenancy.database import app_role_url, dispose_engines, owner_engine
from portal.tenancy.guard import clear_reach, system_scope
from tests.world import PASSWORD, seed_world, totp_code

ROOT = Path(__file__).resolve().parents[1]
CLOCK_CHILD = str(ROOT / "tests" / "clock_child")
os.environ.setdefault("PORTAL_ENV", "testing")


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        help="start every test at this instant (ISO 8601 with its offset, e.g. 2026-12-31T16:59:30+00:00), "
        "its clock ticking from there; CI runs the tests marked `clock` at instants around Vietnam's midnight",
    )


def pytest_report_header(config):
    instant = config.getoption("--clock")
    return f"clock: every test starts at {instant}" if instant else None


@pytest.fixture(autouse=True)
def _clock(request, monkeypatch):
    """Every test starts at --clock's instant when one is given. time-machine moves Python's clock in this
    process; the processes a test starts (import jobs) are moved alike by tests/clock_child."""
    instant = request.config.getoption("--clock")
    if not instant:
        yield
        return
    moment = datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        raise pytest.UsageError("--clock needs an instant with its offset, e.g. 2026-12-31T16:59:30+00:00")
    with time_machine.travel(moment, tick=True):
        monkeypatch.setenv("PORTAL_TEST_CLOCK_OFFSET", str(time.time() - time_machine.escape_hatch.time.time()))
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [CLOCK_CHILD, os.environ.get("PYTHONPATH")])))
        yield


def _fresh_postgres(url: str) -> str:
    """Recreate the test database named in the URL, connecting to the server's `postgres` database."""
    name = url.rsplit("/", 1)[1].split("?")[0]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unexpected test database name {name!r}")
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


APP_ROLE = "portal_app"


def database_config(owner_url: str) -> dict:
    """The two database settings of an app on this database: the portal's role, which row-level security
    binds (created and granted by the migrations, as `flask db upgrade` does), and the owner's."""
    if owner_url.startswith("postgresql"):
        app_url = app_role_url(owner_url, APP_ROLE, "portal-app-test")
        return {"SQLALCHEMY_DATABASE_URI": app_url, "DATABASE_OWNER_URI": owner_url}
    return {"SQLALCHEMY_DATABASE_URI": owner_url}


@pytest.fixture(scope="session")
def owner_database_url(tmp_path_factory) -> str:
    """The test database, as its owner (on SQLite, simply the database)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _fresh_postgres(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.sqlite3")


@pytest.fixture(scope="session")
def database_url(owner_database_url) -> str:
    """The test database as the portal connects to it (on PostgreSQL, the application role)."""
    return database_config(owner_database_url)["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture(scope="session")
def _migrated_app(owner_database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            **database_config(owner_database_url),
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("attachments")),
            "IMPORTS_DIR": str(tmp_path_factory.mktemp("imports")),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        dispose_engines()


def empty_database() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":  # as the owner: the portal's role may not empty the audit trail
        with owner_engine().begin() as connection:
            connection.execute(text("UPDATE dossier SET decided_submission_id = NULL"))
            for table in tables:
                connection.execute(table.delete())
        return
    # a decision points at the submission it rests on, which points back at the dossier: break the cycle
    db.session.execute(text("UPDATE dossier SET decided_submission_id = NULL"))
    with system_scope(db.session):  # DELETE, not TRUNCATE: on tables this small it is several times faster
        for table in tables:
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def app(_migrated_app):
    app = _migrated_app
    app.config.update(WTF_CSRF_ENABLED=False)
    with app.app_context():
        empty_database()
    yield app
    wait_for_workers()  # an import job started by the test ends before the next test empties the database
    with app.app_context():
        db.session.rollback()
        clear_reach(db.session)
        db.session.remove()


@pytest.fixture
def world(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            return _seeded_from_snapshot(app)
        return _seeded_from_copies(app)


# On SQLite the world is seeded once a day of the province and kept as a copy of the database's pages;
# each test gets it back with SQLite's backup API (about 1 ms, where seeding takes about 150 ms), with
# the files of its dossiers and a fresh copy of its ids. PostgreSQL seeds it for every test.
_SNAPSHOT: dict = {}


def _seeded_from_snapshot(app):
    key = (clock.today(), app.config["PORTAL_TIMEZONE"])
    if _SNAPSHOT.get("key") != key:
        world = seed_world()
        pages = sqlite3.connect(":memory:")
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.backup(pages)
        finally:
            raw.close()
        _SNAPSHOT.update(key=key, pages=pages, world=world, files=_world_files(app))
        return copy.deepcopy(world)
    db.session.remove()
    db.engine.dispose()  # no connection of the pool keeps pages of the database being replaced
    raw = db.engine.raw_connection()
    try:
        _SNAPSHOT["pages"].backup(raw.driver_connection)
    finally:
        raw.close()
    _put_back_files(app, _SNAPSHOT["files"])
    return copy.deepcopy(_SNAPSHOT["world"])


# On PostgreSQL the world is seeded once a day of the province and kept as each table's rows (COPY, binary)
# and each sequence's value; a test gets them back into its emptied tables (about 30 ms, where seeding
# takes about 200 ms), as the owner (a superuser in the tests: row-level security and the keys' triggers
# do not apply to rows copied back as they were).
_COPIES: dict = {}


def _seeded_from_copies(app):
    key = (clock.today(), app.config["PORTAL_TIMEZONE"])
    tables = [table.name for table in db.metadata.sorted_tables]
    if _COPIES.get("key") != key:
        world = seed_world()
        with owner_engine().connect() as connection:
            cursor = connection.connection.driver_connection.cursor()
            rows = {}
            for name in tables:
                with cursor.copy(f'COPY "{name}" TO STDOUT (FORMAT BINARY)') as stream:
                    rows[name] = b"".join(bytes(block) for block in stream)
            serial = [t.name for t in db.metadata.sorted_tables if "id" in t.c]  # their sequences, no one else's
            sequences = cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname || '.' || sequencename IN "
                "(SELECT pg_get_serial_sequence(quote_ident(t), 'id') FROM unnest(%s::text[]) AS t)",
                (serial,),
            ).fetchall()
        _COPIES.update(key=key, rows=rows, sequences=sequences, world=world, files=_world_files(app))
        return copy.deepcopy(world)
    with owner_engine().begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL session_replication_role = replica")  # rows as they were: keys held already
        for name in tables:
            if len(_COPIES["rows"][name]) > 19 + 2:  # a binary COPY's header and trailer alone: no rows
                with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT BINARY)') as stream:
                    stream.write(_COPIES["rows"][name])
        for sequence, value in _COPIES["sequences"]:
            cursor.execute("SELECT setval(%s, %s, %s)", (f'public."{sequence}"', value or 1, value is not None))
    _put_back_files(app, _COPIES["files"])
    return copy.deepcopy(_COPIES["world"])


def _world_files(app) -> dict[str, bytes]:
    """The files of the seeded world's dossiers, kept with its copy."""
    return {path.name: path.read_bytes() for path in Path(app.config["ATTACHMENTS_DIR"]).glob("world-*")}


def _put_back_files(app, files: dict[str, bytes]) -> None:
    store = Path(app.config["ATTACHMENTS_DIR"])
    for name, data in files.items():
        (store / name).write_bytes(data)


@pytest.fixture
def login(app):
    """login(username) -> a test client with a live session of that user, logged in through the form
    (with the second factor for the accounts that have it)."""

    def _login(username: str, password: str = PASSWORD):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"login of {username} failed"
        if response.headers["Location"].endswith("/login/code"):
            allow_code_again(app, username)
            response = client.post("/login/code", data={"code": totp_code(username)})
            assert response.status_code == 302, f"second factor of {username} failed"
        return client

    return _login


def log_in_enrolling(app, username: str, password: str = PASSWORD):
    """A client logged in through the form as a new officer would be: an account that must use two-factor
    login and has not enrolled yet enrols an authenticator on the way (its secret read off the page)."""
    import pyotp

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    if response.headers["Location"].endswith("/account/two-factor"):
        page = client.get("/account/two-factor").get_data(as_text=True)
        secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
        assert client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    return client


def statements_of(app, client, url) -> list[str]:
    """The SQL statements one GET of the page sends (it must answer 200), on a worker that keeps the unit
    tree as it is now (a worker reads it once after each change: portal/tenancy/tree.py)."""
    sent = []

    def note(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        tree.current()
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    return sent


def count_statements(app, client, url) -> int:
    return len(statements_of(app, client, url))


def allow_code_again(app, username: str) -> None:
    """Forget the last time step the account used, so that a test may log it in twice within 30 seconds
    (the codes' single use is tested in tests/auth/test_two_factor.py)."""
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(User).where(User.username == username).values(totp_last_step=None))
        db.session.commit()


@pytest.fixture
def session_for(app):
    """session_for(username) -> a client holding a live server-side session of that user, made as a login
    makes one but without verifying the password again (the login itself is tested in tests/auth)."""

    return lambda username: client_with_session(app, username)


def client_with_session(app, username: str):
    with app.app_context(), system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == username))
        token = secrets.token_urlsafe(32)
        db.session.add(
            UserSession(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                user_id=user.id,
                second_factor_at=clock.utcnow() if user.totp_enabled_at else None,
            )
        )
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


@pytest.fixture
def dialect(database_url) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def guard_off():
    """The ORM guard's scoping and write checks uninstalled for one test, to prove that the layers around
    it (the unit gate, the access functions, row-level security) hold on their own. Audit rows stay."""
    from portal import listeners
    from portal.tenancy import guard

    with listeners.without(guard.scope_tenant_queries, guard.check_write_reach):
        yield
