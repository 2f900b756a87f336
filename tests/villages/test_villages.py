"""A commune's villages: create, edit in place, conflicts, soft delete and restore, history, search."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.villages.models import Village

HX = {"HX-Request": "true", "HX-Target": "register-editor"}


def _village(app, name):
    with app.app_context(), system_scope(db.session):
        return db.session.scalar(select(Village).where(Village.name == name))


def test_officer_adds_a_village_in_place(app, world, login):
    client = login("officer_a")
    response = client.post("/u/15085/villages/", data={"name": "  Thôn   Bãi Trành ", "kind": "village"}, headers=HX)
    text = response.get_data(as_text=True)
    assert "<html" not in text  # a fragment, not a page
    assert "Đã thêm Thôn Bãi Trành." in text and 'hx-swap-oob="true"' in text and "Thôn Bãi Trành" in text
    village = _village(app, "Thôn Bãi Trành")
    assert village.commune_id == world.unit_id["A"] and village.search_key == "thon bai tranh"


def test_errors_are_shown_next_to_the_fields_and_the_input_is_kept(app, world, login):
    client = login("officer_a")
    response = client.post(
        "/u/15085/villages/", data={"name": "", "kind": "village", "head_name": "Ông Lường Văn Ba"}, headers=HX
    )
    text = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="name-error">Hãy nhập tên thôn.</p>', text)
    assert 'aria-invalid="true"' in text and 'value="Ông Lường Văn Ba"' in text


def test_a_duplicate_name_is_refused_whatever_the_accents(app, world, login):
    client = login("officer_a")
    client.post("/u/15085/villages/", data={"name": "Làng Mới", "kind": "village"})
    response = client.post("/u/15085/villages/", data={"name": "lang moi", "kind": "village"}, headers=HX)
    assert "Xã đã có thôn mang tên này." in response.get_data(as_text=True)
    # another commune may have the same name
    assert (
        login("officer_b").post("/u/15076/villages/", data={"name": "Làng Mới", "kind": "village"}).status_code == 302
    )


def test_nfd_input_is_stored_as_nfc(app, world, login):
    import unicodedata

    client = login("officer_a")
    client.post("/u/15085/villages/", data={"name": unicodedata.normalize("NFD", "Thôn Hợp Thành"), "kind": "village"})
    assert _village(app, "Thôn Hợp Thành") is not None


def test_edit_then_conflict_shows_both_versions_and_loses_nothing(app, world, login):
    village_id = world.row_id[(Village, "A")]
    first, second = login("officer_a"), login("officer_a")
    form = first.get(f"/u/15085/villages/{village_id}/edit", headers=HX).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    saved = first.post(
        f"/u/15085/villages/{village_id}", data={"name": "Thôn Của Người Một", "kind": "village", "version": version}
    )
    assert saved.status_code == 302
    clash = second.post(
        f"/u/15085/villages/{village_id}",
        data={"name": "Thôn Của Người Hai", "kind": "village", "version": version},
        headers=HX,
    )
    text = clash.get_data(as_text=True)
    assert "Người khác đã lưu bản ghi này trong lúc bạn đang sửa." in text
    assert 'value="Thôn Của Người Hai"' in text and "<dd>Thôn Của Người Một</dd>" in text
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Village, village_id).name == "Thôn Của Người Một"
    # saving again, knowingly, keeps the second version
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', text).group(1)
    second.post(
        f"/u/15085/villages/{village_id}",
        data={"name": "Thôn Của Người Hai", "kind": "village", "version": new_version},
    )
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Village, village_id).name == "Thôn Của Người Hai"


def test_delete_is_soft_and_can_be_restored(app, world, login):
    village_id = world.row_id[(Village, "A")]
    client = login("officer_a")
    client.post(f"/u/15085/villages/{village_id}/delete")
    listing = client.get("/u/15085/villages/").get_data(as_text=True)
    assert "Đã xóa Thôn CANARY-A-1X" in listing and "CANARY-A-2X" not in listing  # the message, not the row
    deleted = client.get("/u/15085/villages/?deleted=1").get_data(as_text=True)
    assert "CANARY-A-1X" in deleted and "Khôi phục" in deleted
    assert client.post(f"/u/15085/villages/{village_id}/restore").status_code == 302
    assert "CANARY-A-1X" in client.get("/u/15085/villages/").get_data(as_text=True)


def test_history_shows_who_changed_what(app, world, login):
    village_id = world.row_id[(Village, "A")]
    client = login("officer_a")
    client.post(
        f"/u/15085/villages/{village_id}", data={"name": "Thôn Đổi Tên", "kind": "residential_group", "version": "1"}
    )
    history = client.get(f"/u/15085/villages/{village_id}").get_data(as_text=True)
    assert "Cán bộ officer_a" in history and "Thôn Đổi Tên" in history and "Tổ dân phố" in history
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", history)


def test_search_ignores_accents_and_case(app, world, login):
    client = login("officer_a")
    client.post("/u/15085/villages/", data={"name": "Làng Hón", "kind": "village"})
    rows = client.get("/u/15085/villages/?q=LANG hon", headers={"HX-Request": "true", "HX-Target": "register-rows"})
    text = rows.get_data(as_text=True)
    assert "Làng Hón" in text and "CANARY-A-1X" not in text and "<html" not in text


def test_a_viewer_reads_but_gets_no_edit_controls(app, world, login):
    text = login("viewer_a").get("/u/15085/villages/").get_data(as_text=True)
    assert "CANARY-A-1X" in text and "Thêm thôn" not in text and "/edit" not in text and "/restore" not in text
