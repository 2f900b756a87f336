"""Layer 3: the ORM guard refuses unscoped queries, scopes reads, refuses foreign writes, audits writes."""

import json

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.models import AuditEvent, AuditIsAppendOnly
from portal.extensions import db
from portal.tenancy.guard import (
    DECISIONS,
    CoreOnTenantData,
    OutsideReach,
    ScopeMissing,
    clear_reach,
    set_reach,
    system_scope,
    tenant_models,
)
from portal.villages.models import Village


def test_a_query_of_tenant_data_with_no_reach_raises(app, world):
    with app.app_context():
        for model in tenant_models:
            with pytest.raises(ScopeMissing):
                db.session.scalars(select(model)).all()
            db.session.rollback()


def test_get_by_primary_key_with_no_reach_raises(app, world):
    with app.app_context(), pytest.raises(ScopeMissing):
        db.session.get(Village, world.row_id[(Village, "A")])


def test_reads_are_scoped_to_the_reach(app, world):
    with app.app_context():
        set_reach(db.session, read=frozenset({world.unit_id["A"]}))
        rows = db.session.scalars(select(Village)).all()
        assert {r.commune_id for r in rows} == {world.unit_id["A"]}
        assert db.session.get(Village, world.row_id[(Village, "B")]) is None
        # Even a query that names another commune explicitly finds nothing.
        assert db.session.scalars(select(Village).where(Village.commune_id == world.unit_id["B"])).all() == []


def test_tenant_rows_only_inside_a_subquery_are_scoped_too(app, world):
    """A statement whose only tenant data sits in scalar subqueries (the workspace's register counts)."""
    with app.app_context():
        count_b = select(func.count(Village.id)).where(Village.commune_id == world.unit_id["B"]).scalar_subquery()
        set_reach(db.session, read=frozenset({world.unit_id["A"]}))
        assert db.session.execute(select(count_b)).scalar() == 0
        db.session.rollback()
        set_reach(db.session, read=frozenset({world.unit_id["B"]}))
        assert db.session.execute(select(count_b)).scalar() == 1
        db.session.rollback()
        clear_reach(db.session)
        with pytest.raises(ScopeMissing):
            db.session.execute(select(count_b)).scalar()


def test_a_tenant_table_queried_as_a_core_table_is_refused(app, world):
    with app.app_context():
        set_reach(db.session, read=frozenset({world.unit_id["A"]}))
        for statement in (select(Village.__table__.c.name), Village.__table__.delete()):
            with pytest.raises(CoreOnTenantData):
                db.session.execute(statement)
            db.session.rollback()


def test_the_guard_decides_once_per_statement_shape_and_scopes_every_execution(app, world):
    """The decision whether a statement touches tenant data is kept per shape (its cache key); the scope is
    still applied to each execution, with that request's reach."""
    a, b = world.unit_id["A"], world.unit_id["B"]
    with app.app_context():
        DECISIONS.clear()

        def villages_named(name):  # one shape, whatever the name
            return select(Village).where(Village.name != name)

        set_reach(db.session, read=frozenset({a}))
        assert {v.commune_id for v in db.session.scalars(villages_named("x"))} == {a}
        assert len(DECISIONS) == 1 and list(DECISIONS.values()) == [(True, False)]
        set_reach(db.session, read=frozenset({b}))
        assert {v.commune_id for v in db.session.scalars(villages_named("y"))} == {b}  # decided, scoped anew
        assert len(DECISIONS) == 1
        clear_reach(db.session)
        with pytest.raises(ScopeMissing):  # a kept decision never skips the reach
            db.session.scalars(villages_named("z")).all()
        db.session.rollback()
        set_reach(db.session, read=frozenset({a}))
        for _ in range(2):  # a Core statement on a tenant table is refused every time, decided once
            with pytest.raises(CoreOnTenantData):
                db.session.execute(select(Village.__table__.c.name))
            db.session.rollback()
        assert len(DECISIONS) == 2


def test_an_empty_reach_reads_nothing(app, world):
    with app.app_context():
        set_reach(db.session, read=frozenset())
        assert db.session.scalars(select(Village)).all() == []


def test_bulk_updates_are_scoped_too(app, world):
    with app.app_context():
        set_reach(db.session, read=frozenset({world.unit_id["A"]}), write=frozenset({world.unit_id["A"]}))
        db.session.execute(update(Village).values(head_name="đổi hàng loạt"))
        db.session.commit()
        with system_scope(db.session):
            changed = {v.commune_id for v in db.session.scalars(select(Village)) if v.head_name == "đổi hàng loạt"}
        assert changed == {world.unit_id["A"]}


def test_writing_outside_the_write_reach_raises_and_writes_nothing(app, world):
    with app.app_context():
        set_reach(
            db.session, read=frozenset({world.unit_id["A"], world.unit_id["B"]}), write=frozenset({world.unit_id["A"]})
        )
        db.session.add(Village(commune_id=world.unit_id["B"], name="Thôn Lạ", search_key="thon la"))
        with pytest.raises(OutsideReach):
            db.session.flush()
        db.session.rollback()
        with system_scope(db.session):
            assert db.session.scalar(select(Village).where(Village.name == "Thôn Lạ")) is None


def test_a_row_cannot_move_to_another_commune(app, world):
    with app.app_context():
        both = frozenset({world.unit_id["A"], world.unit_id["B"]})
        set_reach(db.session, read=both, write=both)
        village = db.session.get(Village, world.row_id[(Village, "A")])
        village.commune_id = world.unit_id["B"]
        with pytest.raises(OutsideReach):
            db.session.flush()


def test_a_read_only_reach_cannot_write(app, world):
    with app.app_context():
        set_reach(db.session, read=frozenset({world.unit_id["A"]}), write=frozenset())
        db.session.get(Village, world.row_id[(Village, "A")]).name = "Thôn Sửa Lén"
        with pytest.raises(OutsideReach):
            db.session.flush()


def test_every_tenant_write_leaves_one_audit_row_with_before_and_after(app, world):
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=world.user_id["officer_a"])
        village = db.session.get(Village, world.row_id[(Village, "A")])
        old_name = village.name
        village.name = "Thôn Đổi Tên"
        db.session.commit()
        with system_scope(db.session):
            event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.object_type, event.object_id) == ("update", "village", str(village.id))
        assert (event.user_id, event.unit_id) == (world.user_id["officer_a"], a)
        assert json.loads(event.before) == {"name": old_name}
        assert json.loads(event.after) == {"name": "Thôn Đổi Tên"}


def test_a_failed_write_leaves_no_audit_row(app, world):
    a = world.unit_id["A"]
    with app.app_context():
        with system_scope(db.session):
            before = db.session.scalar(select(db.func.count(AuditEvent.id)))
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=world.user_id["officer_a"])
        db.session.add(Village(commune_id=a, name="Thôn Hỏng", search_key="thon hong"))
        db.session.flush()
        db.session.rollback()
        with system_scope(db.session):
            assert db.session.scalar(select(db.func.count(AuditEvent.id))) == before


def test_audit_rows_cannot_be_changed_or_deleted(app, world):
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=world.user_id["officer_a"])
        db.session.get(Village, world.row_id[(Village, "A")]).head_name = "Ông Mới"
        db.session.commit()
        with system_scope(db.session):
            event = db.session.scalars(select(AuditEvent)).first()
            event.action = "nothing happened"
            with pytest.raises(AuditIsAppendOnly):
                db.session.flush()
            db.session.rollback()
            db.session.delete(db.session.scalars(select(AuditEvent)).first())
            with pytest.raises(AuditIsAppendOnly):
                db.session.flush()


def test_concurrent_saves_of_one_row_never_lose_an_update(app, world):
    """Two sessions load the same version; the second save fails instead of overwriting."""
    a = world.unit_id["A"]
    with app.app_context():
        first = db.session
        set_reach(first, read=frozenset({a}), write=frozenset({a}))
        second = db.session.session_factory()
        set_reach(second, read=frozenset({a}), write=frozenset({a}))
        v1 = first.get(Village, world.row_id[(Village, "A")])
        v2 = second.get(Village, world.row_id[(Village, "A")])
        v1.head_name = "Người thứ nhất"
        first.commit()
        v2.head_name = "Người thứ hai"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
        second.close()
        with system_scope(first):
            first.expire_all()
            assert first.get(Village, world.row_id[(Village, "A")]).head_name == "Người thứ nhất"


def test_a_created_row_is_audited_with_its_id(app, world):
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=world.user_id["officer_a"])
        village = Village(commune_id=a, name="Thôn Mới Tinh", search_key="thon moi tinh")
        db.session.add(village)
        db.session.commit()
        with system_scope(db.session):
            event = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "create").order_by(AuditEvent.id.desc())
            ).first()
        assert (event.object_type, event.object_id) == ("village", str(village.id))
        assert json.loads(event.after)["name"] == "Thôn Mới Tinh"
