"""Layer 4, on PostgreSQL: row-level security holds when the ORM guard is switched off.

The portal connects as the application role (tests/conftest.py, as production does); these tests turn
the guard off and query the tables directly, as code with a forgotten filter would, and check that
PostgreSQL itself returns only the reach and refuses writes outside the write reach. The IDOR sweep's
"guard off" half (test_idor_sweep.py) runs on PostgreSQL in CI with the same layers.
"""

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from portal.audit.models import AuditEvent
from portal.exports.models import ExportJob
from portal.extensions import db
from portal.persons.models import Person
from portal.tenancy.database import dispose_engines, owner_engine, role_problems
from portal.tenancy.guard import SYSTEM, clear_reach, set_reach, system_scope, tenant_models
from portal.tenancy.models import AdminUnit, UnitStamp
from portal.tenancy.rls import SETTINGS, UNBOUND_TABLES, reach_signing_key, settings_of
from portal.tenancy.rls import signature as rls_signature
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


def test_the_signature_is_checked_by_definer_functions_with_their_search_path_pinned(app):
    """The four functions the policies ask run as the owner (they alone read the key), find nothing the
    caller could plant first on their path, and keep their plans for the connection (PL/pgSQL: a SQL
    function with a SET clause was planned again at every call, 2-3 ms of a page's statements)."""
    with app.app_context(), owner_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.proname, l.lanname, p.prosecdef, p.proconfig FROM pg_proc p "
                "JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND p.proname LIKE 'portal\\_%' ORDER BY p.proname"
            )
        ).all()
    assert [name for name, *_ in rows] == ["portal_actor", "portal_ids", "portal_reach_signed", "portal_system"]
    for name, language, definer, config in rows:
        assert (language, definer) == ("plpgsql", True), name
        path = next(c for c in config if c.startswith("search_path="))
        assert path.startswith("search_path=pg_catalog") and path.endswith("pg_temp"), (name, path)


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


def test_the_unit_keyed_tables_read_the_units_listed_by_a_hash(app, world):
    """Results, dossiers and snapshots are read under `portal.units`, which lists some 770 units for a
    province: the policy hashes the list once a statement (a walk along it for every row cost the
    province page 4 ms), and reads the units listed, no other and none when none is listed."""
    a, b = world.unit_id["A"], world.unit_id["B"]
    with app.app_context():
        everything = frozenset(db.session.scalars(select(AdminUnit.id)))
        assert _owner_count("dossier", a) and _owner_count("commune_result", a) and _owner_count("commune_result", b)
        for table in ("dossier", "commune_result", "monthly_snapshot"):
            for units, expected in ((frozenset({a}), _owner_count(table, a)), (everything, _owner_count(table))):
                set_reach(db.session, read=frozenset(), units=units)
                read = db.session.execute(text(f"SELECT commune_id FROM {table}")).scalars().all()  # noqa: S608
                assert len(read) == expected and (units == everything or set(read) <= {a}), table
                plan = db.session.execute(text(f"EXPLAIN SELECT commune_id FROM {table}")).scalars().all()  # noqa: S608
                assert any("hashed SubPlan" in line for line in plan), (table, plan)
                db.session.rollback()
            set_reach(db.session, read=frozenset(), units=frozenset())
            assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table  # noqa: S608
            db.session.rollback()


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


def test_a_move_between_communes_is_read_by_its_two_communes_and_no_third(app, world):
    """The one table two communes read: the A→B move is the sender's and the receiver's, never C's; only
    the sender records a move, and a third commune cannot settle it."""
    a, b, c = world.unit_id["A"], world.unit_id["B"], world.unit_id["C"]
    a_to_b = world.transfer_out["A"]
    with app.app_context():
        for reach, seen in ((a, True), (b, True), (c, False)):
            set_reach(db.session, read=frozenset({reach}), write=frozenset({reach}))
            rows = db.session.execute(text("SELECT id FROM case_transfer WHERE id = :t"), {"t": a_to_b}).all()
            assert bool(rows) is seen, reach
            db.session.rollback()
        set_reach(db.session, read=frozenset({c}), write=frozenset({c}))
        settled = db.session.execute(text("UPDATE case_transfer SET state = 'accepted' WHERE id = :t"), {"t": a_to_b})
        assert settled.rowcount == 0
        db.session.rollback()
        set_reach(db.session, read=frozenset({b}), write=frozenset({b}))
        with pytest.raises(DBAPIError, match="row-level security"):  # B cannot record a move as if A had
            db.session.execute(
                text(
                    "INSERT INTO case_transfer (commune_id, to_commune_id, destination, person_id, full_name, born_on, "
                    "case_kind, moved_on, reason, state, recorded_by, recorded_at, version) VALUES (:a, :b, '', 1, "
                    "'X', '1990-01-01', 'user_managed', '2026-01-01', '', 'pending', :u, now(), 1)"
                ),
                {"a": a, "b": b, "u": world.user_id["officer_b"]},
            )
        db.session.rollback()


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


def _signature_sent() -> bool:
    return bool(db.session.execute(select(func.current_setting("portal.reach_sig", True))).scalar())


def test_a_read_with_an_empty_reach_sends_nothing_and_a_write_is_signed_all_the_same(app, world):
    """Knowing who is logged in reads with an empty reach: no round trip for the settings, and the database
    answers as it does to an empty signed reach. A write in the same state still goes signed (the audit
    trail takes rows only from a signed transaction), and after a savepoint rolls back, the reach it
    restores is never trusted for an empty one."""
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset())
        assert db.session.scalars(select(Village)).all() == []
        assert not _signature_sent()
        db.session.execute(insert(AuditEvent).values(at=func.now(), object_type="x", action="x", system=False))
        assert _signature_sent()
        db.session.commit()

        set_reach(db.session, read=frozenset({a}))
        nested = db.session.begin_nested()
        assert {v.commune_id for v in db.session.scalars(select(Village))} == {a}  # the savepoint: A's reach
        set_reach(db.session, read=frozenset())
        assert db.session.scalars(select(Village)).all() == []
        nested.rollback()  # PostgreSQL is back to A's signed reach; the session says none: sent again
        assert db.session.scalars(select(Village)).all() == []
        db.session.rollback()


def _settings_sent() -> bool:
    """Asked past SQLAlchemy's events, so that asking sends nothing itself."""
    dbapi = db.session.connection().connection.dbapi_connection
    return bool(dbapi.execute("SELECT current_setting('portal.reach_sig', true)").fetchone()[0])


def test_a_read_of_tables_no_policy_binds_sends_no_settings_and_the_next_read_gets_them(app, world):
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}))
        assert db.session.scalars(select(UnitStamp.value)).all()  # stamps, like the unit tree, bind nothing
        assert db.session.scalar(select(AdminUnit.id).where(AdminUnit.id == a)) == a
        assert not _settings_sent()
        bound = select(Village).join(AdminUnit, AdminUnit.id == Village.commune_id)  # a bound table with them
        assert {v.commune_id for v in db.session.scalars(bound)} == {a}
        assert _settings_sent()
        db.session.rollback()
        set_reach(db.session, read=frozenset({a}))
        disguised = select(Village.commune_id).subquery("admin_unit")  # a bound table under an unbound name
        assert set(db.session.scalars(select(disguised.c.commune_id))) == {a}
        assert _settings_sent()
        db.session.rollback()
        set_reach(db.session, read=frozenset({a}))
        assert db.session.scalar(select(AdminUnit.id).where(text("EXISTS (SELECT 1 FROM village)")).limit(1))
        assert _settings_sent()  # SQL as text may name any table
        db.session.rollback()


def test_the_tables_read_without_settings_are_bound_by_no_policy(app):
    """From PostgreSQL's own catalog: a table given row-level security later must leave UNBOUND_TABLES."""
    with app.app_context(), owner_engine().connect() as connection:
        for table in sorted(UNBOUND_TABLES):
            enabled = connection.execute(
                text("SELECT relrowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
            ).scalar()
            policies = connection.execute(text("SELECT count(*) FROM pg_policies WHERE tablename = :t"), {"t": table})
            assert enabled is False and policies.scalar() == 0, table


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
        with system_scope(db.session):
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


# Unit-keyed tables that row-level security does not bind, each with its reason.
NOT_BOUND = {
    "admin_unit": "the unit tree: public names and codes, read by every page and at login",
    "unit_lineage": "which 2024 units became which 2025 ones: public, from the province's resolutions",
    "criteria_version": "the province's published criteria: public, the same for every commune",
    "criterion": "the criteria of a published version: public definitions, no commune's data",
    "monthly_tally": "province-wide counts of the monthly report: de-identified, no commune, no person",
    "unit_stamp": "a random value renewed when a unit's page changes: no data, written by any writer's commit",
}


def _unit_keyed_tables(connection) -> set[str]:
    """Tables with a foreign key to the unit tree, or to a table that has one (a dossier's children)."""
    edges = connection.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'"
        )
    ).all()
    keyed = {"admin_unit"}
    while True:
        more = {child for child, parent in edges if parent in keyed and child not in keyed}
        if not more:
            return keyed
        keyed |= more


def test_every_unit_keyed_table_forces_row_level_security_or_says_why_not(app):
    """From PostgreSQL's own catalog: a table added later is caught here, not by a list in the code."""
    with app.app_context(), owner_engine().connect() as connection:
        keyed = _unit_keyed_tables(connection)
        assert {"person", "audit_event", "role_assignment", "dossier", "dossier_event"} <= keyed
        unbound = []
        for table in sorted(keyed - set(NOT_BOUND)):
            enabled, forced = connection.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": table},
            ).one()
            commands = set(
                connection.execute(text("SELECT cmd FROM pg_policies WHERE tablename = :t"), {"t": table}).scalars()
            )
            if not (enabled and forced and commands == {"SELECT", "INSERT", "UPDATE", "DELETE"}):
                unbound.append(table)
        assert unbound == []
        assert set(NOT_BOUND) <= keyed  # an allowance for a table that no longer exists goes


def _forge(statement_settings: dict, signature: str | None = None) -> None:
    for name, value in statement_settings.items():
        db.session.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    if signature is not None:
        db.session.execute(text("SELECT set_config('portal.reach_sig', :s, true)"), {"s": signature})


def test_a_forged_reach_reads_nothing_and_writes_nothing(app, world):
    """What an injected statement could do as the portal's role: widen the reach or claim system scope
    with set_config. Without the key the setting is unsigned and PostgreSQL treats it as no reach."""
    a, b = world.unit_id["A"], world.unit_id["B"]
    village_b = world.row_id[(Village, "B")]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}))
        assert db.session.execute(text("SELECT count(*) FROM person")).scalar() == _owner_count("person", a)
        assert db.session.execute(text("SELECT public.portal_reach_signed()")).scalar() is True
        forgeries = (
            {"portal.reach": f"{a},{b}", "portal.write_reach": f"{a},{b}"},  # the request's signature, wider
            {"portal.system": "on"},
            {"portal.units": f"{a},{b}"},
        )
        for forged in forgeries:
            _forge(forged)
            assert db.session.execute(text("SELECT public.portal_reach_signed()")).scalar() is False
            for table in ("person", "village", "drug_test", "audit_event", "dossier", "commune_result"):
                assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, (forged, table)  # noqa: S608
            renamed = db.session.execute(text("UPDATE village SET name = 'Thôn Lạ' WHERE id = :v"), {"v": village_b})
            assert renamed.rowcount == 0
            with pytest.raises(DBAPIError, match="row-level security"):
                db.session.execute(
                    text("INSERT INTO role_assignment (user_id, unit_id, role, granted_at) "
                         "SELECT id, :b, 'admin', now() FROM user_account LIMIT 1"),
                    {"b": b},
                )
            db.session.rollback()
            set_reach(db.session, read=frozenset({a}), write=frozenset({a}))
            db.session.execute(text("SELECT 1"))
        # accounts: a commune officer's request cannot change another account (the admin's password, say),
        # even with a forged manage reach; its own account it may
        officer = world.user_id["officer_a"]
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=officer)
        for forged in ({}, {"portal.manage_units": f"{world.unit_id['P']}"}):
            _forge(forged)
            changed = db.session.execute(
                text("UPDATE user_account SET password_hash = 'x' WHERE username = 'admin'")
            ).rowcount
            assert changed == 0, forged
            db.session.rollback()
            set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=officer)
        with pytest.raises(DBAPIError, match="row-level security"):  # nor slip a recovery code to the admin
            db.session.execute(
                text("INSERT INTO recovery_code (user_id, code_hash, created_at) "
                     "SELECT id, 'x', now() FROM user_account WHERE username = 'admin'")
            )
        db.session.rollback()
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=officer)
        mine = db.session.execute(text("UPDATE user_account SET locale = 'vi' WHERE id = :i"), {"i": officer}).rowcount
        assert mine == 1
        db.session.rollback()
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}))
        # a made-up signature, and a true one of system scope seen on another connection, are refused alike
        system = settings_of({SYSTEM: True})
        for elsewhere in (False, True):
            here = db.session.execute(text("SELECT pg_backend_pid()")).scalar()  # pooled: not always `pid`
            key = reach_signing_key(app.config)
            bad = rls_signature(key, system, here + 1) if elsewhere else "0" * 64
            _forge(dict(zip(SETTINGS, system, strict=True)), bad)
            assert db.session.execute(text("SELECT count(*) FROM person")).scalar() == 0
            db.session.rollback()
            set_reach(db.session, read=frozenset({a}))
            db.session.execute(text("SELECT 1"))
        # and the key is out of the role's reach
        with pytest.raises(ProgrammingError, match="permission denied"):
            db.session.execute(text("SELECT secret FROM portal_secret.reach_key"))
        db.session.rollback()
    with app.app_context(), owner_engine().connect() as connection:
        name = connection.execute(text("SELECT name FROM village WHERE id = :v"), {"v": village_b}).scalar()
        assert name != "Thôn Lạ"


def test_a_portal_whose_key_the_database_does_not_accept_refuses_to_start(app, owner_database_url):
    """A SECRET_KEY changed without `database grant` would make every page read nothing: it says so."""
    from portal import create_app
    from portal.tenancy.database import UnsafeAppRole
    from tests.conftest import database_config

    other = {**database_config(owner_database_url), "SECRET_KEY": "another-key-than-the-granted-one-xx"}
    with pytest.raises(UnsafeAppRole, match="database grant"):
        create_app({**other, "PORTAL_ENV": "production"})
    started = create_app(database_config(owner_database_url))  # the key it was granted with: it starts
    with started.app_context():
        dispose_engines()


def test_a_queued_export_is_read_by_its_requester_alone(app, world):
    """The database itself keeps an export its requester's: another account viewing the same commune
    reads nothing of it, file and all (the access function says the same above it)."""
    a = world.unit_id["A"]
    with app.app_context():
        for user, seen in (("officer_a", [world.export_id["A"]]), ("viewer_a", []), ("district_1", [])):
            set_reach(db.session, read=frozenset({a}), units=frozenset({a}), actor_id=world.user_id[user])
            assert db.session.scalars(select(ExportJob.id)).all() == seen, user
            db.session.rollback()
