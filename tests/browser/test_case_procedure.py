"""The case as an officer runs it, in the browser, over a year and a half of the portal's clock: a positive
test, Form 07 with its team, two monthly checks, a positive re-test with a determination of "addicted"
and Form 09, voluntary rehab (Form 24), its completion and the post-rehab decision (Form 51), a move to
another commune accepted there, and Form 54 at the end. At each step the due list is checked, and every
form opens as a PDF with the right names and dates."""

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader

from portal.persons.legal_terms import add_months
from portal.working_days import add_working_days
from tests.browser.test_journeys import _log_in

pytestmark = pytest.mark.browser

A, B = "15085", "15076"
NAME = "Hoàng Văn Chuyển"
START = date(2027, 1, 4)  # a Monday, weeks before Tết Đinh Mùi (4-10 February 2027)


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _at(day: date):
    """The portal's clock (and the test's) on that day, at 09:00 in Vietnam."""
    return time_machine.travel(datetime.combine(day, time(2, 0), tzinfo=UTC), tick=True)


def _log_in_on_the_day(page, checks, base_url, username):
    """A new day, a new login (yesterday's session has long timed out)."""
    page.context.clear_cookies()
    _log_in(page, checks, base_url, username)


def editor(page):
    return page.locator("#register-editor")


def _save(page, expected: str):
    page.get_by_role("button", name="Lưu").click()
    try:
        expect(page.get_by_role("status")).to_contain_text(expected)
    except AssertionError as refused:  # say what the form said
        raise AssertionError(page.locator("p.error").all_inner_texts()) from refused


def _due(page, base_url, unit, kind):
    page.goto(f"{base_url}/u/{unit}/due/?kind={kind}")
    return page.locator("#due-list tbody")


def _pdf(page, base_url, path) -> str:
    response = page.request.get(base_url + path)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split())


def _form_link(page, number) -> str:
    return page.get_by_role("link", name=re.compile(f"Mẫu {number}")).first.get_attribute("href")


def _fill(page, fields: dict) -> None:
    """Type or choose each labelled field of the editor, as the officer reads its label."""
    for label, value in fields.items():
        field = editor(page).get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)


def _episode(page, base_url, kind_label, start, **fields):
    page.goto(base_url + f"/u/{A}/persons/")
    page.get_by_role("link", name=NAME).click()
    page.get_by_role("link", name="Thêm diễn biến tình trạng").click()
    editor(page).get_by_label("Tình trạng").select_option(label=kind_label)
    editor(page).get_by_label("Từ ngày").fill(_day(start))
    _fill(page, fields)
    _save(page, "Đã thêm")


def _edit_episode(page, base_url, kind_label, **fields):
    page.goto(base_url + f"/u/{A}/persons/")
    page.get_by_role("link", name=NAME).click()
    page.get_by_role("link", name=kind_label).first.click()
    page.get_by_role("link", name="Sửa").click()
    _fill(page, fields)
    _save(page, "Đã lưu")


def test_a_case_from_the_positive_test_to_form_54(page, checks, base_url):
    # 1. a positive test of a person on no list: the management decision is due in 9 working days
    with _at(START):
        _log_in_on_the_day(page, checks, base_url, "officer_a")
        page.goto(base_url + f"/u/{A}/persons/new")
        editor(page).get_by_label("Họ và tên").fill(NAME)
        editor(page).get_by_label("Ngày sinh").fill("02/09/1993")
        editor(page).get_by_label("Giới tính").select_option(label="Nam")
        editor(page).get_by_label("Thôn nơi cư trú").select_option(label="Thôn CANARY-A-1X")
        _save(page, f"Đã thêm {NAME}.")
        page.goto(base_url + f"/u/{A}/tests/new")
        editor(page).get_by_label("Người", exact=True).select_option(label=NAME)
        editor(page).get_by_label("Ngày xét nghiệm").fill(_day(START))
        editor(page).get_by_label("Trường hợp xét nghiệm").select_option(value="found_using")
        editor(page).get_by_label("Kết quả").select_option(label="Dương tính")
        _save(page, f"Đã thêm {NAME}")
        due = _due(page, base_url, A, "management_decision")
        expect(due).to_contain_text(NAME)
        expect(due).to_contain_text(_day(add_working_days(START, 9)))  # 15/01/2027
        expect(due).to_contain_text("Nghị định 105/2021/NĐ-CP, Điều 40–42")
        checks.accessible()

    # 2. Form 07, signed three days later, with its management team
    decided = START + timedelta(days=3)
    with _at(decided):
        _log_in_on_the_day(page, checks, base_url, "officer_a")
        _episode(
            page,
            base_url,
            "Người sử dụng trái phép chất ma túy đang bị quản lý",
            decided,
            **{"Số quyết định": "07/QĐ-UBND", "Ngày quyết định": _day(decided), "Người ký": "Lê Văn Chủ"},
        )
        for role, name in (
            ("Tổ trưởng (Công an cấp xã)", "Đại úy Lò Văn Tổ"),
            ("Tổ phó (đại diện thôn, tổ dân phố)", "Ông Hà Văn Thôn"),
        ):
            page.goto(base_url + f"/u/{A}/persons/")
            page.get_by_role("link", name=NAME).click()
            page.get_by_role("link", name="Thêm thành viên Tổ quản lý").click()
            editor(page).get_by_label("Nhiệm vụ trong Tổ quản lý").select_option(label=role)
            editor(page).get_by_label("Họ và tên").fill(name)
            _save(page, "Đã thêm")
        checks.accessible()
        expect(_due(page, base_url, A, "management_decision")).not_to_contain_text(NAME)
        page.goto(base_url + f"/u/{A}/persons/")
        page.get_by_role("link", name=NAME).click()
        form_07 = _pdf(page, base_url, _form_link(page, "07"))
        assert NAME in form_07 and "07/QĐ-UBND" in form_07 and "Đại úy Lò Văn Tổ" in form_07
        assert "07/01/2027" in form_07 and "07/01/2028" in form_07  # the year of management

    # 3. two monthly checks: each falls due a month after the last
    for month in (1, 2):
        on = add_months(decided, month)
        with _at(on):
            _log_in_on_the_day(page, checks, base_url, "officer_a")
            expect(_due(page, base_url, A, "monthly_check")).to_contain_text(NAME)
            page.goto(base_url + f"/u/{A}/persons/")
            page.get_by_role("link", name=NAME).click()
            page.get_by_role("link", name="Ghi nhận kiểm tra cư trú").click()
            editor(page).get_by_label("Ngày kiểm tra").fill(_day(on))
            editor(page).get_by_label("Kết quả").select_option(label="Có mặt tại nơi cư trú")
            _save(page, "Đã thêm")
            expect(_due(page, base_url, A, "monthly_check")).not_to_contain_text(NAME)

    # 4. a positive re-test: a determination finds "addicted"; Form 09 stops management
    retest = add_months(decided, 2) + timedelta(days=2)
    with _at(retest + timedelta(days=3)):
        _log_in_on_the_day(page, checks, base_url, "officer_a")
        page.goto(base_url + f"/u/{A}/tests/new")
        editor(page).get_by_label("Người", exact=True).select_option(label=NAME)
        editor(page).get_by_label("Ngày xét nghiệm").fill(_day(retest))
        editor(page).get_by_label("Trường hợp xét nghiệm").select_option(value="under_management")
        editor(page).get_by_label("Kết quả").select_option(label="Dương tính")
        _save(page, f"Đã thêm {NAME}")
        expect(_due(page, base_url, A, "determination")).to_contain_text(NAME)
        page.goto(base_url + f"/u/{A}/persons/")
        page.get_by_role("link", name=NAME).click()
        page.get_by_role("link", name="Ghi nhận xác định tình trạng nghiện").click()
        editor(page).get_by_label("Ngày đề nghị").fill(_day(retest + timedelta(days=1)))
        editor(page).get_by_label("Cơ sở xác định tình trạng nghiện").fill("Bệnh viện Tâm thần Thanh Hóa")
        editor(page).get_by_label("Ngày phiếu kết quả").fill(_day(retest + timedelta(days=3)))
        editor(page).get_by_label("Kết quả", exact=True).select_option(label="Có nghiện ma túy")
        _save(page, "Đã thêm")
        expect(_due(page, base_url, A, "determination")).not_to_contain_text(NAME)
        stop = _due(page, base_url, A, "stop_management")
        expect(stop).to_contain_text(NAME)
        expect(stop).to_contain_text(_day(add_working_days(retest + timedelta(days=3), 3)))
        checks.accessible()
        stopped = retest + timedelta(days=3)
        _edit_episode(
            page,
            base_url,
            "Người sử dụng trái phép chất ma túy đang bị quản lý",
            **{
                "Ngày kết thúc": _day(stopped),
                "Lý do kết thúc": "Dừng quản lý: xác định là người nghiện",
                "Số quyết định kết thúc": "09/QĐ-UBND",
                "Ngày quyết định kết thúc": _day(stopped),
            },
        )
        expect(_due(page, base_url, A, "stop_management")).not_to_contain_text(NAME)
        register = _due(page, base_url, A, "no_treatment")  # 5 working days to register for rehab
        expect(register).to_contain_text(NAME)
        page.goto(base_url + f"/u/{A}/persons/")
        page.get_by_role("link", name=NAME).click()
        form_09 = _pdf(page, base_url, _form_link(page, "09"))
        assert "dừng quản lý" in form_09 and "09/QĐ-UBND" in form_09 and _day(stopped) in form_09 and NAME in form_09

        # 5. voluntary rehab at home, decided by the chair (Form 24)
        rehab = stopped  # the day management stopped
        _episode(
            page,
            base_url,
            "Cai nghiện ma túy tự nguyện tại gia đình, cộng đồng",
            rehab,
            **{"Thời hạn (tháng)": "6", "Số quyết định": "24/QĐ-UBND", "Ngày quyết định": _day(rehab)},
        )
        expect(_due(page, base_url, A, "no_treatment")).not_to_contain_text(NAME)
        page.goto(base_url + f"/u/{A}/persons/")
        page.get_by_role("link", name=NAME).click()
        form_24 = _pdf(page, base_url, _form_link(page, "24"))
        assert "cai nghiện ma túy tự nguyện tại gia đình, cộng đồng" in form_24 and "24/QĐ-UBND" in form_24
        assert _day(rehab) in form_24 and _day(add_months(rehab, 6)) in form_24

    # 6. completion: the post-rehab file (Form 50) and the chair's decision (Form 51) fall due
    completed = add_months(rehab, 6)
    with _at(completed + timedelta(days=1)):
        _log_in_on_the_day(page, checks, base_url, "officer_a")
        expect(_due(page, base_url, A, "period_ending")).to_contain_text(NAME)
        _edit_episode(
            page,
            base_url,
            "Cai nghiện ma túy tự nguyện tại gia đình, cộng đồng",
            **{"Ngày kết thúc": _day(completed), "Lý do kết thúc": "Hết thời hạn (Mẫu 10 / 54 / 26a-b)"},
        )
        post = _due(page, base_url, A, "post_rehab_decision")
        expect(post).to_contain_text("Mẫu 50")
        expect(post).to_contain_text(_day(add_working_days(completed, 5)))
        decided_post = completed + timedelta(days=1)
        _episode(
            page,
            base_url,
            "Quản lý sau cai nghiện ma túy tại nơi cư trú",
            decided_post,
            **{
                "Hình thức cai nghiện trước đó": "Cai nghiện tự nguyện",
                "Số quyết định": "51/QĐ-UBND",
                "Ngày quyết định": _day(decided_post),
            },
        )
        expect(_due(page, base_url, A, "post_rehab_decision")).not_to_contain_text(NAME)
        page.goto(base_url + f"/u/{A}/persons/")
        page.get_by_role("link", name=NAME).click()
        form_51 = _pdf(page, base_url, _form_link(page, "51"))
        assert "quản lý sau cai nghiện ma túy" in form_51 and "51/QĐ-UBND" in form_51
        assert _day(decided_post) in form_51 and _day(add_months(decided_post, 12)) in form_51

        # 7. a move to another commune: the receiver sees who is coming, accepts, and continues the term
        page.get_by_role("link", name="Chuyển đến xã, phường khác").click()
        page.get_by_label("Chuyển đến xã, phường").select_option(label="Xã Vân Am")
        page.get_by_label("Ngày chuyển").fill(_day(completed + timedelta(days=1)))
        page.get_by_label("Lý do và nơi cư trú mới").fill("Về ở với gia đình vợ")
        page.get_by_role("button", name="Ghi nhận chuyển đi").click()
        expect(page.locator("#outgoing")).to_contain_text(NAME)
        checks.accessible()
        form_08 = _pdf(page, base_url, page.get_by_role("link", name="Mẫu 08 (PDF)").first.get_attribute("href"))
        assert NAME in form_08 and "Xã Vân Am" in form_08 and "51/QĐ-UBND" in form_08
        _log_in_on_the_day(page, checks, base_url, "officer_b")
        expect(_due(page, base_url, B, "incoming_transfer")).to_contain_text(NAME)
        page.goto(base_url + f"/u/{B}/transfers/")
        incoming = page.locator("#incoming")
        expect(incoming).to_contain_text("Về ở với gia đình vợ")
        checks.accessible()
        coming = incoming.locator("tr", has_text=NAME)
        coming.get_by_label("Thôn, tổ dân phố nơi cư trú mới").select_option(label="Thôn CANARY-B-1X")
        coming.get_by_role("button", name="Tiếp nhận hồ sơ").click()
        expect(page.get_by_role("heading", name=NAME)).to_be_visible()
        expect(page.locator("main")).to_contain_text("51/QĐ-UBND")
        checks.accessible()
        expect(_due(page, base_url, B, "incoming_transfer")).not_to_contain_text(NAME)

    # 8. a year on, in the new commune: Form 54, and the person leaves the list
    ends = add_months(decided_post, 12)
    with _at(ends + timedelta(days=1)):
        _log_in_on_the_day(page, checks, base_url, "officer_b")
        ending = _due(page, base_url, B, "period_ending")
        expect(ending).to_contain_text(NAME)
        expect(ending).to_contain_text("Mẫu 54")
        page.goto(base_url + f"/u/{B}/persons/?q=" + NAME)
        page.get_by_role("link", name=NAME).first.click()
        page.get_by_role("link", name="Quản lý sau cai nghiện ma túy tại nơi cư trú").first.click()
        page.get_by_role("link", name="Sửa").click()
        _fill(
            page,
            {
                "Ngày kết thúc": _day(ends),
                "Lý do kết thúc": "Hết thời hạn (Mẫu 10 / 54 / 26a-b)",
                "Số quyết định kết thúc": "54/GCN-UBND",
                "Ngày quyết định kết thúc": _day(ends),
            },
        )
        _save(page, "Đã lưu")
        expect(_due(page, base_url, B, "period_ending")).not_to_contain_text(NAME)
        page.goto(base_url + f"/u/{B}/persons/?q=" + NAME)
        page.get_by_role("link", name=NAME).first.click()
        form_54 = _pdf(page, base_url, _form_link(page, "54"))
        assert "GIẤY CHỨNG NHẬN" in form_54 and NAME in form_54 and "54/GCN-UBND" in form_54
        assert _day(decided_post) in form_54 and _day(ends) in form_54
        assert "XÃ VÂN AM" in form_54  # issued by the commune the person lives in now
