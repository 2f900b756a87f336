"""A commune officer's day, end to end in the browser."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal import clock
from tests.browser.test_journeys import _log_in

pytestmark = pytest.mark.browser


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def editor(page):
    """The add/edit form (the filter form above it may carry fields of the same name)."""
    return page.locator("#register-editor")


def _due_rows(page):
    return page.locator("#due-list tbody")


def test_a_commune_officers_day(page, checks, base_url):
    today = clock.today()
    _log_in(page, checks, base_url, "officer_a")
    page.goto(base_url + "/u/15085/due/")
    expect(_due_rows(page)).not_to_contain_text("Vi Văn Thắm")
    checks.accessible()

    # 1. a new person, first with a CCCD whose fourth digit says "woman"
    page.goto(base_url + "/u/15085/persons/")
    page.get_by_role("link", name="Thêm đối tượng").click()
    editor(page).get_by_label("Họ và tên").fill("Vi Văn Thắm")
    editor(page).get_by_label("Ngày sinh").fill("14/02/1994")
    editor(page).get_by_label("Giới tính").select_option(label="Nam")
    editor(page).get_by_label("Số CCCD").fill("038194001234")
    editor(page).get_by_label("Thôn nơi cư trú").select_option(label="Thôn CANARY-A-1X")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("#cccd-error")).to_have_text("Chữ số thứ tư (1) dành cho nữ, nhưng người này là nam.")
    expect(editor(page).get_by_label("Họ và tên")).to_have_value("Vi Văn Thắm")  # nothing typed is lost
    checks.accessible()
    editor(page).get_by_label("Số CCCD").fill("038094001234")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm Vi Văn Thắm.")
    page.get_by_role("link", name="Vi Văn Thắm").click()
    expect(page.get_by_role("heading", name="Vi Văn Thắm")).to_be_visible()
    checks.accessible()

    # 2. a management decision taken 350 days ago: its year ends within the month
    page.get_by_role("link", name="Thêm diễn biến tình trạng").click()
    expect(editor(page).get_by_label("Người", exact=True)).to_have_value(re.compile(r"\d+"))
    editor(page).get_by_label("Tình trạng").select_option(label="Người sử dụng trái phép chất ma túy đang bị quản lý")
    editor(page).get_by_label("Từ ngày").fill(_day(today - timedelta(days=350)))
    editor(page).get_by_label("Số quyết định", exact=True).fill("27/QĐ-UBND")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm Người sử dụng trái phép chất ma túy")
    checks.accessible()

    # 3. listed as a suspect ten days ago, not tested: overdue on the due list
    page.goto(base_url + "/u/15085/suspects/new")
    editor(page).get_by_label("Người", exact=True).select_option(label="Vi Văn Thắm")
    editor(page).get_by_label("Căn cứ nghi sử dụng trái phép chất ma túy").select_option(value="e")
    editor(page).get_by_label("Ngày lập danh sách").fill(_day(today - timedelta(days=10)))
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm Vi Văn Thắm")

    page.goto(base_url + "/u/15085/due/")
    rows = _due_rows(page)
    expect(rows).to_contain_text("Vi Văn Thắm")
    expect(rows.locator("tr", has_text="chưa xét nghiệm")).to_contain_text("Quá hạn")
    expect(rows.locator("tr", has_text="Hết thời hạn quản lý").filter(has_text="Vi Văn Thắm")).to_have_count(1)
    checks.accessible()

    # 4. the test answers the suspicion: that line leaves the due list
    page.goto(base_url + "/u/15085/tests/new")
    editor(page).get_by_label("Người", exact=True).select_option(label="Vi Văn Thắm")
    editor(page).get_by_label("Xét nghiệm cho lần lập danh sách").select_option(
        label=f"Vi Văn Thắm · {_day(today - timedelta(days=10))}"
    )
    editor(page).get_by_label("Ngày xét nghiệm").fill(_day(today))
    editor(page).get_by_label("Trường hợp xét nghiệm").select_option(value="suspected")
    editor(page).get_by_label("Kết quả").select_option(label="Âm tính")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm Vi Văn Thắm")
    page.goto(base_url + "/u/15085/due/")
    # its monthly residence check and the management period ending (the procedure's order): no test is
    # due, the last was today
    expect(_due_rows(page).locator("tr", has_text="Vi Văn Thắm")).to_contain_text(
        ["Kiểm tra việc cư trú", "Hết thời hạn quản lý"]
    )
    expect(_due_rows(page)).not_to_contain_text("chưa xét nghiệm")

    # 5. a household signs this year's commitment
    page.goto(base_url + "/u/15085/households/")
    expect(page.get_by_role("link", name="HH-A")).to_be_visible()
    page.get_by_role("link", name="HH-A").click()
    page.get_by_role("link", name="Ghi nhận cam kết").click()
    expect(editor(page).get_by_label("Mã hộ")).to_have_value("HH-A")
    expect(editor(page).get_by_label("Đợt (năm)")).to_have_value(str(today.year))
    editor(page).get_by_label("Ngày ký").fill(_day(today))
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã thêm HH-A · {today.year}.")
    checks.accessible()
    page.goto(base_url + "/u/15085/households/?commitment=signed")
    expect(page.get_by_role("link", name="HH-A")).to_be_visible()
