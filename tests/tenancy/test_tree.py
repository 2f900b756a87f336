"""The province's unit tree as data: complete, loaded idempotently, renames update in place."""

from collections import Counter

from sqlalchemy import func, select

from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.sync import read_tree, sync_tree


def test_the_thanh_hoa_file_holds_26_districts_and_547_communes():
    rows = read_tree("thanh-hoa")
    levels = Counter(r["level"] for r in rows)
    assert levels == {"province": 1, "district": 26, "commune": 547}
    kinds = Counter(r["kind"] for r in rows if r["level"] == "commune")
    assert kinds == {"commune": 453, "ward": 63, "township": 31}
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == len(codes)
    assert all(len(r["code"]) == 5 for r in rows if r["level"] == "commune")
    assert all(19.0 < float(r["latitude"]) < 20.7 and 104.3 < float(r["longitude"]) < 106.2 for r in rows)
    by_code = {r["code"]: r for r in rows}
    assert by_code["15085"]["name"] == "Xã Quang Trung" and by_code["15085"]["parent_code"] == "389"
    assert by_code["389"]["name"] == "Huyện Ngọc Lặc"


def test_sync_is_idempotent_and_updates_a_renamed_unit(app):
    rows = read_tree("thanh-hoa")
    with app.app_context(), system_scope(db.session):
        first = sync_tree(rows)
        db.session.commit()
        assert (first.created, first.updated) == (574, 0)
        again = sync_tree(rows)
        db.session.commit()
        assert (again.created, again.updated, again.unchanged) == (0, 0, 574)
        renamed = [dict(r, name="Xã Quang Trung Mới") if r["code"] == "15085" else r for r in rows]
        third = sync_tree(renamed)
        db.session.commit()
        assert (third.created, third.updated) == (0, 1)
        assert db.session.scalar(select(func.count(AdminUnit.id))) == 574
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "15085"))
        assert unit.name == "Xã Quang Trung Mới" and unit.path == "/38/389/15085/"


def test_a_unit_missing_from_the_file_is_closed_not_deleted(app):
    rows = read_tree("thanh-hoa")
    with app.app_context(), system_scope(db.session):
        sync_tree(rows)
        report = sync_tree([r for r in rows if r["code"] != "15076"])
        db.session.commit()
        assert report.closed == 1
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "15076"))
        assert unit is not None and unit.valid_to is not None
