"""Reads of personal data leave an audit row before the data is shown; the province answers "what did
this account read between these dates" from them, and sees no person in the answer."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal import clock
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.persons.models import Person
from portal.tenancy.database import owner_engine
from portal.tenancy.guard import system_scope
from portal.villages.models import Village
from tests.world import canary

pytestmark = pytest.mark.clock  # decides on days: CI runs it again either side of Vietnam's midnight


def _reads(app, user_id):
    with app.app_context(), system_scope(db.session):
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == user_id, AuditEvent.action.in_(("read", "export")))
        ).all()


def test_lists_records_and_exports_with_personal_data_are_recorded_and_the_province_sees_them(app, world, session_for):
    officer = session_for("district_1")  # a reader from outside the commune
    code = world.unit_code["A"]
    person_id = world.row_id[(Person, "A")]
    assert canary("A") in officer.get(f"/u/{code}/persons/").get_data(as_text=True)
    officer.get(f"/u/{code}/persons/{person_id}")
    officer.get(f"/u/{code}/persons/export.xlsx")
    officer.get(f"/u/{code}/villages/")  # the village heads' names: a read too
    events = _reads(app, world.user_id["district_1"])
    kinds = sorted((e.action, e.object_type, e.object_id or "") for e in events if e.object_type == "person")
    # the list, the record, the export and the rows the export wrote
    assert kinds == [("export", "person", ""), ("read", "person", ""), ("read", "person", ""),
                     ("read", "person", str(person_id))]  # fmt: skip
    listed = next(e for e in events if e.object_id is None and e.action == "read" and e.object_type == "person")
    assert f"[{person_id}]" in listed.after.replace(" ", "")
    village = world.row_id[(Village, "A")]
    assert any(e.object_type == "village" and f"[{village}]" in e.after.replace(" ", "") for e in events)

    province = session_for("province")
    today = clock.today().strftime("%d/%m/%Y")
    page = province.get(f"/u/38/audit/?user=district_1&from={today}&to={today}").get_data(as_text=True)
    assert page.count("Xã Quang Trung (15085)") >= 4
    assert "Đã xuất" in page and "Xem hồ sơ hoặc danh sách" in page and f"Đối tượng #{person_id}" in page
    assert canary("A") not in page  # the log names records by number, never a person
    yesterday = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    assert "Không có gì trong khoảng thời gian này." in province.get(
        f"/u/38/audit/?user=district_1&from={yesterday}&to={yesterday}"
    ).get_data(as_text=True)


def test_the_access_log_form_says_what_is_wrong(app, world, session_for):
    province = session_for("province")
    response = province.get("/u/38/audit/?user=khong.co&from=31/02/2026&to=01/01/2020")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Không có tài khoản nào có tên đăng nhập này." in page and "dd/mm/yyyy" in page
    assert session_for("district_1").get("/u/38/audit/?user=officer_a").status_code == 404


@pytest.fixture
def audit_fails(app, dialect):
    """The audit table refuses every new row, as a full disk or a broken grant would."""
    with app.app_context(), owner_engine().begin() as connection:
        if dialect == "sqlite":
            connection.execute(
                text("CREATE TRIGGER audit_down BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'down'); END")
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'down'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_down()"
                )
            )
    yield
    with app.app_context(), owner_engine().begin() as connection:
        connection.execute(text("DROP TRIGGER audit_down" + ("" if dialect == "sqlite" else " ON audit_event")))
        if dialect != "sqlite":
            connection.execute(text("DROP FUNCTION audit_down()"))


def test_when_the_read_cannot_be_recorded_the_data_is_not_shown(app, world, session_for, audit_fails, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: the error page
    officer = session_for("district_1")
    code = world.unit_code["A"]
    for path in (
        f"/u/{code}/persons/",
        f"/u/{code}/persons/{world.row_id[(Person, 'A')]}",
        f"/u/{code}/persons/export.xlsx",
    ):
        response = officer.get(path)
        assert response.status_code >= 500, path
        assert canary("A").encode() not in response.data, path
