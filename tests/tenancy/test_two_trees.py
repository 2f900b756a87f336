"""Both trees in the database (issue 16): `tenants sync` loads the late-2024 tree, the 2025 tree with its
areas and the lineage, idempotently; a code names the unit of the current tree, an archived unit has an
address of its own, and an old bookmark says what became of its unit."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit, UnitLineage
from tests.conftest import log_in_enrolling

PASSWORD = "Đồng lúa Thạch Lập 2025"


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def _officer_of(app, address: str):
    account = ["accounts", "create", f"xa.{address}", "--role", "commune_officer", "--unit", address]
    created = _run(app, *account, "--password", PASSWORD)
    assert created.exit_code == 0, created.output
    return log_in_enrolling(app, f"xa.{address}", PASSWORD)


def test_sync_loads_both_trees_and_the_lineage_and_a_second_run_changes_nothing(app):
    first = _run(app, "tenants", "sync", "thanh-hoa")
    assert first.exit_code == 0, first.output
    assert "created 574" in first.output and "2025 tree (areas and communes): created 192" in first.output
    assert "lineage rows added or changed: 558" in first.output
    with app.app_context(), system_scope(db.session):
        current = select(func.count(AdminUnit.id)).where(AdminUnit.valid_to.is_(None))
        assert db.session.scalar(current.where(AdminUnit.level == "commune")) == 166
        assert db.session.scalar(current.where(AdminUnit.level == "district", AdminUnit.kind == "area")) == 26
        old = select(func.count(AdminUnit.id)).where(AdminUnit.tree == "2024", AdminUnit.valid_to.is_not(None))
        assert db.session.scalar(old) == 26 + 547
        thach_lap = db.session.scalar(select(AdminUnit).where(AdminUnit.address == "15085"))
        quang_trung = db.session.scalar(select(AdminUnit).where(AdminUnit.address == "15085-2024"))
        assert (thach_lap.name, thach_lap.tree, thach_lap.parent.address) == ("Xã Thạch Lập", "2025", "KV389")
        assert (quang_trung.name, quang_trung.code, quang_trung.tree) == ("Xã Quang Trung", "15085", "2024")
        assert thach_lap.path == "/38/KV389/15085/" and quang_trung.path == "/38/389/15085/"
        assert {link.from_unit.name for link in thach_lap.predecessor_links} == {
            "Xã Quang Trung",
            "Xã Thạch Lập",
            "Xã Đồng Thịnh",
        }
        assert db.session.scalar(select(func.count(UnitLineage.id))) == 558
    second = _run(app, "tenants", "sync", "thanh-hoa")
    assert "created 0, updated 0, unchanged 574" in second.output
    assert "created 0, updated 0, unchanged 192; lineage rows added or changed: 0" in second.output


def test_a_code_names_the_current_unit_an_archive_has_its_own_address_and_an_old_bookmark_says_what_became_of_it(
    app,
):
    _run(app, "tenants", "sync", "thanh-hoa")
    client = _officer_of(app, "15085")
    home = client.get("/u/15085/")
    text = home.get_data(as_text=True)
    assert home.status_code == 200 and "Xã Thạch Lập" in text
    assert "Được thành lập ngày 01/07/2025 từ" in text and 'href="/u/15085-2024/"' in text  # Quang Trung's archive
    # Vân Am (15076) is no unit of the current tree: its old bookmark says it joined Xã Nguyệt Ấn
    moved = client.get("/u/15076/persons/")
    page = moved.get_data(as_text=True)
    assert moved.status_code == 410
    assert "Xã Vân Am" in page and "Đã sắp xếp, hợp nhất từ ngày 01/07/2025 vào" in page
    assert 'href="/u/15106/"' in page and "Xã Nguyệt Ấn" in page and 'href="/u/15076-2024/"' in page
    # a split commune names each of its parts, the main one first
    split = client.get("/u/16276/").get_data(as_text=True)  # the old Thanh Kỳ: joined the new one whole
    assert 'href="/u/16273/"' in split
    divided = client.get("/u/15328/").get_data(as_text=True)  # Xã Hà Bình: split in two, mostly to Hoạt Giang
    assert divided.index("Xã Hoạt Giang") < divided.index("Xã Hà Trung") and "Xã Hoạt Giang</a> (phần chính)" in divided
    assert client.get("/u/16273/").status_code == 404  # Xã Thanh Kỳ is current, outside this officer's reach
    assert client.get("/u/99999/").status_code == 404  # no unit ever had this code


def test_a_district_of_the_2024_tree_still_compares_its_communes_for_history(app):
    from portal.rollups.results import commune_rows

    _run(app, "tenants", "sync", "thanh-hoa")
    with app.test_request_context(), system_scope(db.session):
        old = db.session.scalar(select(AdminUnit).where(AdminUnit.address == "389-2024"))
        area = db.session.scalar(select(AdminUnit).where(AdminUnit.address == "KV389"))
        old_names = {row.unit.name for row in commune_rows(old, [])}
        area_names = {row.unit.name for row in commune_rows(area, [])}
    assert {"Xã Quang Trung", "Thị trấn Ngọc Lặc"} <= old_names  # as the district police compared them
    assert "Xã Thạch Lập" in area_names and not {"Xã Quang Trung", "Thị trấn Ngọc Lặc"} & area_names
    assert len(area_names) < len(old_names)


def test_an_archived_districts_page_compares_its_archived_communes(app, world, login):
    """Its matrix passes plain rows of archived communes to the permission check (a 500 before)."""
    from datetime import date

    with app.app_context(), system_scope(db.session):
        for key in ("D2", "C"):
            db.session.get(AdminUnit, world.unit_id[key]).valid_to = date(2025, 6, 30)
        db.session.commit()
    page = login("province").get(f"/u/{world.unit_code['D2']}/")
    assert page.status_code == 200 and "Xã Cẩm Thành" in page.get_data(as_text=True)
