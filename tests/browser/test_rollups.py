"""The district officer and the province officer in the browser: compare communes, open a failing one,
follow a criterion to its records, export the comparison; follow the rollout, its trend and map."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.test_recognition import _as

pytestmark = pytest.mark.browser


def _sheet(download):
    with open(download.path(), "rb") as file:
        return load_workbook(io.BytesIO(file.read())).active


def test_district_officer_compares_opens_a_failing_commune_follows_a_criterion_and_exports(page, checks, base_url):
    _as(page, checks, base_url, "district_1")
    expect(page).to_have_url(base_url + "/u/389/")
    matrix = page.locator("#district-matrix")
    expect(matrix).to_contain_text("Xã Quang Trung")
    expect(matrix).to_contain_text("Xã Vân Am")
    expect(matrix).not_to_contain_text("Xã Cẩm Thành")
    checks.accessible()

    page.get_by_label("Xem").select_option("C5")
    page.get_by_role("button", name="Lọc").click()
    expect(page).to_have_url(base_url + "/u/389/?fails=C5&sort=failing")
    matrix.get_by_role("link", name="C5").click()  # sort by the criterion's column
    expect(page).to_have_url(base_url + "/u/389/?sort=C5&fails=C5")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Xuất Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "so-sanh-xa-389.xlsx"
    sheet = _sheet(download)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã", "Xã, phường", "Số tiêu chí không đạt")
    assert {r[1] for r in rows[1:]} <= {"Xã Quang Trung", "Xã Vân Am"} and len(rows) > 1

    page.get_by_role("link", name="Trang in").click()
    expect(page.locator("#district-matrix")).to_be_visible()
    expect(page.locator(".site-nav")).to_have_count(0)
    checks.accessible()

    page.goto(base_url + "/u/389/")
    page.locator("#district-matrix").get_by_role("link", name="Xã Quang Trung").click()
    expect(page.locator("#scorecard")).to_be_visible()
    checks.accessible()
    failing = page.locator("#scorecard tr", has_text="C5")
    failing.get_by_role("link", name="Không đạt: xem lý do").click()
    records = page.locator("#failing-records")
    expect(records.get_by_role("link")).not_to_have_count(0)
    checks.accessible()
    records.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Lịch sử thay đổi")).to_be_visible()
    expect(page.get_by_role("link", name="Sửa")).to_have_count(0)  # read-only for the district
    checks.accessible()


def test_province_officer_follows_the_rollout_trend_and_map_and_exports(page, checks, base_url):
    _as(page, checks, base_url, "province")
    expect(page).to_have_url(base_url + "/u/38/")
    table = page.locator("#province-table")
    expect(table).to_contain_text("Huyện Ngọc Lặc")
    expect(table).to_contain_text("Khu vực Cẩm Thủy")
    expect(page.locator("#targets")).to_contain_text("Mục tiêu quốc gia: ít nhất 50% số xã đến năm 2030")
    checks.accessible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Xuất Excel (XLSX)").click()
    sheet = _sheet(download_info.value)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Đơn vị cấp huyện" and rows[-1][1] == "Toàn tỉnh"
    assert rows[-1][2] == sum(r[2] for r in rows[1:-1]) == 3

    page.get_by_role("link", name="Trang in").click()
    expect(page.locator("#province-table")).to_be_visible()
    expect(page.locator("#province-map")).to_be_visible()
    checks.accessible()

    page.goto(base_url + "/u/38/")
    points = page.locator("#province-map a")
    expect(points).to_have_count(3)
    expect(page.locator("#province-map a[aria-label^='Xã Vân Am']")).to_have_attribute(
        "class", "map-broken"
    )  # recognised in the seeded world, failing now
    page.locator("#province-map a[aria-label^='Xã Vân Am']").click()
    expect(page.locator("#scorecard")).to_be_visible()  # the province reads counts, not registers
    expect(page.get_by_role("link", name="Không đạt: xem lý do")).to_have_count(0)

    page.goto(base_url + "/u/38/")
    table.get_by_role("link", name="Huyện Ngọc Lặc").click()
    expect(page).to_have_url(base_url + "/u/389/")
    expect(page.locator("#district-matrix")).to_contain_text("Xã Quang Trung")
    checks.accessible()
