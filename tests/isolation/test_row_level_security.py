"""Layer 4, on PostgreSQL: row-level security holds when the ORM guard is switched off.

The portal connects as the application role (tests/conftest.py, as production does); these tests turn
the guard off and query the tables directly, as code with a forgotten filter would, and check that
PostgreSQL itself returns only the reach and refuses writes outside the write reach. The IDOR sweep's
"guard off" half (test_idor_sweep.py) runs on PostgreSQL in CI with the same layers.
"""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.persons.models import Person
from portal.tenancy.database import owner_engine, role_problems
from portal.tenancy.guard import clear_reach, set_reach, tenant_models
from portal.villages.models import Village


@pytest.fixture(autouse=True)
def _postgresql_without_the_guard(dialect, request):
    if dialect != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    request.getfixturevalue("guard_off")


def _owner_count(table: str, commune_id: int | None = None) -> int:
    where = f" WHERE commune_id = {int(commune_id)}" if commune_id is not None else ""
    with owner_engine().connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}{where}")).scalar()  # noqa: S608 - fixed names


def test_the_portal_role_owns_no_table_and_cannot_bypass_row_level_security(app):
    with app.app_context():
        role = db.session.execute(text("SELECT current_user")).scalar()
        assert role == "portal_app"
        assert role_problems(db.session.connection(), role) == []
        with owner_engine().connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() != role


def test_every_tenant_table_forces_row_level_security_with_its_four_policies(app):
    with app.app_context(), owner_engine().connect() as connection:
        for model in tenant_models:
            table = model.__tablename__
            enabled, forced = connection.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"), {"t": table}
            ).one()
            assert enabled and forced, table
            commands = connection.execute(
                text("SELECT cmd FROM pg_policies WHERE tablename = :t"), {"t": table}
            ).scalars()
            assert sorted(commands) == ["DELETE", "INSERT", "SELECT", "UPDATE"], table


def test_with_no_reach_every_tenant_table_reads_empty(app, world):
    with app.app_context():
        clear_reach(db.session)
        for model in tenant_models:
            assert _owner_count(model.__tablename__) > 0 or model.__tablename__ == "import_job", model
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
            table = model.__tablename__
            assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0  # noqa: S608


def test_an_unfiltered_query_returns_only_the_reach(app, world):
    a, b = world.unit_id["A"], world.unit_id["B"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}))
        persons = db.session.scalars(select(Person)).all()
        assert persons and {p.commune_id for p in persons} == {a}
        assert len(persons) == _owner_count("person", a)
        assert db.session.scalars(select(Person).where(Person.commune_id == b)).all() == []
        assert db.session.execute(text("SELECT count(*) FROM village WHERE commune_id = :b"), {"b": b}).scalar() == 0


def test_a_streamed_read_on_a_server_side_cursor_gets_the_reach_too(app, world):
    """Exports read with yield_per: PostgreSQL runs such a query only when rows are fetched."""
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}))
        streamed = db.session.scalars(select(Person).execution_options(yield_per=1)).all()
        assert streamed and {p.commune_id for p in streamed} == {a}
        assert len(streamed) == _owner_count("person", a)


def test_writes_outside_the_write_reach_are_refused_by_the_database(app, world):
    a, b = world.unit_id["A"], world.unit_id["B"]
    village_b = world.row_id[(Village, "B")]
    with app.app_context():
        set_reach(db.session, read=frozenset({a, b}), write=frozenset({a}))
        assert db.session.execute(text("SELECT count(*) FROM village WHERE commune_id = :b"), {"b": b}).scalar() == 1
        updated = db.session.execute(text("UPDATE village SET name = 'Thôn Lạ' WHERE id = :v"), {"v": village_b})
        assert updated.rowcount == 0  # B is read-only here: the row is not there for an update
        deleted = db.session.execute(text("DELETE FROM village WHERE id = :v"), {"v": village_b})
        assert deleted.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            db.session.execute(
                text(
                    "INSERT INTO village (commune_id, name, kind, head_name, created_at, updated_at, version, "
                    "search_key, is_demo) VALUES (:b, 'Thôn Lạ', 'village', '', now(), now(), 1, '', false)"
                ),
                {"b": b},
            )
        db.session.rollback()
        with pytest.raises(DBAPIError, match="row-level security"):  # nor can a row be moved into B
            db.session.execute(
                text("UPDATE village SET commune_id = :b WHERE id = :v"), {"b": b, "v": world.row_id[(Village, "A")]}
            )
        db.session.rollback()
    with app.app_context(), owner_engine().connect() as connection:
        assert (
            connection.execute(text("SELECT name FROM village WHERE id = :v"), {"v": village_b}).scalar() != "Thôn Lạ"
        )


def test_the_reach_lasts_one_transaction_and_follows_savepoints(app, world):
    a, b = world.unit_id["A"], world.unit_id["B"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}))
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {a}
        db.session.commit()
        set_reach(db.session, read=frozenset({b}))  # a new transaction sends the new reach
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {b}
        nested = db.session.begin_nested()
        set_reach(db.session, read=frozenset({a}))
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {a}
        nested.rollback()  # PostgreSQL restores B's reach; the session still says A: sent again
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {a}
        db.session.rollback()
        clear_reach(db.session)
        assert db.session.execute(text("SELECT count(*) FROM village")).scalar() == 0


def test_a_connection_lost_mid_transaction_rolls_back_and_the_next_one_has_the_reach(app, world):
    """As when PostgreSQL restarts under a request (tests/faults): the rollback must not trip on the lost
    connection, and the next transaction, on a new connection, sends its reach again."""
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}))
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with owner_engine().connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT count(*) FROM village")).scalar()
        db.session.rollback()
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {a}


def test_the_portal_role_can_add_audit_rows_but_never_change_or_delete_them(app, world):
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) > 0
        db.session.execute(
            text("INSERT INTO audit_event (at, object_type, action, system) VALUES (now(), 'x', 'x', true)")
        )
        db.session.commit()
        for statement in (
            "UPDATE audit_event SET action = 'nothing happened'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
        ):
            with pytest.raises(ProgrammingError, match="permission denied"):
                db.session.execute(text(statement))
            db.session.rollback()
        with pytest.raises(ProgrammingError, match="permission denied"):
            db.session.execute(text("UPDATE alembic_version SET version_num = 'x'"))
        db.session.rollback()
