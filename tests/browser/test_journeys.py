"""Journeys through the real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE
from tests.conftest import allow_code_again
from tests.world import PASSWORD, USERS, totp_code

TWO_FACTOR = {name for name, (role, _unit) in USERS.items() if role != "commune_viewer"}

pytestmark = pytest.mark.browser


def _log_in(page, checks, base_url, username):
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    checks.accessible()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if username in TWO_FACTOR:  # every account but a viewer's: the code from the app
        expect(page.get_by_role("heading", name="Mã đăng nhập")).to_be_visible()
        checks.accessible()
        allow_code_again(LIVE["app"], username)
        page.get_by_label("Mã").fill(totp_code(username))
        page.get_by_role("button", name="Đăng nhập").click()


def test_commune_officer_day_starts_in_the_workspace_switches_language_and_logs_out(page, checks, base_url):
    _log_in(page, checks, base_url, "officer_a")
    expect(page).to_have_url(base_url + "/u/15085/")
    expect(page.get_by_role("heading", name="Xã Quang Trung")).to_be_visible()
    checks.accessible()

    page.get_by_role("link", name=re.compile("Thôn, tổ dân phố")).click()
    expect(page.get_by_role("heading", name="Thôn, tổ dân phố")).to_be_visible()
    checks.accessible()

    # add a village in place (htmx): a mistake first, then the fix; the page is never reloaded
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("link", name="Thêm thôn").click()
    page.get_by_label("Trưởng thôn").fill("Ông Hà Văn Tám")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("#name-error")).to_have_text("Hãy nhập tên thôn.")
    expect(page.get_by_label("Trưởng thôn")).to_have_value("Ông Hà Văn Tám")
    checks.accessible()
    page.get_by_label("Tên", exact=True).fill("Làng Chiềng Ban")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm Làng Chiềng Ban.")
    expect(page.get_by_role("cell", name="Làng Chiềng Ban")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True

    # live search, accent-insensitive
    page.get_by_role("searchbox").fill("chieng ban")
    expect(page.get_by_role("cell", name="Làng Chiềng Ban")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("CANARY-A-1X"))).to_have_count(0)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Villages and residential groups")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    checks.accessible()

    page.get_by_role("button", name="Tiếng Việt").click()  # and back: the choice goes both ways
    expect(page.get_by_role("heading", name="Thôn, tổ dân phố")).to_be_visible()

    page.get_by_role("button", name=re.compile("Đăng xuất")).click()
    expect(page).to_have_url(re.compile("/login"))
    expect(page.get_by_role("status")).to_contain_text("Bạn đã đăng xuất.")
    page.goto(base_url + "/u/15085/villages/")
    expect(page).to_have_url(re.compile("/login"))
    checks.accessible()


def test_district_officer_gets_the_404_page_for_a_foreign_commune(page, checks, base_url):
    _log_in(page, checks, base_url, "district_1")
    expect(page).to_have_url(base_url + "/u/389/")
    expect(page.get_by_role("rowheader", name="Xã Quang Trung")).to_be_visible()
    checks.accessible()
    response = page.goto(base_url + "/u/15133/")  # Cẩm Thành, in another district
    assert response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_text("Xã Cẩm Thành")).to_have_count(0)
    checks.accessible()
    # the same answer as for a commune that does not exist
    assert page.goto(base_url + "/u/99999/").status == 404


def test_keyboard_alone_reaches_the_main_content(page, checks, base_url):
    page.goto(base_url + "/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Chuyển đến nội dung chính")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    checks.accessible()
