"""Importing registers from real .xlsx files: templates, preview, refusals named row by row, the
all-or-nothing commit in the job's own process, hostile files, the command line."""

import io
import json
import os
import signal
import time
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.audit.models import AuditEvent
from portal.criteria.models import CommuneResult
from portal.criteria.results import version_in_force
from portal.drug_tests.models import DrugTest, MissedCase
from portal.extensions import db
from portal.imports import jobs
from portal.imports.models import ImportJob
from portal.imports.write import CHUNK
from portal.persons.models import Person
from portal.tenancy.guard import system_scope
from portal.villages.models import Household, HouseholdCommitment, Village
from tests.imports.conftest import (
    HOUSEHOLD_HEADERS,
    checked,
    confirm,
    count,
    finished,
    households,
    job_id_of,
    upload,
    xlsx,
)

FILES = Path(__file__).parent / "files"
WORLD = 3  # the seeded world has one row of each register in each of its three communes
PERSON_HEADERS = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn nơi cư trú"]


def refusals(job) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in job.report["refusals"]]


# Templates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("register", "headers", "choice_column"),
    [
        ("villages", ["Tên", "Loại", "Trưởng thôn"], "Loại"),
        ("households", ["Mã hộ", "Đại diện hộ gia đình", "Thôn", "Địa chỉ", "Số nhân khẩu"], None),
        ("household-commitments", ["Mã hộ", "Đợt (năm)", "Ngày ký"], "Không ký cam kết"),
        ("persons", ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn nơi cư trú"], "Giới tính"),
        ("tests", ["Số CCCD", "Họ và tên", "Ngày sinh", "Ngày xét nghiệm"], "Kết quả"),
    ],
)
def test_each_template_has_vietnamese_headers_an_example_lists_and_help(
    app, commune, session_for, register, headers, choice_column
):
    client = session_for("officer_a")
    response = client.get(f"/u/{commune}/imports/{register}/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    data, lists, help_sheet = book.worksheets
    first_row = [c.value for c in data[1]]
    assert first_row[: len(headers)] == headers
    assert any(c.value not in (None, "") for c in data[2])  # the example row
    assert help_sheet.title == "Hướng dẫn điền" and help_sheet["A1"].value == "Cột"
    assert [r[0].value for r in help_sheet.iter_rows(min_row=2, max_row=len(first_row) + 1)] == first_row
    if choice_column:
        letter = data.cell(1, first_row.index(choice_column) + 1).column_letter
        validations = [v for v in data.data_validations.dataValidation if letter + "2" in str(v.sqref)]
        assert validations and validations[0].type == "list" and lists.title in validations[0].formula1
        assert lists.sheet_state == "hidden"
    # the untouched template imports nothing: its example row is recognised and skipped
    job = checked(app, client, commune, register, response.data)
    assert job.state == "checked" and job.rows_total == 0 and job.report["example_skipped"]
    assert not job.can_confirm


# Preview, commit, re-import ---------------------------------------------------------------------------


@pytest.mark.clock
def test_households_preview_then_commit_then_the_same_file_again_adds_nothing(app, world, commune, session_for):
    client = session_for("officer_a")
    data = xlsx([HOUSEHOLD_HEADERS, *households(30)])
    job = checked(app, client, commune, "households", data)
    assert (job.state, job.rows_total, job.to_add, job.to_update, job.refused_rows) == ("checked", 30, 30, 0, 0)
    assert count(app, Household) == WORLD  # the world's own: nothing is written by the check
    page = client.get(f"/u/{commune}/imports/{job.id}").get_data(as_text=True)
    assert "Sẽ thêm mới" in page and "Xác nhận" in page
    job = confirm(app, client, commune, job)
    assert (job.state, job.added, job.updated) == ("committed", 30, 0)
    assert count(app, Household) == WORLD + 30
    with app.app_context(), system_scope(db.session):
        created = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "household",
                AuditEvent.action == "create",
                AuditEvent.user_id == world.user_id["officer_a"],
            )
        ).all()
        assert len(created) == 30 and all('"representative_name": "Nguyễn Văn' in a.after for a in created)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import")) is not None
        row = db.session.scalar(select(Household).where(Household.code == "LM-00007"))
        assert row.search_key == "lm-00007 nguyen van 7 xom 8" and row.village.name == "Làng Mới"
    again = checked(app, client, commune, "households", data)
    assert (again.to_add, again.to_update, again.unchanged) == (0, 0, 30)
    assert not again.can_confirm
    assert "không có gì để nhập" in client.get(f"/u/{commune}/imports/{again.id}").get_data(as_text=True)


def test_changed_rows_are_previewed_as_updates_then_saved_with_their_history(app, commune, session_for):
    client = session_for("officer_a")
    confirm(
        app, client, commune, checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(3)]))
    )
    changed = households(3)
    changed[1][1] = "Nguyễn Văn Hai Mới"
    changed[2][4] = 6
    job = checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *changed]))
    assert (job.to_add, job.to_update, job.unchanged) == (0, 2, 1)
    page = client.get(f"/u/{commune}/imports/{job.id}").get_data(as_text=True)
    assert "Nguyễn Văn 2 → Nguyễn Văn Hai Mới" in page and "Số nhân khẩu: 4 → 6" in page
    job = confirm(app, client, commune, job)
    assert (job.state, job.updated) == ("committed", 2)
    with app.app_context(), system_scope(db.session):
        row = db.session.scalar(select(Household).where(Household.code == "LM-00002"))
        assert row.representative_name == "Nguyễn Văn Hai Mới" and row.version == 2
        history = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.object_type == "household",
                AuditEvent.object_id == str(row.id),
                AuditEvent.action == "update",
            )
        )
        assert "Nguyễn Văn Hai Mới" in history.after


def test_a_file_missing_an_optional_column_updates_only_what_it_has(app, commune, session_for):
    client = session_for("officer_a")
    confirm(
        app, client, commune, checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(2)]))
    )
    job = checked(
        app,
        client,
        commune,
        "households",
        xlsx([["Mã hộ", "Chủ hộ", "Thôn"], ["LM-00001", "Nguyễn Văn 1", "Làng Mới"]]),
    )
    assert (job.to_update, job.unchanged) == (0, 1)  # the address and members it lacks are left as they are


# Refusals -----------------------------------------------------------------------------------------------


@pytest.mark.clock
def test_every_kind_of_bad_row_is_named_by_row_column_and_reason(app, commune, session_for):
    client = session_for("officer_a")
    future = clock.today() + timedelta(days=3)
    rows = [
        PERSON_HEADERS + ["Mã hộ"],
        ["Trần Văn Bảo", datetime(1990, 5, 20), "Nam", "038090001235", "Làng Mới", ""],  # 2: fine
        ["Lê Văn Ba", datetime(1990, 5, 20), "Nam", "03809000123", "Làng Mới", ""],  # 3: 11 digits
        ["Lê Văn Bốn", datetime(1990, 5, 20), "Nam", "999090001234", "Làng Mới", ""],  # 4: no such province
        ["Lê Văn Năm", datetime(1990, 5, 20), "Nam", "038190001235", "Làng Mới", ""],  # 5: a woman's digit
        ["Lê Văn Sáu", datetime(1990, 5, 20), "Nam", "", "Làng Không Có", ""],  # 6: unknown village
        ["Lê Văn Bảy", future, "Nam", "", "Làng Mới", ""],  # 7: born in the future
        ["Trần Văn Bảo", datetime(1990, 5, 20), "Nam", "038090001235", "Làng Mới", ""],  # 8: duplicate of 2
        ['=HYPERLINK("http://x")', datetime(1990, 5, 20), "Nam", "", "Làng Mới", ""],  # 9: a formula
        ["Lê Văn Mười", datetime(1990, 5, 20), "Không rõ", "", "Làng Mới", ""],  # 10: not a choice
        ["", datetime(1990, 5, 20), "Nam", "", "Làng Mới", ""],  # 11: required cell empty
        ["Lê Văn Mười Hai", "31/02/1990", "Nam", "", "Làng Mới", ""],  # 12: not a date
        ["Lê Văn Mười Ba", datetime(1990, 5, 20), "Nữ", "", "Làng Mới", "HH-KHONG"],  # 13: unknown household
    ]
    job = checked(app, client, commune, "persons", xlsx(rows))
    assert (job.rows_total, job.to_add, job.refused_rows) == (12, 1, 11)
    found = refusals(job)
    assert found == [
        (3, "Số CCCD", "Số CCCD gồm 12 chữ số; số vừa nhập có 11 chữ số."),
        (4, "Số CCCD", "Ba chữ số đầu (999) không phải mã tỉnh nơi đăng ký khai sinh."),
        (5, "Số CCCD", "Chữ số thứ tư (1) dành cho nữ, nhưng người này là nam."),
        (6, "Thôn nơi cư trú", "Xã không có thôn nào tên “Làng Không Có”."),
        (7, "Ngày sinh", "Ngày này ở tương lai."),
        (8, "Số CCCD, hoặc họ tên và ngày sinh", "Trùng với dòng 2."),
        (9, "Họ và tên", "Ô này chứa công thức; hãy nhập chính giá trị."),
        (10, "Giới tính", "“Không rõ” không thuộc danh sách: Nam; Nữ."),
        (11, "Họ và tên", "Ô này đang trống, nhưng cột này bắt buộc."),
        (12, "Ngày sinh", "Không phải ngày: hãy nhập theo dạng dd/mm/yyyy, ví dụ 05/03/2025."),
        (13, "Mã hộ", "Xã không có hộ nào mang mã “HH-KHONG”."),
    ]
    page = client.get(f"/u/{commune}/imports/{job.id}").get_data(as_text=True)
    assert "Trùng với dòng 2." in page and "Xác nhận" not in page
    assert "sửa các dòng dưới đây" in page
    # a refused file cannot be committed, even by posting the confirmation by hand
    response = client.post(f"/u/{commune}/imports/{job.id}/confirm", data={"version": str(job.lock_version)})
    assert response.status_code == 302 and finished(app, job.id).state == "checked"
    assert count(app, Person) == WORLD


def test_a_failing_last_row_commits_nothing(app, commune, session_for):
    client = session_for("officer_a")
    rows = [HOUSEHOLD_HEADERS, *households(50_000), ["LM-99999", "Nguyễn Văn Cuối", "Làng Mới", "", 99]]
    job = checked(app, client, commune, "households", xlsx(rows))
    assert (job.to_add, job.refused_rows) == (50_000, 1)
    assert refusals(job) == [(50_002, "Số nhân khẩu", "Phải từ 1 đến 60.")]
    assert not job.can_confirm
    # the command line, which would commit at once, commits nothing either
    path = Path(app.config["IMPORTS_DIR"]) / "cuoi-loi.xlsx"
    path.write_bytes(xlsx(rows))
    result = app.test_cli_runner().invoke(args=["import", "households", str(path), "--commune", commune])
    assert result.exit_code == 1 and "dòng 50002, Số nhân khẩu: Phải từ 1 đến 60." in result.output
    assert count(app, Household) == WORLD


def test_the_registers_changing_between_check_and_commit_commit_nothing(app, commune, session_for):
    """The commit checks the file again inside its transaction: a row that became a duplicate refuses it."""
    client = session_for("officer_a")
    job = checked(
        app,
        client,
        commune,
        "persons",
        xlsx([PERSON_HEADERS, ["Trần Văn Bình", datetime(1990, 5, 20), "Nam", "", "Làng Mới"]]),
    )
    assert job.to_add == 1
    with app.app_context(), system_scope(db.session):  # meanwhile the village is deleted
        db.session.scalar(select(Village).where(Village.name == "Làng Mới")).deleted_at = clock.utcnow()
        db.session.commit()
    job = confirm(app, client, commune, job)
    assert job.state == "checked" and job.refused_rows == 1 and "thay đổi" in job.message
    assert count(app, Person) == WORLD


# The usual variations of real files ----------------------------------------------------------------


def test_real_files_vary_and_are_read_alike(app, commune, session_for):
    client = session_for("officer_a")
    nfd = unicodedata.normalize("NFD", "Đỗ Thị Hương")
    rows = [
        ["Thôn nơi cư trú", "  Số CCCD ", "Giới tính", "Ngày sinh", "Họ và tên", "Ghi chép riêng"],  # any order
        ["  Làng Mới ", 38195004321, "nữ", "02/11/1995", f"  {nfd}  ", "bỏ qua"],  # CCCD lost its zero
        ["thon chieng", "038 090 001 234", "Nam", datetime(1990, 5, 20), "Trần Văn Bình", ""],
        ["Làng Mới", "", "NAM", "7-8-1988", "Phạm Văn Đức", ""],
    ]
    job = checked(app, client, commune, "persons", xlsx(rows))
    assert (job.to_add, job.refused_rows) == (3, 0), job.report
    assert job.report["ignored_columns"] == ["Ghi chép riêng"]
    confirm(app, client, commune, job)
    with app.app_context(), system_scope(db.session):
        people = {p.full_name: p for p in db.session.scalars(select(Person))}
        huong = people["Đỗ Thị Hương"]  # stored NFC
        assert huong.cccd == "038195004321" and huong.born_on == date(1995, 11, 2) and huong.sex == "female"
        assert people["Trần Văn Bình"].village.name == "Thôn Chiềng"
        assert people["Phạm Văn Đức"].born_on == date(1988, 8, 7)


def test_english_headers_are_understood(app, commune, session_for):
    client = session_for("officer_a")
    rows = [["Household code", "Representative", "Village"], ["EN-1", "Hoàng Văn Anh", "Làng Mới"]]
    assert checked(app, client, commune, "households", xlsx(rows)).to_add == 1


def test_missing_required_columns_refuse_the_file(app, commune, session_for):
    client = session_for("officer_a")
    job = checked(app, client, commune, "households", xlsx([["Mã hộ", "Địa chỉ"], ["X-1", "Xóm 1"]]))
    assert job.state == "refused" and job.message == "Tệp thiếu các cột ở dòng đầu: Đại diện hộ gia đình; Thôn."


def test_a_file_saved_by_libreoffice(app, commune, session_for):
    client = session_for("officer_a")
    job = checked(app, client, commune, "persons", (FILES / "libreoffice-persons.xlsx").read_bytes())
    assert (job.state, job.to_add, job.refused_rows) == ("checked", 3, 0), job.report
    confirm(app, client, commune, job)
    with app.app_context(), system_scope(db.session):
        binh = db.session.scalar(select(Person).where(Person.cccd == "038090001235"))
        assert binh.full_name == "Trần Văn Bảo" and binh.born_on == date(1990, 5, 20)
        assert db.session.scalar(select(Person).where(Person.full_name == "Phạm Văn Đức")).born_on == date(1988, 8, 7)


# Other registers ---------------------------------------------------------------------------------------


def _c4(app, commune_id) -> CommuneResult:
    with app.app_context(), system_scope(db.session):
        criterion = next(c for c in version_in_force().criteria if c.code == "C4")
        result = db.session.get(CommuneResult, (commune_id, criterion.id))
        db.session.expunge(result)
        return result


@pytest.mark.clock
def test_commitments_import_changes_the_commitment_criterion(app, world, commune, session_for):
    client = session_for("officer_a")
    confirm(
        app, client, commune, checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(4)]))
    )
    year = str(clock.today().year)
    before = _c4(app, world.unit_id["A"])
    assert before.passed is False
    signed = clock.today()
    rows = [["Mã hộ", "Đợt (năm)", "Ngày ký", "Không ký cam kết", "Lý do không ký"]]
    rows += [[f"LM-{i:05d}", year, signed.strftime("%d/%m/%Y"), "", ""] for i in range(1, 5)]
    rows += [["HH-A", year, "", "Có", ""]]  # a refusal with no reason
    job = checked(app, client, commune, "household-commitments", xlsx(rows))
    assert refusals(job) == [(6, "Lý do không ký", "Hãy ghi lý do hộ không ký.")]
    rows[-1] = ["HH-A", year, signed, "", ""]
    job = confirm(app, client, commune, checked(app, client, commune, "household-commitments", xlsx(rows)))
    assert (job.state, job.added) == ("committed", 5)
    after = _c4(app, world.unit_id["A"])
    assert (after.numerator, after.denominator, after.passed) == (5, 5, True)
    assert count(app, HouseholdCommitment, campaign=year) == 5


@pytest.mark.clock
def test_drug_tests_import_records_a_missed_case_for_a_positive_test(app, world, commune, session_for):
    client = session_for("officer_a")
    person = [PERSON_HEADERS, ["Đinh Văn Mới", datetime(1992, 1, 9), "Nam", "038092004567", "Làng Mới"]]
    confirm(app, client, commune, checked(app, client, commune, "persons", xlsx(person)))  # on no register
    tested = clock.today() - timedelta(days=2)
    rows = [
        ["Số CCCD", "Ngày xét nghiệm", "Trường hợp xét nghiệm", "Mẫu xét nghiệm", "Kết quả", "Đơn vị phát hiện"],
        ["038092004567", tested, "b", "Nước tiểu", "Dương tính", "Cảnh sát giao thông"],
        ["038090009999", tested, "b) Người có căn cứ nghi sử dụng trái phép chất ma túy", "Nước tiểu", "Âm tính", ""],
    ]
    job = checked(app, client, commune, "tests", xlsx(rows))
    assert refusals(job) == [(3, "Số CCCD", "Xã không có người nào mang số CCCD này; hãy thêm người đó trước.")]
    job = confirm(app, client, commune, checked(app, client, commune, "tests", xlsx(rows[:2])))
    assert job.state == "committed"
    with app.app_context(), system_scope(db.session):
        test = db.session.scalar(select(DrugTest).where(DrugTest.tested_on == tested))
        assert test.result == "positive" and test.person.full_name == "Đinh Văn Mới"
        assert test.found_by == "traffic_police"  # found by another body, of a person on no list: a miss
        assert db.session.scalar(select(MissedCase.reason).where(MissedCase.test_id == test.id)) == "found_elsewhere"


# Hostile files ------------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    """The archive with one member added, or put in place of the one of that name."""
    source = zipfile.ZipFile(io.BytesIO(data))
    return _zip({**{n: source.read(n) for n in source.namelist()}, name: content})


def _valid() -> bytes:
    return xlsx([HOUSEHOLD_HEADERS, *households(2)])


ENTITIES = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    b'<c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"Ma ho,Chu ho\nX-1,A\n", "Đây không phải tệp Excel (.xlsx)."),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "tệp Excel cũ (.xls)"),
        (lambda: _zip({"hello.txt": b"hi"}), "Đây không phải tệp Excel (.xlsx)."),
        (lambda: _with_member(_valid(), "xl/vbaProject.bin", b"\0" * 100), "Không nhận tệp có macro"),
        (lambda: _with_member(_valid(), "xl/bomb.xml", b"\0" * (300 * 2**20)), "bung ra"),
        (lambda: _with_member(_valid(), "xl/pad.xml", b"A" * (60 * 2**20)), "tệp nén bất thường"),
        (lambda: _with_member(_valid(), "xl/worksheets/sheet1.xml", ENTITIES), "khai báo XML"),
        (lambda: _valid()[: len(_valid()) // 2], "hỏng"),
    ],
    ids=["csv", "xls", "zip-not-xlsx", "macro", "zip-bomb-size", "zip-bomb-ratio", "xml-entities", "truncated"],
)
def test_hostile_files_are_refused_at_upload_before_any_parsing(app, commune, session_for, make, message):
    client = session_for("officer_a")
    files_before = set(Path(app.config["IMPORTS_DIR"]).iterdir())
    response = upload(client, commune, "households", make(), "tep.xlsx")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(ImportJob).where(ImportJob.filename == "tep.xlsx")) is None
    assert set(Path(app.config["IMPORTS_DIR"]).iterdir()) == files_before  # the upload is not kept


def test_a_file_over_the_limit_is_413(app, commune, session_for):
    client = session_for("officer_a")
    app.config["IMPORT_MAX_BYTES"] = 64 * 1024
    try:
        response = upload(client, commune, "households", os.urandom(100 * 1024))
    finally:
        app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    assert response.status_code == 413
    assert "quá lớn" in response.get_data(as_text=True)


def test_too_many_rows_refuse_the_file(app, commune, session_for):
    client = session_for("officer_a")
    app.config["IMPORT_MAX_ROWS"] = 10
    try:
        job = checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(11)]))
    finally:
        app.config["IMPORT_MAX_ROWS"] = 100000
    assert job.state == "refused" and "Tối đa 10 dòng" in job.message


# The job's process -------------------------------------------------------------------------------------


def test_the_page_follows_progress_and_the_result_waits_for_the_officer(app, commune, session_for):
    client = session_for("officer_a")
    job_id = job_id_of(upload(client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(3000)])))
    page = client.get(f"/u/{commune}/imports/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="import-job"' in page
    assert "<html" not in page  # a fragment, for the poll
    job = finished(app, job_id)
    assert job.state == "checked" and job.to_add == 3000
    listing = client.get(f"/u/{commune}/imports/").get_data(as_text=True)
    assert f"/imports/{job_id}" in listing and "Đã kiểm tra" in listing


def test_a_killed_import_commits_nothing(app, commune, session_for):
    client = session_for("officer_a")
    job = checked(app, client, commune, "households", xlsx([HOUSEHOLD_HEADERS, *households(50_000)]))
    assert job.to_add == 50_000
    client.post(f"/u/{commune}/imports/{job.id}/confirm", data={"version": str(job.lock_version)})
    with app.app_context(), system_scope(db.session):
        running = db.session.get(ImportJob, job.id)
        progress_file = Path(app.config["IMPORTS_DIR"]) / (running.stored_name + ".progress.json")
        pid = running.pid
    deadline = time.time() + 120
    while time.time() < deadline:  # until chunks of rows went to its transaction, not yet committed
        try:
            progress = json.loads(progress_file.read_text())
        except (OSError, ValueError):
            progress = {}
        if progress.get("phase") == "save" and progress["done"] >= 3 * CHUNK:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the import never reached its writes")
    os.kill(pid, signal.SIGKILL)
    jobs.wait_for_workers()
    assert count(app, Household) == WORLD
    page = client.get(f"/u/{commune}/imports/{job.id}").get_data(as_text=True)
    assert "Bị gián đoạn" in page and "không có gì được lưu" in page
    assert finished(app, job.id).state == "interrupted"
    assert not progress_file.exists()


def _running_job(app, commune_id: int, state: str) -> None:
    """A job whose process is alive (this one) and whose progress is fresh."""
    with app.app_context(), system_scope(db.session):
        running = ImportJob(
            commune_id=commune_id,
            register="households",
            filename="dang-chay.xlsx",
            stored_name=f"running-{commune_id}.xlsx",
            size=1,
            sha256="0" * 64,
            state=state,
            pid=os.getpid(),
        )
        db.session.add(running)
        db.session.commit()
        jobs.write_progress(running, "check", 1, 10)


def test_a_second_import_waits_for_the_running_one(app, world, commune, session_for):
    client = session_for("officer_a")
    _running_job(app, world.unit_id["A"], "checking")
    response = upload(client, commune, "households", _valid())
    assert response.status_code == 409 and "chưa xong" in response.get_data(as_text=True)


def test_a_stale_confirmation_is_refused(app, commune, session_for):
    client = session_for("officer_a")
    job = checked(app, client, commune, "households", _valid())
    response = client.post(f"/u/{commune}/imports/{job.id}/confirm", data={"version": str(job.lock_version - 1)})
    assert response.status_code == 302
    assert finished(app, job.id).state == "checked" and count(app, Household) == WORLD


def _upload_of(app, job_id: int) -> bytes | None:
    with app.app_context(), system_scope(db.session):
        return db.session.get(ImportJob, job_id).upload


def test_discard_deletes_the_waiting_file(app, commune, session_for):
    client = session_for("officer_a")
    data = _valid()
    job = checked(app, client, commune, "households", data)
    assert _upload_of(app, job.id) == data  # waiting in the job's row, for whichever worker commits it
    assert not (Path(app.config["IMPORTS_DIR"]) / job.stored_name).exists()  # nothing left on a server's disk
    client.post(f"/u/{commune}/imports/{job.id}/discard")
    assert finished(app, job.id).state == "discarded" and _upload_of(app, job.id) is None


def test_a_viewer_cannot_import(app, commune, session_for):
    client = session_for("viewer_a")
    assert client.get(f"/u/{commune}/imports/").status_code == 404
    assert upload(client, commune, "households", _valid()).status_code == 404


# Command line ----------------------------------------------------------------------------------------


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_command_line_import_dry_run_refusals_and_commit(app, commune, tmp_path):
    good = tmp_path / "ho.xlsx"
    good.write_bytes(xlsx([HOUSEHOLD_HEADERS, *households(5)]))
    dry = _cli(app, "import", "households", str(good), "--commune", commune, "--dry-run")
    assert dry.exit_code == 3, dry.output
    assert "5 dòng: 5 thêm mới, 0 cập nhật, 0 không đổi, 0 bị từ chối" in dry.output
    assert count(app, Household) == WORLD
    bad = tmp_path / "ho-loi.xlsx"
    bad.write_bytes(xlsx([HOUSEHOLD_HEADERS, *households(5), ["LM-00001", "Trùng", "Làng Mới", "", 2]]))
    refused = _cli(app, "import", "households", str(bad), "--commune", commune)
    assert refused.exit_code == 1
    assert "dòng 7, Mã hộ: Trùng với dòng 2." in refused.output
    assert count(app, Household) == WORLD
    done = _cli(app, "import", "households", str(good), "--commune", commune)
    assert done.exit_code == 0 and "Đã nhập: 5 thêm mới, 0 cập nhật." in done.output
    assert count(app, Household) == WORLD + 5
    again = _cli(app, "import", "households", str(good), "--commune", commune)
    assert again.exit_code == 3 and count(app, Household) == WORLD + 5
    not_xlsx = tmp_path / "ho.csv"
    not_xlsx.write_text("Mã hộ,Chủ hộ\n")
    assert _cli(app, "import", "households", str(not_xlsx), "--commune", commune).exit_code == 1


def test_a_workbook_that_openpyxl_cannot_read_is_refused_by_its_job(app, commune, session_for):
    """It passes the archive's checks; the reading process refuses it, and says so."""
    client = session_for("officer_a")
    broken = _with_member(_valid(), "xl/workbook.xml", b"<workbook><not-closed>")
    job = checked(app, client, commune, "households", broken)
    assert job.state == "refused" and job.message == "Không đọc được tệp này như một tệp Excel (.xlsx)."
    assert count(app, Household) == WORLD


def test_a_reader_that_dies_half_way_is_never_taken_for_the_end_of_the_sheet():
    import pickle

    from portal.imports.files import FileRefused, _received

    stream = io.BytesIO(pickle.dumps([(2, ("A",)), (3, ("B",))]))  # a batch, then nothing: no end marker
    rows = _received(stream)
    assert [next(rows), next(rows)] == [(2, ("A",)), (3, ("B",))]
    with pytest.raises(FileRefused):
        next(rows)


def test_the_portal_runs_a_bounded_number_of_imports_at_once(app, world, commune, session_for, monkeypatch):
    client = session_for("officer_a")
    waiting = checked(app, client, commune, "households", _valid())
    monkeypatch.setitem(app.config, "IMPORT_MAX_RUNNING", 1)
    _running_job(app, world.unit_id["B"], "committing")  # in another commune
    response = upload(client, commune, "households", _valid())
    assert response.status_code == 503
    assert "nhiều lượt nhập nhất có thể" in response.get_data(as_text=True)
    client.post(f"/u/{commune}/imports/{waiting.id}/confirm", data={"version": str(waiting.lock_version)})
    assert finished(app, waiting.id).state == "checked"  # not started; it can be confirmed later
    page = client.get(f"/u/{commune}/imports/{waiting.id}").get_data(as_text=True)
    assert "nhiều lượt nhập nhất có thể" in page and 'id="confirm-import"' in page


def test_a_file_deleted_after_its_day_asks_to_be_uploaded_again(app, commune, session_for):
    client = session_for("officer_a")
    job = checked(app, client, commune, "households", _valid())
    with app.app_context(), system_scope(db.session):  # a day and more later
        db.session.get(ImportJob, job.id).created_at = clock.utcnow() - timedelta(days=1, minutes=1)
        db.session.commit()
    checked(app, client, commune, "households", _valid())  # the commune's next upload forgets the stale file
    assert _upload_of(app, job.id) is None
    job = confirm(app, client, commune, finished(app, job.id))
    assert job.state == "refused" and "tải lên lại" in job.message
    assert count(app, Household) == WORLD
