"""Account management by the administrator and by district officers over their communes."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import time_machine
from openpyxl import Workbook
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from portal.auth.models import RoleAssignment, User
from portal.extensions import db
from portal.tenancy.guard import system_scope
from tests.conftest import allow_code_again
from tests.world import totp_code


def _accounts(app):
    with app.app_context(), system_scope(db.session):
        return {u.username: [(a.role, a.unit.code) for a in u.assignments] for u in db.session.scalars(select(User))}


def _one_time_passwords(response) -> dict[str, str]:
    text = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>([^<]+)</td>.*?<code>([^<]+)</code>", text, re.S)
    return dict(rows)


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["Tên đăng nhập", "Họ và tên", "Vai trò", "Mã đơn vị"]


def test_admin_creates_an_account_whose_owner_must_change_the_password(app, world, login):
    admin = login("admin")
    response = admin.post(
        "/u/38/accounts/new",
        data={"username": "canbo.vanam", "full_name": "Lê Thị Hoa", "role": "commune_viewer", "unit_code": "15076"},
    )
    assert response.status_code == 200
    password = _one_time_passwords(response)["canbo.vanam"]
    assert _accounts(app)["canbo.vanam"] == [("commune_viewer", "15076")]
    client = app.test_client()  # a viewer reads no personal data: no second person needed
    first = client.post("/login", data={"username": "canbo.vanam", "password": password})
    assert first.headers["Location"].endswith("/account/password")


def _login_error(app, username, password, address="127.0.0.1"):
    response = app.test_client().post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    text = response.get_data(as_text=True)
    error = text.split('role="alert">')[1].split("<")[0] if 'role="alert">' in text else None
    return response.status_code, error


def _audit_actions(app, user_id) -> list[str]:
    from portal.audit.models import AuditEvent

    with app.app_context(), system_scope(db.session):
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user_id))))


def test_an_account_reading_personal_data_waits_for_a_second_person(app, world, login):
    """Finding 4: a manager who creates a commune officer sees its one-time password; alone they cannot
    use it to read registers. A second person activates it; the first login from the issuer's address is
    flagged; a one-time password expires after 72 hours; a reset puts the account back to waiting."""
    area = login("district_1")
    made = area.post(
        "/u/KV389/accounts/new".replace("KV389", world.unit_code["D1"]),
        data={"username": "xa.moi.lap", "full_name": "Lò Văn Mới", "role": "commune_officer", "unit_code": "15076"},
    )
    password = _one_time_passwords(made)["xa.moi.lap"]
    assert "72 giờ" in made.get_data(as_text=True)
    status, error = _login_error(app, "xa.moi.lap", password)
    assert status == 401 and "chờ một cán bộ thứ hai kích hoạt" in error
    # the issuer sees it waiting but may not activate it; the province officer may
    awaiting_url = f"/u/{world.unit_code['D1']}/accounts/awaiting"
    page = area.get(awaiting_url).get_data(as_text=True)
    assert "xa.moi.lap" in page and "Cán bộ khác kích hoạt" in page
    with app.app_context(), system_scope(db.session):
        new_id = db.session.scalar(select(User.id).where(User.username == "xa.moi.lap"))
    area.post(f"/u/{world.unit_code['D1']}/accounts/{new_id}/activate")
    assert _login_error(app, "xa.moi.lap", password)[0] == 401
    province = login("province")
    assert "xa.moi.lap" in province.get("/u/38/accounts/awaiting").get_data(as_text=True)
    assert province.post(f"/u/38/accounts/{new_id}/activate").status_code == 302
    # now it logs in; from the issuer's own address, the access log flags it
    status, _error = _login_error(app, "xa.moi.lap", password)
    assert status == 302
    assert "account_activated" in _audit_actions(app, new_id) and "login_flagged" in _audit_actions(app, new_id)
    # a reset: waiting again, and its one-time password expires after 72 hours
    reset = area.post(f"/u/{world.unit_code['D1']}/accounts/{new_id}/reset-password")
    second = _one_time_passwords(reset)["xa.moi.lap"]
    assert "chờ một cán bộ thứ hai" in _login_error(app, "xa.moi.lap", second, "10.1.1.1")[1]
    province.post(f"/u/38/accounts/{new_id}/activate")
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=73), tick=True):
        status, error = _login_error(app, "xa.moi.lap", second, "10.1.1.1")
    assert status == 401 and "hết hạn" in error
    status, _error = _login_error(app, "xa.moi.lap", second, "10.1.1.1")
    assert status == 302
    assert _audit_actions(app, new_id).count("login_flagged") == 1  # another address: not flagged


def test_granting_a_personal_data_role_to_an_existing_account_waits_for_a_second_person(app, world, login):
    area = login("district_1")
    user_id = world.user_id["viewer_a"]
    area.post(
        f"/u/{world.unit_code['D1']}/accounts/{user_id}/roles", data={"role": "commune_officer", "unit_code": "15076"}
    )
    with app.app_context(), system_scope(db.session):
        assert db.session.get(User, user_id).awaiting_activation


def test_create_form_keeps_the_input_and_explains_each_mistake(app, world, login):
    admin = login("admin")
    response = admin.post(
        "/u/38/accounts/new",
        data={"username": "Bad Name!", "full_name": "Trần Văn Bình", "role": "commune_officer", "unit_code": "389"},
    )
    text = response.get_data(as_text=True)
    assert "Từ 3 đến 40 ký tự" in text and "Vai trò này được giao tại cấp xã." in text
    assert 'value="Trần Văn Bình"' in text and 'value="Bad Name!"' in text
    assert "Bad Name!" not in str(_accounts(app))


def test_a_district_officer_manages_only_commune_accounts_of_the_district(app, world, login):
    district = login("district_1")
    listing = district.get("/u/389/accounts/").get_data(as_text=True)
    assert "officer_a" in listing and "officer_b" in listing and "officer_c" not in listing
    assert "district_2" not in listing and ">admin<" not in listing
    # may not grant a district role, nor a role on another district's commune
    refused = district.post(
        "/u/389/accounts/new",
        data={"username": "huyen.moi", "full_name": "Phạm Văn C", "role": "district_officer", "unit_code": "389"},
    )
    assert "Lựa chọn không hợp lệ." in refused.get_data(as_text=True)
    refused = district.post(
        "/u/389/accounts/new",
        data={"username": "xa.camthanh", "full_name": "Phạm Văn D", "role": "commune_officer", "unit_code": "15133"},
    )
    assert "Không có đơn vị mang mã này trong địa bàn của bạn." in refused.get_data(as_text=True)
    created = district.post(
        "/u/389/accounts/new",
        data={"username": "xa.vanam2", "full_name": "Phạm Văn E", "role": "commune_viewer", "unit_code": "15076"},
    )
    assert "xa.vanam2" in _one_time_passwords(created)
    accounts = _accounts(app)
    assert "huyen.moi" not in accounts and "xa.camthanh" not in accounts
    assert accounts["xa.vanam2"] == [("commune_viewer", "15076")]


def test_grant_and_revoke_roles(app, world, login):
    admin = login("admin")
    user_id = world.user_id["officer_b"]
    admin.post(f"/u/38/accounts/{user_id}/roles", data={"role": "commune_viewer", "unit_code": "15085"})
    assert sorted(_accounts(app)["officer_b"]) == [("commune_officer", "15076"), ("commune_viewer", "15085")]
    page = admin.post(f"/u/38/accounts/{user_id}/roles", data={"role": "commune_viewer", "unit_code": "15085"})
    assert "Tài khoản đã có vai trò này tại đơn vị đó." in page.get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        assignment = db.session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.user_id == user_id, RoleAssignment.role == "commune_viewer")
        )
    admin.post(f"/u/38/accounts/{user_id}/roles/{assignment}/revoke")
    assert _accounts(app)["officer_b"] == [("commune_officer", "15076")]


def test_revoking_a_role_ends_the_holders_sessions(app, world, login):
    holder = login("officer_b")
    assert holder.get("/u/15076/").status_code == 200
    login("admin").post(f"/u/38/accounts/{world.user_id['officer_b']}/roles/{world.assignment_id['officer_b']}/revoke")
    assert holder.get("/u/15076/").status_code == 302


def test_reset_password_gives_a_one_time_password_and_ends_old_sessions(app, world, login):
    holder = login("officer_a")
    response = login("district_1").post(f"/u/389/accounts/{world.user_id['officer_a']}/reset-password")
    password = _one_time_passwords(response)["officer_a"]
    assert holder.get("/u/15085/").status_code == 302
    assert login("province").post(f"/u/38/accounts/{world.user_id['officer_a']}/activate").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "officer_a", "password": password}).status_code == 302
    allow_code_again(app, "officer_a")  # its code of this half-minute was taken by the first login
    assert fresh.post("/login/code", data={"code": totp_code("officer_a")}).headers["Location"].endswith(
        "/account/password"
    )


def test_a_sheet_of_accounts_is_created_in_one_step(app, world, login):
    rows = [HEADER] + [[f"xa.vanam.{n}", f"Nguyễn Văn {n}", "commune_officer", "15076"] for n in range(30)]
    rows.append(["xem.quangtrung", "Đỗ Thị Mai", "Thành viên Ban Chỉ đạo xã (chỉ xem)", "15085"])
    response = login("district_1").post(
        "/u/389/accounts/import",
        data={"sheet": (io.BytesIO(_xlsx(rows)), "tai-khoan.xlsx")},
        content_type="multipart/form-data",
    )
    passwords = _one_time_passwords(response)
    assert len(passwords) == 31 and len(set(passwords.values())) == 31
    accounts = _accounts(app)
    assert accounts["xa.vanam.29"] == [("commune_officer", "15076")]
    assert accounts["xem.quangtrung"] == [("commune_viewer", "15085")]


def test_a_sheet_with_bad_rows_creates_nothing_and_names_every_bad_row(app, world, login):
    rows = [
        HEADER,
        ["xa.tot.1", "Nguyễn Văn Tốt", "commune_officer", "15076"],
        ["officer_a", "Trùng Tên", "commune_officer", "15076"],
        ["xa.tot.1", "Trùng Trong Tệp", "commune_officer", "15076"],
        ["xa.ngoai", "Ngoài Huyện", "commune_officer", "15133"],
        ["xa.tot.2", '=HYPERLINK("http://x")', "commune_officer", "15085"],
        ["xa.tot.3", "Vai Trò Lạ", "chief", "15085"],
    ]
    response = login("district_1").post(
        "/u/389/accounts/import",
        data={"sheet": (io.BytesIO(_xlsx(rows)), "tai-khoan.xlsx")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert "Chưa tạo tài khoản nào: 5 trên 6 dòng bị từ chối." in text
    for row, message in [
        (3, "Tên đăng nhập này đã được sử dụng."),
        (4, "Trùng tên đăng nhập với dòng 2."),
        (5, "Không có đơn vị mang mã này trong địa bàn của bạn."),
        (6, "Không chấp nhận công thức"),
        (7, "Vai trò không tồn tại."),
    ]:
        assert re.search(rf"<td>{row}</td>.*?{re.escape(message)}", text, re.S), (row, message)
    assert "xa.tot.1" not in _accounts(app)


def test_a_csv_sheet_works_too(app, world, login):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit_code", "role", "username", "full_name"])  # English headers, another order
    writer.writerow([" 15085 ", "commune_viewer", " Xem.QuangTrung2 ", "Hoàng Văn Nam"])
    response = login("admin").post(
        "/u/38/accounts/import",
        data={"sheet": (io.BytesIO(out.getvalue().encode("utf-8-sig")), "a.csv")},
        content_type="multipart/form-data",
    )
    assert "xem.quangtrung2" in _one_time_passwords(response)


def test_hostile_or_wrong_files_are_refused_clearly(app, world, login):
    admin = login("admin")

    def upload(data, name):
        return admin.post(
            "/u/38/accounts/import", data={"sheet": (io.BytesIO(data), name)}, content_type="multipart/form-data"
        ).get_data(as_text=True)

    assert "Hãy tải lên tệp .xlsx hoặc .csv." in upload(b"MZ\x90\x00", "virus.exe")
    assert "Đây không phải tệp Excel (.xlsx) hợp lệ." in upload(b"PK\x03\x04 not really a zip", "x.xlsx")
    macro = io.BytesIO()
    with zipfile.ZipFile(macro, "w") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert "Không chấp nhận tệp có chứa macro." in upload(macro.getvalue(), "x.xlsx")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    assert "vượt quá dung lượng cho phép" in upload(bomb.getvalue(), "x.xlsx")
    assert "Thiếu cột Mã đơn vị." in upload("Tên đăng nhập,Họ và tên,Vai trò\n".encode(), "x.csv")


def test_an_oversized_upload_gets_413(app, world, login):
    client = login("admin")
    builder = EnvironBuilder(
        path="/u/38/accounts/import",
        method="POST",
        content_type="multipart/form-data",
        data={"sheet": (io.BytesIO(b"x" * (6 * 1024 * 1024)), "big.csv")},
    )
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:  # the test client spools a large body to a temporary file
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413 and "Tệp quá lớn" in response.get_data(as_text=True)


def test_the_template_is_a_real_workbook_with_vietnamese_headers(app, world, login):
    from openpyxl import load_workbook

    response = login("admin").get("/u/38/accounts/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    assert book.sheetnames == ["Tài khoản", "Hướng dẫn"]


def test_account_search_ignores_accents(app, world, login):
    admin = login("admin")
    admin.post(
        "/u/38/accounts/new",
        data={"username": "hoa.le", "full_name": "Lê Thị Hoà", "role": "commune_officer", "unit_code": "15076"},
    )
    rows = admin.get("/u/38/accounts/?q=le thi hoa", headers={"HX-Request": "true", "HX-Target": "account-rows"})
    text = rows.get_data(as_text=True)
    assert "hoa.le" in text and "officer_b" not in text and "<html" not in text
