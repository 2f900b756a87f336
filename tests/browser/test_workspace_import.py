"""A commune officer imports commitments from Excel: the file has errors, the refusals say where, the
fixed file goes in whole, and the commitment criterion changes on the scorecard.

(Named to run last: it changes commune C's commitments, which the other browser tests read as they are.)"""

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from portal import clock
from tests.browser.test_recognition import _as
from tests.world import canary

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(rows) -> dict:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return {"name": "cam-ket.xlsx", "mimeType": XLSX, "buffer": out.getvalue()}


def _upload(page, checks, register, rows):
    page.get_by_label("Sổ", exact=True).select_option(label=register)
    page.get_by_label("Tệp Excel (.xlsx)").set_input_files(_file(rows))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.locator("#import-state")).to_have_text("Đã kiểm tra: chờ xác nhận", timeout=60_000)
    checks.accessible()


def _confirm(page, checks):
    page.locator("#confirm-import").click()
    expect(page.locator("#import-state")).to_have_text("Đã nhập", timeout=60_000)
    checks.accessible()


def test_import_a_file_with_errors_read_the_refusals_fix_it_and_see_the_criterion_change(page, checks, base_url):
    year = str(clock.today().year)
    today = clock.today().strftime("%d/%m/%Y")
    _as(page, checks, base_url, "officer_c")
    expect(page).to_have_url(base_url + "/u/15133/")

    page.get_by_role("link", name="Nhập từ Excel").click()
    expect(page.get_by_role("heading", name="Nhập từ Excel")).to_be_visible()
    checks.accessible()
    with page.expect_download() as template:
        page.get_by_role("link", name=re.compile(r"Tải về tệp mẫu .*Cam kết của hộ gia đình")).click()
    assert template.value.suggested_filename.endswith(".xlsx")

    # a new household: the commitment criterion now fails, one household short
    _upload(
        page, checks, "Hộ gia đình", [["Mã hộ", "Chủ hộ", "Thôn"], ["HH-C-MOI", "Lò Văn Mới", f"Thôn {canary('C')}"]]
    )
    expect(page.locator("#count-add")).to_have_text("1")
    _confirm(page, checks)
    page.get_by_role("link", name="Mở bảng tiêu chí").click()
    c4 = page.locator("#scorecard tr", has_text="C4")
    expect(c4).to_contain_text("/2 hộ")
    expect(c4).to_contain_text("Không đạt")

    page.get_by_role("link", name="Nhập từ Excel").click()
    headers = ["Mã hộ", "Đợt (năm)", "Ngày ký", "Không ký cam kết", "Lý do không ký"]
    _upload(
        page,
        checks,
        "Cam kết của hộ gia đình",
        [headers, ["HH-C-MOI", year, "", "", ""], ["HH-KHONG-CO", year, today, "", ""]],
    )
    refusals = page.locator("#refusals")
    first, second = refusals.locator("tbody tr").nth(0), refusals.locator("tbody tr").nth(1)
    expect(first.locator("td")).to_have_text(["2", "Ngày ký", re.compile("^Hãy ghi ngày ký")])
    expect(second.locator("td")).to_have_text(["3", "Mã hộ", "Xã không có hộ nào mang mã “HH-KHONG-CO”."])
    expect(page.locator("#count-refused")).to_have_text("2")
    expect(page.locator("#confirm-import")).to_have_count(0)  # nothing to confirm while rows are refused

    page.get_by_role("link", name="Tải tệp khác lên").click()
    _upload(
        page,
        checks,
        "Cam kết của hộ gia đình",
        [headers, ["HH-C-MOI", year, today, "", ""], ["HH-C", year, today, "", ""]],
    )
    expect(page.locator("#count-refused")).to_have_text("0")
    _confirm(page, checks)
    expect(page.locator("#import-job")).to_contain_text("Đã nhập:")

    page.get_by_role("link", name="Mở bảng tiêu chí").click()
    c4 = page.locator("#scorecard tr", has_text="C4")
    expect(c4).to_contain_text("2/2 hộ")
    expect(c4).to_contain_text("Đạt")
