"""The recognition workflow: the whole walk, every forbidden transition refused (by state, by role, by
unit), frozen submissions that later changes cannot reach, attachments, conflicts, monitoring, and the
documents (PDF text compared, XLSX read back)."""

import io
import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import clock
from portal.auth.models import User
from portal.criteria.models import CommuneResult
from portal.extensions import db
from portal.persons.models import Person, StatusEpisode
from portal.recognition import workflow
from portal.recognition.models import STATES, Attachment, Dossier, DossierEvent, DossierSubmission
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village
from tests.isolation.route_inventory import CRITERIA_CODES, publish_body

A, B, C = "15085", "15076", "15133"
EXPLAINED = {f"explain-{code}": f"Xã đang khắc phục tiêu chí {code}" for code in CRITERIA_CODES}
DECISION = {"decision_number": "125/QĐ-UBND", "decision_on": "01/11/2026", "valid_until": "01/11/2029"}


def _base(code):
    return f"/u/{code}/recognition"


def _start(client, code=A) -> int:
    response = client.post(f"{_base(code)}/new", data={"period": "2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _state(app, dossier_id) -> str:
    with app.app_context(), system_scope(db.session):
        return db.session.get(Dossier, dossier_id).state


def _submit(client, dossier_id, code=A, **extra):
    data = {"comments": "Xã đã rà soát toàn bộ sổ theo dõi.", "then": "submit", **EXPLAINED, **extra}
    return client.post(f"{_base(code)}/{dossier_id}/edit", data=data)


@pytest.mark.clock
def test_the_whole_walk_keeps_every_round_and_transition(app, world, login):
    commune, district, province = login("officer_a"), login("district_1"), login("province")
    dossier_id = _start(commune)
    assert _state(app, dossier_id) == "draft"
    assert _submit(commune, dossier_id).status_code == 302
    assert _state(app, dossier_id) == "submitted"

    inbox = district.get("/inbox").get_data(as_text=True)
    assert "Xã Quang Trung" in inbox and "Hồ sơ cần thẩm định" in inbox
    returned = district.post(
        f"{_base(A)}/{dossier_id}/return",
        data={"comment": "Bổ sung biên bản họp thôn", "remark-C2": "Thiếu cam kết của 3 hộ"},
    )
    assert returned.status_code == 302
    page = commune.get(f"{_base(A)}/{dossier_id}").get_data(as_text=True)
    assert "Bổ sung biên bản họp thôn" in page and "Thiếu cam kết của 3 hộ" in page
    assert "Bị trả lại: sửa và nộp lại" in commune.get("/inbox").get_data(as_text=True)

    assert _submit(commune, dossier_id, comments="Đã bổ sung biên bản.").status_code == 302
    assert district.post(f"{_base(A)}/{dossier_id}/approve", data={"comment": "Đủ điều kiện"}).status_code == 302
    assert province.post(f"{_base(A)}/{dossier_id}/recognise", data=DECISION).status_code == 302

    with app.app_context(), system_scope(db.session):
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.state == "recognised" and dossier.round == 2
        assert [s.round for s in dossier.submissions] == [1, 2]
        assert dossier.submissions[0].snapshot["comments"] == "Xã đã rà soát toàn bộ sổ theo dõi."
        assert dossier.submissions[1].snapshot["comments"] == "Đã bổ sung biên bản."
        assert dossier.decided_submission_id == dossier.submissions[1].id
        assert (dossier.decision_number, dossier.decision_on) == ("125/QĐ-UBND", date(2026, 11, 1))
        steps = [(e.action, e.from_state, e.to_state, e.actor.username) for e in dossier.events]
        assert steps == [
            ("create", None, "draft", "officer_a"),
            ("submit", "draft", "submitted", "officer_a"),
            ("return", "submitted", "returned", "district_1"),
            ("submit", "returned", "submitted", "officer_a"),
            ("approve", "submitted", "approved", "district_1"),
            ("recognise", "approved", "recognised", "province"),
        ]
        assert dossier.events[2].remarks == {"C2": "Thiếu cam kết của 3 hộ"}


def _dossier_in_state(app, world, state) -> int:
    with app.app_context(), system_scope(db.session):
        dossier = db.session.get(Dossier, world.dossier_id["A"])
        dossier.state = state
        db.session.commit()
        return dossier.id


ACTIONS = ("return", "approve", "recognise", "reject", "revoke")
OWNER = {"return": "district_1", "approve": "district_1", "recognise": "province", "reject": "province"}
OWNER["revoke"] = "province"
BODY = {
    "return": {"comment": "Bổ sung"},
    "approve": {},
    "recognise": DECISION,
    "reject": {**DECISION, "comment": "Chưa đạt"},
    "revoke": {"comment": "Phát sinh người nghiện mới"},
}


WRONG_STATES = [(a, s) for a, s in itertools.product(ACTIONS, STATES) if s not in workflow.TRANSITIONS[a].sources]


@pytest.mark.parametrize(("action", "state"), WRONG_STATES)
def test_a_transition_from_a_wrong_state_is_refused_and_changes_nothing(app, world, session_for, action, state):
    dossier_id = _dossier_in_state(app, world, state)
    with app.app_context(), system_scope(db.session):
        events = db.session.scalar(select(func.count(DossierEvent.id)))
    response = session_for(OWNER[action]).post(f"{_base(A)}/{dossier_id}/{action}", data=BODY[action])
    assert response.status_code == 200
    assert "Hồ sơ không ở bước có thể làm việc này." in response.get_data(as_text=True)
    assert _state(app, dossier_id) == state
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(func.count(DossierEvent.id))) == events


@pytest.mark.parametrize("state", [s for s in STATES if s not in ("draft", "returned")])
def test_a_submission_from_a_wrong_state_is_refused(app, world, session_for, state):
    dossier_id = _dossier_in_state(app, world, state)
    response = _submit(session_for("officer_a"), dossier_id)
    assert response.status_code == 200
    assert _state(app, dossier_id) == state


WRONG_ACTORS = {  # by role (the commune cannot approve itself) and by unit (another district's officer)
    "return": ("officer_a", "viewer_a", "province", "admin", "district_2"),
    "approve": ("officer_a", "viewer_a", "province", "admin", "district_2"),
    "recognise": ("officer_a", "viewer_a", "district_1", "admin"),
    "reject": ("officer_a", "viewer_a", "district_1", "admin"),
    "revoke": ("officer_a", "viewer_a", "district_1", "admin"),
}
SOURCE = {"return": "submitted", "approve": "submitted", "recognise": "approved", "reject": "approved"}
SOURCE["revoke"] = "recognised"


@pytest.mark.parametrize(("action", "user"), [(a, u) for a, users in WRONG_ACTORS.items() for u in users])
def test_a_transition_by_the_wrong_role_or_unit_is_404_and_changes_nothing(app, world, session_for, action, user):
    dossier_id = _dossier_in_state(app, world, SOURCE[action])
    response = session_for(user).post(f"{_base(A)}/{dossier_id}/{action}", data=BODY[action])
    assert response.status_code == 404
    assert _state(app, dossier_id) == SOURCE[action]


@pytest.mark.parametrize("user", ["district_1", "viewer_a", "province", "officer_b"])
def test_only_the_communes_officer_prepares_its_dossier(app, world, session_for, user):
    dossier_id = _dossier_in_state(app, world, "draft")
    assert _submit(session_for(user), dossier_id).status_code == 404
    assert session_for(user).post(f"{_base(A)}/new", data={"period": "2026"}).status_code == 404
    assert _state(app, dossier_id) == "draft"


def test_the_workflow_itself_refuses_a_caller_without_the_permission(app, world):
    """Whatever a view checked, the write path checks the actor's permission at the dossier's commune."""
    with app.app_context(), system_scope(db.session):
        dossier = db.session.get(Dossier, world.dossier_id["A"])
        dossier.state = "submitted"
        outsider = db.session.scalar(select(User).where(User.username == "district_2"))
        with pytest.raises(workflow.Refused):
            workflow.transition(outsider, dossier, "approve")
        commune_officer = db.session.scalar(select(User).where(User.username == "officer_a"))
        with pytest.raises(workflow.Refused):
            workflow.transition(commune_officer, dossier, "approve")
        db.session.rollback()


def test_a_failing_criterion_must_be_explained_before_submitting(app, world, login):
    client = login("officer_a")
    dossier_id = _start(client)
    with app.app_context(), system_scope(db.session):
        failing = [
            r.criterion_id for r in db.session.scalars(select(CommuneResult).where(CommuneResult.passed.is_(False)))
        ]
    response = client.post(f"{_base(A)}/{dossier_id}/edit", data={"comments": "Nội dung tôi đã gõ", "then": "submit"})
    assert failing, "the seeded commune fails some criterion"
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Hãy giải trình từng tiêu chí chưa đạt trước khi nộp" in body
    assert "Nội dung tôi đã gõ" in body  # what the user typed is kept
    assert _state(app, dossier_id) == "draft"
    with app.app_context(), system_scope(db.session):
        assert (
            db.session.scalar(
                select(func.count(DossierSubmission.id)).where(DossierSubmission.dossier_id == dossier_id)
            )
            == 0
        )


def test_a_second_open_dossier_is_refused(app, world, login):
    client = login("officer_a")
    _start(client)
    response = client.post(f"{_base(A)}/new", data={"period": "2026"}, follow_redirects=True)
    assert "Xã đã có một hồ sơ đang xử lý." in response.get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(func.count(Dossier.id)).where(Dossier.commune_id == world.unit_id["A"])) == 2


def test_a_stale_form_is_a_conflict_not_an_overwrite(app, world, login):
    client = login("officer_a")
    dossier_id = _start(client)
    with app.app_context(), system_scope(db.session):
        stale = db.session.get(Dossier, dossier_id).lock_version
    client.post(f"{_base(A)}/{dossier_id}/edit", data={"comments": "Bản của người thứ nhất", "lock_version": stale})
    response = client.post(
        f"{_base(A)}/{dossier_id}/edit", data={"comments": "Bản của người thứ hai", "lock_version": stale}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Người khác đã sửa hồ sơ này" in body and "Bản của người thứ hai" in body
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Dossier, dossier_id).comments == "Bản của người thứ nhất"


def _recognise_a(app, world, login) -> int:
    commune, district, province = login("officer_a"), login("district_1"), login("province")
    dossier_id = _start(commune)
    commune.post(
        f"{_base(A)}/{dossier_id}/attachments", data={"file": (io.BytesIO(b"%PDF-1.4 minutes"), "bien-ban.pdf")}
    )
    assert _submit(commune, dossier_id).status_code == 302
    assert district.post(f"{_base(A)}/{dossier_id}/approve").status_code == 302
    assert province.post(f"{_base(A)}/{dossier_id}/recognise", data=DECISION).status_code == 302
    return dossier_id


def _pdf_text(data: bytes) -> str:
    """The text of every page, with line breaks and spacing folded to single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.mark.clock
def test_a_recognised_snapshot_does_not_change_when_registers_or_criteria_change(app, world, login):
    dossier_id = _recognise_a(app, world, login)
    province = login("province")
    with app.app_context(), system_scope(db.session):
        before = json.dumps(db.session.get(Dossier, dossier_id).decided_submission.snapshot, sort_keys=True)
    pdf_before = _pdf_text(province.get(f"{_base(A)}/{dossier_id}/decision.pdf").data)
    officer = login("officer_a")
    for _ in range(3):  # new addicts without treatment: C1 now counts them
        response = officer.post(
            f"/u/{A}/persons/",
            data={
                "full_name": "Người Mới",
                "born_on": "01/01/1990",
                "sex": "male",
                "village_id": world.row_id[(Village, "A")],
            },
        )
        assert response.status_code == 302
    with app.app_context(), system_scope(db.session):
        person = db.session.scalar(select(Person).where(Person.full_name == "Người Mới"))
        db.session.add(
            StatusEpisode(commune_id=person.commune_id, person_id=person.id, kind="addict", started_on=clock.today())
        )
        db.session.commit()
    assert province.post("/u/38/criteria/new", data=publish_body(**{"c-0-threshold": "0.99"})).status_code == 302
    with app.app_context(), system_scope(db.session):
        after = json.dumps(db.session.get(Dossier, dossier_id).decided_submission.snapshot, sort_keys=True)
    assert after == before
    assert _pdf_text(province.get(f"{_base(A)}/{dossier_id}/decision.pdf").data) == pdf_before


@pytest.mark.clock
def test_the_pdfs_carry_the_official_layout_in_vietnamese(app, world, login):
    dossier_id = _recognise_a(app, world, login)
    district = login("district_1")
    decision = district.get(f"{_base(A)}/{dossier_id}/decision.pdf")
    assert decision.mimetype == "application/pdf"
    text = _pdf_text(decision.data)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN TỈNH THANH HÓA",
        "Số: 125/QĐ-UBND",
        "Thanh Hóa, ngày 01 tháng 11 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc công nhận Xã Quang Trung, Huyện Ngọc Lặc đạt tiêu chí xã không ma túy",
        "01/11/2029",
        "Nơi nhận:",
    ):
        assert expected in text, expected
    dossier = _pdf_text(district.get(f"{_base(A)}/{dossier_id}/dossier.pdf").data)
    for expected in ("BÁO CÁO TỰ ĐÁNH GIÁ", "Xã Quang Trung", "Giải trình: Xã đang khắc phục", "bien-ban.pdf"):
        assert expected in dossier, expected


@pytest.mark.clock
def test_a_broken_recognised_commune_is_flagged_with_the_date_then_revoked(app, world, login):
    dossier_id = _recognise_a(app, world, login)
    broke_on = clock.today() - timedelta(days=3)
    with app.app_context(), system_scope(db.session):
        results = db.session.scalars(select(CommuneResult).where(CommuneResult.commune_id == world.unit_id["A"])).all()
        for result in results:
            result.passed, result.failing_since = True, None
        results[0].passed, results[0].failing_since = False, broke_on
        db.session.commit()
    flag = f"Không đạt từ {broke_on:%d/%m/%Y}"
    province, district = login("province"), login("district_1")
    assert flag in province.get("/u/38/").get_data(as_text=True)
    assert flag in district.get("/u/389/").get_data(as_text=True)
    assert "Xã đã được công nhận nay không đạt một tiêu chí" in province.get("/inbox").get_data(as_text=True)
    response = province.post(f"{_base(A)}/{dossier_id}/revoke", data={"comment": "Phát sinh người nghiện mới"})
    assert response.status_code == 302
    assert _state(app, dossier_id) == "revoked"
    assert flag not in province.get("/u/38/").get_data(as_text=True)
    # re-assessment starts a new dossier
    assert _start(login("officer_a")) != dossier_id


@pytest.mark.clock
def test_a_commune_result_remembers_when_it_broke(app, world, login):
    """failing_since is set when a criterion goes from met to not met, and cleared when it is met again."""
    from portal.criteria.results import refresh_commune

    with app.app_context(), system_scope(db.session):
        refresh_commune(world.unit_id["A"])
        db.session.commit()
        rows = db.session.scalars(select(CommuneResult).where(CommuneResult.commune_id == world.unit_id["A"])).all()
        assert all((r.failing_since is None) == r.passed for r in rows)
        for r in rows:
            if not r.passed:
                r.passed, r.failing_since = True, None  # as if it had been met until now
        db.session.commit()
        refresh_commune(world.unit_id["A"])
        db.session.commit()
        assert all(r.failing_since == clock.today() for r in db.session.scalars(select(CommuneResult)) if not r.passed)


def test_attachments_are_type_checked_size_limited_and_stored_under_server_names(app, world, login, monkeypatch):
    # a small limit: the test client spools bodies over 500 KB to a temporary file it never closes
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 300 * 1024)
    client = login("officer_a")
    dossier_id = _start(client)
    url = f"{_base(A)}/{dossier_id}/attachments"
    fake = client.post(url, data={"file": (io.BytesIO(b"MZ\x90\x00 not a scan"), "bien-ban.pdf")})
    assert fake.status_code == 200 and "Chỉ nhận bản quét PDF, PNG hoặc JPEG." in fake.get_data(as_text=True)
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    big = client.post(url, data={"file": (io.BytesIO(b"%PDF-" + b"0" * limit), "lon.pdf")})
    assert big.status_code == 200 and "Tệp lớn hơn 0,3 MB." in big.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert client.post(url, data={"file": (io.BytesIO(png), "../../etc/ảnh biên bản.png")}).status_code == 302
    with app.app_context(), system_scope(db.session):
        stored = db.session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id)).all()
    assert len(stored) == 1
    attachment = stored[0]
    assert attachment.original_name == "ảnh biên bản.png" and attachment.content_type == "image/png"
    assert attachment.stored_name.endswith(".png") and len(attachment.stored_name) == 36
    path = Path(app.config["ATTACHMENTS_DIR"]) / attachment.stored_name
    assert path.read_bytes() == png
    assert not str(path.resolve()).startswith(str(Path(app.static_folder).resolve()))
    download = client.get(f"{url}/{attachment.id}")
    assert download.data == png and "attachment;" in download.headers["Content-Disposition"]
    # a viewer of another commune, or anyone naming the file through another dossier, gets nothing
    assert login("officer_b").get(f"{url}/{attachment.id}").status_code == 404
    assert client.get(f"{_base(A)}/{world.dossier_id['A']}/attachments/{attachment.id}").status_code == 404


def test_a_file_written_for_a_failed_transaction_is_removed(app, world):
    files = lambda: set(Path(app.config["ATTACHMENTS_DIR"]).iterdir())  # noqa: E731
    with app.test_request_context(), system_scope(db.session):
        officer = db.session.scalar(select(User).where(User.username == "officer_a"))
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.code == A))
        dossier = workflow.start(officer, commune, "2026")
        db.session.commit()
        before = files()
        workflow.add_attachment(officer, dossier, "scan.pdf", b"%PDF-1.4 x")
        assert len(files()) == len(before) + 1
        db.session.rollback()
        assert files() == before


def test_the_recognised_list_is_a_real_xlsx_with_formulas_quoted(app, world, login):
    with app.app_context(), system_scope(db.session):
        dossier = db.session.get(Dossier, world.dossier_id["B"])
        dossier.decision_number = '=HYPERLINK("http://x")'
        db.session.commit()
    response = login("province").get("/u/38/recognition/recognised.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Đơn vị cấp huyện", "Mã", "Xã, phường")
    by_code = {r[1]: r for r in rows[1:]}
    assert set(by_code) == {A, B, C}
    assert by_code[B][4] == '\'=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=6).number_format == "DD/MM/YYYY"
    district = load_workbook(io.BytesIO(login("district_1").get("/u/389/recognition/recognised.xlsx").data)).active
    assert {r[1] for r in list(district.iter_rows(values_only=True))[1:]} == {A, B}


def test_the_menu_counts_what_waits(app, world, login):
    """Every page's menu asks for the count after it is shown (htmx); the count is what waits for this user."""
    commune, district = login("officer_a"), login("district_1")
    menu = commune.get("/inbox").get_data(as_text=True)
    assert 'id="nav-inbox">Việc cần làm<span hx-get="/inbox/waiting" hx-trigger="load"' in menu
    dossier_id = _start(commune)
    assert '<span class="count"' in commune.get("/inbox/waiting").get_data(as_text=True)  # a draft to finish
    assert 'class="count"' not in district.get("/inbox/waiting").get_data(as_text=True)
    _submit(commune, dossier_id)
    waiting = district.get("/inbox/waiting").get_data(as_text=True)
    assert '<span class="count" aria-label="1 việc đang chờ">1</span>' in waiting
    assert 'class="count"' not in login("district_2").get("/inbox/waiting").get_data(as_text=True)


def test_a_frozen_dossier_names_no_person(app, world, login):
    """Villages and models by name, everything else as counts: no person, household or suspect."""
    officer = login("officer_a")
    village = world.row_id[(Village, "A")]
    officer.post(
        f"/u/{A}/persons/",
        data={"full_name": "Người Bí Mật Ẩn Danh", "born_on": "01/01/1990", "sex": "male", "village_id": village},
    )
    officer.post(
        f"/u/{A}/households/",
        data={"code": "HH-SECRET", "representative_name": "Chủ Hộ Kín Tên", "village_id": village, "members": "3"},
    )
    dossier_id = _start(officer)
    assert _submit(officer, dossier_id).status_code == 302
    with app.app_context(), system_scope(db.session):
        frozen = json.dumps(db.session.get(Dossier, dossier_id).latest_submission.snapshot, ensure_ascii=False)
    assert "Người Bí Mật Ẩn Danh" not in frozen and "Chủ Hộ Kín Tên" not in frozen and "HH-SECRET" not in frozen
    assert "CANARY-A-1X" in frozen  # the village's name is there: the check above is not vacuous


def test_a_district_officer_opening_a_persons_record_writes_a_read_audit_row(app, world, login):
    from portal.audit.models import AuditEvent

    person_id = world.row_id[(Person, "A")]
    district = login("district_1")
    assert district.get(f"/u/{A}/persons/{person_id}").status_code == 200
    with app.app_context(), system_scope(db.session):
        reads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.object_type == "person")
        ).all()
    assert [(r.user.username, r.object_type, r.object_id, r.unit_id) for r in reads] == [
        ("district_1", "person", str(person_id), world.unit_id["A"])
    ]
    assert district.get(f"/u/{A}/persons/{person_id}").status_code == 200  # every look, not the first only
    with app.app_context(), system_scope(db.session):
        person_reads = select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "read", AuditEvent.object_type == "person"
        )
        assert db.session.scalar(person_reads) == 2


# Who appraises (issue 16): the province's setting ------------------------------------------------------


def test_by_default_the_provincial_police_appraise_and_the_decision_names_who_did(app, world, login, monkeypatch):
    from portal.recognition import appraisal

    monkeypatch.setattr(appraisal, "plan_settings", lambda code: {})  # a province that says nothing
    commune, district, province = login("officer_a"), login("district_1"), login("province")
    dossier_id = _start(commune)
    assert _submit(commune, dossier_id).status_code == 302
    assert "Hồ sơ cần thẩm định" not in district.get("/inbox").get_data(as_text=True)
    assert "Hồ sơ cần thẩm định" in province.get("/inbox").get_data(as_text=True)
    assert district.post(f"{_base(A)}/{dossier_id}/approve", data={}).status_code == 404
    assert _state(app, dossier_id) == "submitted"
    assert province.post(f"{_base(A)}/{dossier_id}/approve", data={"comment": "Đủ điều kiện"}).status_code == 302
    assert province.post(f"{_base(A)}/{dossier_id}/recognise", data=DECISION).status_code == 302
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Dossier, dossier_id).appraised_by == "Công an tỉnh Thanh Hóa"
    text = _pdf_text(province.get(f"{_base(A)}/{dossier_id}/decision.pdf").data)
    assert "ý kiến thẩm định của Công an tỉnh Thanh Hóa" in " ".join(text.split())


def test_a_dossier_appraised_by_district_police_before_the_reform_keeps_them_in_its_decision(app, world, login):
    text = _pdf_text(login("province").get(f"{_base(A)}/{world.dossier_id['A']}/decision.pdf").data)
    assert "ý kiến thẩm định của Công an huyện Ngọc Lặc" in " ".join(text.split())
