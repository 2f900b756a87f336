"""The commune registers through HTTP: validation messages, histories, due list, missed cases, masking."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.persons.models import Person, StatusEpisode
from portal.tenancy.guard import system_scope
from portal.villages.models import HouseholdCommitment, Village

pytestmark = pytest.mark.clock  # decides on days: CI runs it again either side of Vietnam's midnight

A = "15085"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _person_body(world, **extra):
    body = {
        "full_name": "Lường Văn Pản",
        "born_on": "01/05/1990",
        "sex": "male",
        "cccd": "038090777777",
        "village_id": world.row_id[(Village, "A")],
        "household_code": "",
        "address": "",
        "notes": "",
    }
    body.update(extra)
    return body


def _episode_body(person_id, kind, start, **extra):
    body = {
        "person_id": person_id,
        "kind": kind,
        "started_on": day(start),
        "term_months": "",
        "post_rehab_after": "",
        "ended_on": "",
        "end_reason": "",
        "decision_number": "",
        "decision_on": "",
        "decision_signer": "",
        "notes": "",
    }
    body.update({k: (day(v) if isinstance(v, date) else v) for k, v in extra.items()})
    return body


def _due_rows(client, kind) -> str:
    page = client.get(f"/u/{A}/due/?kind={kind}").get_data(as_text=True)
    return page[page.index('id="due-list"') : page.index("</table>", page.index('id="due-list"'))]


def _errors(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', response.get_data(as_text=True)))


def _new_person(app, client, world, **extra) -> int:
    response = client.post(f"/u/{A}/persons/", data=_person_body(world, **extra))
    assert response.status_code == 302, _errors(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _count(app, model, **filters):
    with app.app_context(), system_scope(db.session):
        return len(db.session.scalars(select(model).filter_by(**filters)).all())


def test_a_person_with_a_wrong_cccd_is_refused_with_the_reason_then_saved_once_fixed(app, world, login):
    client = login("officer_a")
    wrong = client.post(f"/u/{A}/persons/", data=_person_body(world, cccd="038190777777"))
    assert wrong.status_code == 200
    assert "Chữ số thứ tư (1) dành cho nữ, nhưng người này là nam." in _errors(wrong)
    assert 'value="Lường Văn Pản"' in wrong.get_data(as_text=True)  # nothing typed is lost
    assert _count(app, Person, full_name="Lường Văn Pản") == 0
    _new_person(app, client, world)
    duplicate = client.post(f"/u/{A}/persons/", data=_person_body(world, full_name="Người Khác"))
    assert "Số CCCD này đã được ghi nhận cho Lường Văn Pản." in _errors(duplicate)


def test_an_episode_gets_its_legal_end_and_overlaps_are_refused(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    start = clock.today() - timedelta(days=100)
    ok = client.post(f"/u/{A}/episodes/", data=_episode_body(person, "user_managed", start))
    assert ok.status_code == 302, _errors(ok)
    with app.app_context(), system_scope(db.session):
        episode = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == person))
        assert episode.legal_end_on == start.replace(year=start.year + 1)
    overlap = client.post(
        f"/u/{A}/episodes/", data=_episode_body(person, "rehab_home", start + timedelta(days=10), term_months="6")
    )
    assert "Trùng thời gian với “Người sử dụng trái phép chất ma túy đang bị quản lý”" in _errors(overlap)
    addict = client.post(f"/u/{A}/episodes/", data=_episode_body(person, "addict", start + timedelta(days=20)))
    assert "một người không thể đồng thời ở cả hai tình trạng" in _errors(addict)
    backwards = client.post(
        f"/u/{A}/episodes/",
        data=_episode_body(person, "released_offender", start, ended_on=start - timedelta(days=1), end_reason="other"),
    )
    assert "Ngày kết thúc không được trước ngày bắt đầu." in _errors(backwards)
    no_term = client.post(f"/u/{A}/episodes/", data=_episode_body(person, "rehab_facility", start.replace(year=2020)))
    assert "Hãy nhập thời hạn theo quyết định." in _errors(no_term)
    bad_term = client.post(
        f"/u/{A}/episodes/",
        data=_episode_body(
            person,
            "rehab_compulsory",
            date(2026, 7, 1) if clock.today() >= date(2026, 7, 1) else start,
            term_months="18",
        ),
    )
    assert "thời hạn là" in _errors(bad_term)
    assert _count(app, StatusEpisode, person_id=person) == 1


def test_after_the_management_ends_a_new_one_may_start(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    first = date(2024, 1, 10)
    client.post(
        f"/u/{A}/episodes/",
        data=_episode_body(person, "user_managed", first, ended_on=date(2025, 1, 10), end_reason="term_completed"),
    )
    again = client.post(f"/u/{A}/episodes/", data=_episode_body(person, "addict", date(2025, 2, 1)))
    assert again.status_code == 302, _errors(again)
    page = client.get(f"/u/{A}/persons/{person}").get_data(as_text=True)
    assert "Người nghiện ma túy" in page and "Người nghiện chưa cai nghiện hoặc điều trị methadone" in page  # due next


def test_the_current_situation_is_derived_from_the_episodes(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    client.post(
        f"/u/{A}/episodes/",
        data=_episode_body(person, "prison", date(2020, 1, 1), ended_on=date(2024, 1, 1), end_reason="released"),
    )
    client.post(f"/u/{A}/episodes/", data=_episode_body(person, "released_offender", date(2024, 1, 1)))
    listing = client.get(f"/u/{A}/persons/?situation=released_offender").get_data(as_text=True)
    assert "Lường Văn Pản" in listing
    assert "Lường Văn Pản" not in client.get(f"/u/{A}/persons/?situation=prison").get_data(as_text=True)


def test_a_positive_test_from_another_body_of_someone_on_no_list_is_a_missed_case_until_registered(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    test = {
        "person_id": person,
        "lead_id": "",
        "tested_on": day(clock.today() - timedelta(days=2)),
        "reason": "found_using",
        "sample": "urine",
        "result": "positive",
        "found_by": "commune",
    }
    assert client.post(f"/u/{A}/tests/", data=test).status_code == 302
    assert _count(app, MissedCase, person_id=person) == 0  # the commune's own finding: not a miss yet
    assert client.post(f"/u/{A}/tests/", data={**test, "found_by": "hospital"}).status_code == 302
    assert _count(app, MissedCase, person_id=person, resolved_on=None, reason="found_elsewhere") == 1
    assert "Lường Văn Pản" in _due_rows(client, "missed_case")
    client.post(f"/u/{A}/episodes/", data=_episode_body(person, "user_managed", clock.today()))
    with app.app_context(), system_scope(db.session):
        case = db.session.scalar(select(MissedCase).where(MissedCase.person_id == person))
        assert case.resolved_on == clock.today()
    assert "Lường Văn Pản" not in _due_rows(client, "missed_case")


def test_a_positive_test_of_a_managed_user_is_not_a_missed_case(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    client.post(f"/u/{A}/episodes/", data=_episode_body(person, "user_managed", clock.today() - timedelta(days=30)))
    client.post(
        f"/u/{A}/tests/",
        data={
            "person_id": person,
            "lead_id": "",
            "tested_on": day(clock.today()),
            "reason": "under_management",
            "sample": "urine",
            "result": "positive",
        },
    )
    assert _count(app, MissedCase, person_id=person) == 0


def test_the_due_list_follows_the_registers(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    # management ending in 20 days: due soon
    client.post(f"/u/{A}/episodes/", data=_episode_body(person, "user_managed", clock.today() - timedelta(days=345)))
    assert "Lường Văn Pản" in _due_rows(client, "period_ending")
    # a suspect listed 10 days ago and not tested: overdue, until a test answers it
    suspect = _new_person(app, client, world, full_name="Đinh Văn Khả", cccd="038095000111", born_on="01/01/1995")
    client.post(
        f"/u/{A}/suspects/",
        data={"person_id": suspect, "ground": "e", "listed_on": day(clock.today() - timedelta(days=10)), "source": ""},
    )
    rows = _due_rows(client, "not_tested")
    assert "Đinh Văn Khả" in rows and "Quá hạn" in rows and "Lường Văn Pản" not in rows
    with app.app_context(), system_scope(db.session):
        lead = db.session.scalar(select(SuspicionLead).where(SuspicionLead.person_id == suspect)).id
    client.post(
        f"/u/{A}/tests/",
        data={
            "person_id": suspect,
            "lead_id": lead,
            "tested_on": day(clock.today()),
            "reason": "suspected",
            "sample": "urine",
            "result": "negative",
        },
    )
    assert "Đinh Văn Khả" not in _due_rows(client, "not_tested")


def test_an_addict_without_treatment_is_due_until_treatment_starts(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    start = clock.today() - timedelta(days=9)
    client.post(f"/u/{A}/episodes/", data=_episode_body(person, "addict", start))
    assert "Lường Văn Pản" in _due_rows(client, "no_treatment")
    client.post(
        f"/u/{A}/episodes/", data=_episode_body(person, "rehab_home", start + timedelta(days=3), term_months="6")
    )
    assert "Lường Văn Pản" not in _due_rows(client, "no_treatment")


def test_a_test_cannot_answer_another_persons_suspicion(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    other_lead = world.row_id[(SuspicionLead, "A")]  # belongs to the seeded person of commune A
    response = client.post(
        f"/u/{A}/tests/",
        data={
            "person_id": person,
            "lead_id": other_lead,
            "tested_on": day(clock.today()),
            "reason": "suspected",
            "sample": "urine",
            "result": "negative",
        },
    )
    assert "Lần lập danh sách này là của người khác." in _errors(response)
    assert _count(app, DrugTest, person_id=person) == 0


def test_household_commitments(app, world, login):
    client = login("officer_a")
    body = {"household_code": "HH-A", "campaign": "2026", "signed_on": "", "signer_name": "", "refusal_reason": ""}
    missing_date = client.post(f"/u/{A}/household-commitments/", data=body)
    assert "Hãy nhập ngày ký, hoặc đánh dấu “Không ký cam kết”." in _errors(missing_date)
    refused = client.post(f"/u/{A}/household-commitments/", data={**body, "refused": "y"})
    assert "Hãy ghi lý do hộ không ký." in _errors(refused)
    unknown = client.post(
        f"/u/{A}/household-commitments/", data={**body, "household_code": "HH-C", "signed_on": "01/02/2026"}
    )
    assert "Không có hộ nào của xã mang mã này." in _errors(unknown)  # another commune's household
    ok = client.post(f"/u/{A}/household-commitments/", data={**body, "signed_on": "01/02/2026"})
    assert ok.status_code == 302
    again = client.post(f"/u/{A}/household-commitments/", data={**body, "signed_on": "02/02/2026"})
    assert "Hộ này đã có cam kết trong đợt này." in _errors(again)
    assert _count(app, HouseholdCommitment, campaign="2026") == 1
    future = client.post(
        f"/u/{A}/household-commitments/",
        data={**body, "campaign": "2027", "signed_on": day(clock.today() + timedelta(days=3))},
    )
    assert "Ngày này ở tương lai." in _errors(future)
    typo = client.post(f"/u/{A}/household-commitments/", data={**body, "campaign": "2027", "signed_on": "31/02/2026"})
    assert "Hãy nhập ngày theo dạng dd/mm/yyyy" in _errors(typo)


def test_viewers_see_initials_and_no_identity_numbers(app, world, login):
    viewer = login("viewer_a")
    person_id = world.row_id[(Person, "A")]
    listing = viewer.get(f"/u/{A}/persons/").get_data(as_text=True)
    assert "N.V.C." in listing and "Nguyễn Văn CANARY" not in listing and "038090000001" not in listing
    page = viewer.get(f"/u/{A}/persons/{person_id}").get_data(as_text=True)
    assert "Nguyễn Văn CANARY" not in page and "038090000001" not in page and "1990" in page
    assert "Nhà CANARY-A-2X" not in page  # the address
    assert 'type="search"' not in listing  # no name search, which would reveal who is registered
    tests = viewer.get(f"/u/{A}/tests/").get_data(as_text=True)
    assert "Dương tính" not in tests  # results are health data: neither shown nor filterable
    assert "Dương tính" not in viewer.get(f"/u/{A}/tests/?result=positive").get_data(as_text=True)
    assert "N.V.C." in viewer.get(f"/u/{A}/tests/?result=negative").get_data(as_text=True)  # filter ignored
    officer = login("officer_a").get(f"/u/{A}/persons/{person_id}").get_data(as_text=True)
    assert "Nguyễn Văn CANARY-A-1X" in officer and "038090000001" in officer


def test_history_names_referenced_rows_not_ids(app, world, login):
    client = login("officer_a")
    person = _new_person(app, client, world)
    page = client.get(f"/u/{A}/persons/{person}").get_data(as_text=True)
    assert "Thôn CANARY-A-1X" in page  # the village by name, in the facts and in the history
    assert "Thêm mới" in page


def test_lists_page_sort_and_filter(app, world, login):
    client = login("officer_a")
    for n in range(55):
        client.post(
            f"/u/{A}/villages/",
            data={"name": f"Thôn số {n:02d}", "kind": "village"},
            headers={"HX-Request": "true", "HX-Target": "register-editor"},
        )
    first = client.get(f"/u/{A}/villages/?sort=name").get_data(as_text=True)
    assert "Thôn số 00" in first and "Thôn số 54" not in first and "Trang 1 / 2" in first
    second = client.get(f"/u/{A}/villages/?sort=name&page=2").get_data(as_text=True)
    assert "Thôn số 54" in second
    descending = client.get(f"/u/{A}/villages/?sort=-name").get_data(as_text=True)
    assert descending.index("Thôn số 54") < descending.index("Thôn số 53")
    groups = client.get(f"/u/{A}/villages/?kind=residential_group").get_data(as_text=True)
    assert "Thôn số 00" not in groups


def test_viewers_see_that_a_suspect_was_tested_but_not_the_result(app, world, login):
    viewer = login("viewer_a").get(f"/u/{A}/suspects/").get_data(as_text=True)
    assert "Xét nghiệm ngày 03/05/2025" in viewer and "Dương tính" not in viewer
    officer = login("officer_a").get(f"/u/{A}/suspects/").get_data(as_text=True)
    assert "Xét nghiệm ngày 03/05/2025: Dương tính" in officer
