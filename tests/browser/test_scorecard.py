"""From a failing criterion to the record at fault, fixed, and the criterion passes."""


import pytest
from playwright.sync_api import expect

from portal import clock
from tests.browser.test_journeys import _log_in

pytestmark = pytest.mark.browser


def test_follow_a_failing_criterion_to_its_record_fix_it_and_see_it_pass(page, checks, base_url):
    today = clock.today()
    _log_in(page, checks, base_url, "officer_b")
    expect(page.get_by_role("heading", name="Tiêu chí xã không ma túy")).to_be_visible()
    c4 = page.locator("#scorecard tr", has_text="C4")
    expect(c4).to_contain_text("0/1 hộ")
    checks.accessible()

    c4.get_by_role("link", name="Không đạt: xem lý do").click()
    expect(page.get_by_role("heading", name="C4 · 100% hộ gia đình ký cam kết", exact=False)).to_be_visible()
    records = page.locator("#failing-records")
    expect(records.get_by_role("link")).to_have_count(1)
    checks.accessible()
    records.get_by_role("link", name="HH-B", exact=False).click()

    page.get_by_role("link", name="Ghi nhận cam kết").click()
    page.locator("#register-editor").get_by_label("Ngày ký").fill(today.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm HH-B")

    page.goto(base_url + "/u/15076/")
    c4 = page.locator("#scorecard tr", has_text="C4")
    expect(c4).to_contain_text("1/1 hộ")
    expect(c4).to_contain_text("Đạt")
    checks.accessible()
