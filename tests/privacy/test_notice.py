"""The privacy notice and the province's settings page say what the portal does, from its own data."""

from portal.auth import two_factor
from portal.registers.registry import REGISTERS


def test_the_privacy_notice_lists_every_personal_field_who_sees_it_and_the_retention(app, world, login):
    page = login("officer_a").get("/privacy").get_data(as_text=True)
    assert "Thông báo về xử lý dữ liệu cá nhân" in page and "91/2025/QH15" in page and "356/2025" in page
    assert "Họ và tên" in page and "CCCD" in page and "Ngày sinh" in page  # the persons register's fields
    assert page.count("<tr><td>") >= len([r for r in REGISTERS.values() if r.personal_fields]) + 5  # and the roles
    assert "60 tháng" in page  # Thanh Hóa's plan.json
    assert "Nhật ký truy cập" in page or "nhật ký" in page
    assert login("viewer_a").get("/privacy").status_code == 200


def test_the_settings_page_warns_when_commune_officers_may_log_in_without_a_second_factor(
    app, world, login, monkeypatch
):
    province = login("province")
    page = province.get("/u/38/settings/").get_data(as_text=True)
    assert "Cán bộ Công an xã (được xem dữ liệu cá nhân): bắt buộc" in page and "60 tháng" in page
    assert 'role="alert"' not in page
    from portal.tenancy import settings

    real = settings.plan_settings
    exempt = {"two_factor_for_commune_officers": False}
    monkeypatch.setattr(two_factor, "plan_settings", lambda code: {**real(code), "security": exempt})
    warned = province.get("/u/38/settings/").get_data(as_text=True)
    assert 'role="alert"' in warned and "91/2025/QH15" in warned
    assert login("officer_a").get("/u/38/settings/").status_code == 404
