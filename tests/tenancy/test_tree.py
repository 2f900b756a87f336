"""The province's unit tree as data: complete, loaded idempotently, renames update in place."""

from collections import Counter

from sqlalchemy import func, select

from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.lineage import Successor, check, read_areas, read_lineage, read_tree_2025
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


# The 2025 tree and its lineage (issue 16) ---------------------------------------------------------------


def test_the_2025_tree_has_166_units_147_xa_and_19_phuong_under_26_areas():
    units, areas = read_tree_2025("thanh-hoa"), read_areas("thanh-hoa")
    assert Counter(u["kind"] for u in units) == {"commune": 147, "ward": 19}
    assert len({u["code"] for u in units}) == 166 and {u["level"] for u in units} == {"commune"}
    assert len(areas) == 26 and {u["parent_code"] for u in units} == {a["code"] for a in areas}
    old = {r["code"]: r for r in read_tree("thanh-hoa")}
    assert {a["former_district_code"] for a in areas} == {c for c, r in old.items() if r["level"] == "district"}
    by_code = {u["code"]: u for u in units}
    assert by_code["15085"]["name"] == "Xã Thạch Lập" and by_code["15106"]["name"] == "Xã Nguyệt Ấn"
    assert all(code in old for code in by_code)  # every new code is also an old code: a code is not an identity


def test_the_lineage_covers_every_old_commune_once_537_whole_and_10_split():
    old = {r["code"] for r in read_tree("thanh-hoa") if r["level"] == "commune"}
    new = {u["code"] for u in read_tree_2025("thanh-hoa")}
    lineage = read_lineage("thanh-hoa")
    assert check(old, new, lineage) == []
    parts = Counter(link.old_code for link in lineage)
    assert len(parts) == 547 and set(parts) == old
    split = {code for code, n in parts.items() if n > 1}
    assert len(split) == 10 and sum(1 for n in parts.values() if n == 1) == 537
    assert all(link.share is not None for link in lineage if link.old_code in split)
    for code in split:
        assert abs(sum(link.share for link in lineage if link.old_code == code) - 1) < 0.01
    successors = {link.old_code: link.new_code for link in lineage if link.default}
    assert successors["15085"] == successors["15073"] == successors["15088"] == "15085"  # Quang Trung → Thạch Lập
    assert successors["15076"] == "15106"  # Vân Am → Nguyệt Ấn
    assert successors["14755"] == "14758"  # the old Hàm Rồng is part of the new one, which has Đông Thọ's code
    # decided by the lineage, not the code: Xã Thanh Kỳ carries 16273, the code of Thanh Tân, a split commune
    # whose default part it took; its whole predecessor is the old Thanh Kỳ, 16276
    assert [(link.old_code, link.share is None) for link in lineage if link.new_code == "16273"] == [
        ("16273", False),
        ("16276", True),
    ]


def test_a_lineage_that_names_an_unknown_unit_or_leaves_a_commune_without_successor_is_refused():
    old = {r["code"] for r in read_tree("thanh-hoa") if r["level"] == "commune"}
    new = {u["code"] for u in read_tree_2025("thanh-hoa")}
    lineage = [link for link in read_lineage("thanh-hoa") if link.old_code != "15073"]
    lineage.append(Successor("15073", "99999", True, None))
    lineage.append(Successor("15088", "15106", True, None))
    problems = check(old, new, lineage)
    assert "The lineage names 99999, which the 2025 tree does not have." in problems
    assert "Commune 15088 has 2 default successors instead of one." in problems
    assert check(old, new, [link for link in read_lineage("thanh-hoa") if link.old_code != "15073"]) == [
        "Commune 15073 of the 2024 tree has no successor in the lineage."
    ]
