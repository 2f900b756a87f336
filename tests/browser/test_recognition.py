"""One commune's recognition, in the browser: self-assessment, a return, mending, resubmission,
district approval, province recognition; then the commune breaks a criterion, the province and the
district see the flag with its date, and the province revokes."""

import re

import pytest
from playwright.sync_api import expect

from portal import clock
from tests.browser.test_journeys import _log_in

pytestmark = pytest.mark.browser
C = "15133"  # Xã Cẩm Thành (district 390): fails C4, C5 and H1 in the seeded world


def _as(page, checks, base_url, username):
    """Log out as a user does (the server ends the session), then log in as another."""
    logout = page.get_by_role("button", name=re.compile("^Đăng xuất"))
    if page.url.startswith(base_url) and logout.count():
        logout.click()
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    _log_in(page, checks, base_url, username)


def _open_dossier_from_inbox(page, checks, base_url):
    page.locator("#nav-inbox").click()
    expect(page.get_by_role("heading", name="Việc cần làm")).to_be_visible()
    checks.accessible()
    page.locator("#inbox tr:not(.muted)").get_by_role("link", name="Xã Cẩm Thành").click()  # waiting, not news
    expect(page.get_by_role("heading", name=re.compile("Hồ sơ năm"))).to_be_visible()


def _fix_in_the_registers(page, base_url, today: str):
    """C4: this year's household commitment; C5: an activity of the model this year; H1: the hotspot eradicated."""
    page.goto(f"{base_url}/u/{C}/criteria/C4/")
    page.locator("#failing-records").get_by_role("link").first.click()
    page.get_by_role("link", name="Ghi nhận cam kết").click()
    page.locator("#register-editor").get_by_label("Ngày ký").fill(today)
    page.locator("#register-editor").get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm")

    page.goto(f"{base_url}/u/{C}/activities/new")
    editor = page.locator("#register-editor")
    model = editor.locator("[name=model_id] option:not([value=''])").first.get_attribute("value")
    editor.locator("[name=model_id]").select_option(model)
    editor.get_by_label("Ngày tổ chức").fill(today)
    editor.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm")

    page.goto(f"{base_url}/u/{C}/criteria/H1/")
    page.locator("#failing-records").get_by_role("link").first.click()
    page.get_by_role("link", name="Sửa").click()
    editor = page.locator("#register-editor")
    editor.get_by_label("Trạng thái", exact=True).select_option("eradicated")
    editor.get_by_label("Trạng thái từ ngày").fill(today)
    editor.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu")


def test_a_commune_from_self_assessment_to_recognition_then_a_breach_and_revocation(page, checks, base_url):
    today = clock.today().strftime("%d/%m/%Y")

    # the commune starts its self-assessment and submits with its failures explained and the minutes attached
    _as(page, checks, base_url, "officer_c")
    page.get_by_role("link", name="Mở hồ sơ đề nghị công nhận").click()
    checks.accessible()
    page.get_by_role("button", name="Bắt đầu tự đánh giá").click()
    expect(page.locator("#dossier-stage")).to_have_text("Đang tự đánh giá")
    checks.accessible()
    page.get_by_label("Bản quét biên bản hoặc cam kết (PDF, PNG hoặc JPEG)").set_input_files(
        files=[{"name": "biên bản họp thôn.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 minutes"}]
    )
    page.get_by_role("button", name="Đính kèm").click()
    expect(page.locator("#attachments")).to_contain_text("biên bản họp thôn.pdf")
    page.get_by_role("button", name="Lưu và nộp để thẩm định").click()
    expect(page.locator(".error-summary, .flash-error, [role=alert]").first).to_contain_text("Hãy giải trình")
    for code in ("C4", "C5", "H1"):
        expect(page.locator(f"#explain-{code}")).to_have_attribute("aria-invalid", "true")
        page.locator(f"#explain-{code}").fill(f"Xã đang khắc phục {code}")
    page.locator("#comments").fill("Xã đã họp dân ở tất cả các thôn.")
    page.get_by_role("button", name="Lưu và nộp để thẩm định").click()
    expect(page.locator("#dossier-stage")).to_have_text("Chờ thẩm định")

    # the district returns it with a remark per criterion
    _as(page, checks, base_url, "district_2")
    expect(page.locator("#nav-inbox .count")).to_have_text("1")
    _open_dossier_from_inbox(page, checks, base_url)
    checks.accessible()
    for code in ("C4", "C5", "H1"):
        page.locator(f"#remark-{code}").fill(f"Đề nghị khắc phục {code} trước khi nộp lại")
    page.locator("#return-comment").fill("Xã cần khắc phục các tiêu chí chưa đạt.")
    page.get_by_role("button", name="Trả lại hồ sơ cho xã").click()
    expect(page.locator("#dossier-stage")).to_have_text("Bị trả lại để bổ sung")

    # the commune reads the remarks, mends its registers and resubmits
    _as(page, checks, base_url, "officer_c")
    _open_dossier_from_inbox(page, checks, base_url)
    expect(page.locator("#return-remarks")).to_contain_text("Đề nghị khắc phục C5 trước khi nộp lại")
    checks.accessible()
    _fix_in_the_registers(page, base_url, today)
    _open_dossier_from_inbox(page, checks, base_url)
    expect(page.locator("#live-scorecard")).not_to_contain_text("Không đạt")
    page.locator("#comments").fill("Đã khắc phục cả ba tiêu chí theo ý kiến thẩm định.")
    page.get_by_role("button", name="Lưu và nộp để thẩm định").click()
    expect(page.locator("#dossier-stage")).to_have_text("Chờ thẩm định")
    expect(page.locator("#frozen")).to_contain_text("lần 2")

    # the district approves, the province recognises
    _as(page, checks, base_url, "district_2")
    _open_dossier_from_inbox(page, checks, base_url)
    page.get_by_role("button", name="Thông qua và chuyển lên tỉnh").click()
    expect(page.locator("#dossier-stage")).to_have_text("Chờ tỉnh quyết định")
    _as(page, checks, base_url, "province")
    _open_dossier_from_inbox(page, checks, base_url)
    checks.accessible()
    page.locator("#recognise-decision_number").fill("215/QĐ-UBND")
    page.locator("#recognise-decision_on").fill(today)
    page.locator("#recognise-valid_until").fill("31/12/2029")
    page.get_by_role("button", name="Công nhận", exact=True).click()
    expect(page.locator("#dossier-stage")).to_have_text("Đã công nhận")
    expect(page.get_by_role("link", name="Quyết định (PDF)")).to_be_visible()
    page.goto(base_url + "/u/38/")
    expect(page.locator("#broken-communes li", has_text="Xã Cẩm Thành")).to_have_count(0)

    # the commune breaks a criterion: a new active hotspot
    _as(page, checks, base_url, "officer_c")
    page.goto(f"{base_url}/u/{C}/hotspots/new")
    editor = page.locator("#register-editor")
    editor.get_by_label("Địa điểm").fill("Lán bỏ hoang ven suối")
    village = editor.locator("[name=village_id] option:not([value=''])").first.get_attribute("value")
    editor.locator("[name=village_id]").select_option(village)
    editor.get_by_label("Ngày phát hiện").fill(today)
    editor.get_by_label("Trạng thái từ ngày").fill(today)
    editor.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm")

    flag = f"Không đạt từ {today}"
    _as(page, checks, base_url, "district_2")
    page.goto(base_url + "/u/KV390/?fails=broken")
    expect(page.locator("#district-matrix")).to_contain_text(flag)
    checks.accessible()
    _as(page, checks, base_url, "province")
    expect(page.locator("#broken-communes")).to_contain_text("Xã Cẩm Thành")
    expect(page.locator("#broken-communes")).to_contain_text(flag)
    checks.accessible()

    # the province revokes
    page.locator("#broken-communes").get_by_role("link", name="Xã Cẩm Thành").click()
    page.get_by_role("link", name="Mở hồ sơ đề nghị công nhận").click()
    page.locator("#dossiers").get_by_role("link").first.click()
    expect(page.locator("#breach-flag")).to_contain_text(today)
    page.locator("#revoke-comment").fill("Phát sinh điểm sử dụng ma túy mới.")
    page.get_by_role("button", name="Thu hồi công nhận").click()
    expect(page.locator("#dossier-stage")).to_have_text("Đã thu hồi công nhận")
    expect(page.locator("#dossier-history")).to_contain_text("Phát sinh điểm sử dụng ma túy mới.")
    page.goto(base_url + "/u/38/")
    expect(page.locator("#broken-communes li", has_text="Xã Cẩm Thành")).to_have_count(0)
