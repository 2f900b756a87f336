"""The case as the law runs it, through the web forms: working-day deadlines, the management procedure
(Form 07, monthly checks and tests, determination, Form 09/10), rehab terms by age and by date, post-rehab
(Forms 50/51/54, unreported absences) and the official forms as PDF."""

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal import clock
from portal.cases.models import Absence
from portal.extensions import db
from portal.persons.legal_terms import add_months
from portal.persons.models import StatusEpisode
from portal.tenancy.guard import system_scope
from portal.villages.models import Village
from portal.working_days import add_working_days

pytestmark = pytest.mark.clock  # decides on days: CI runs it again either side of Vietnam's midnight

A = "15085"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def errors_of(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', response.get_data(as_text=True)))


def new_person(client, world, name="Lò Văn Sáng", born="03/04/1992", cccd="038092555555", commune=A, key="A"):
    body = {
        "full_name": name,
        "born_on": born,
        "sex": "male",
        "cccd": cccd,
        "village_id": world.row_id[(Village, key)],
        "household_code": "",
        "address": "Bản Na Khà",
        "notes": "",
    }
    response = client.post(f"/u/{commune}/persons/", data=body)
    assert response.status_code == 302, errors_of(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def add_episode(client, person, kind, start, commune=A, **extra):
    body = {
        "person_id": person,
        "kind": kind,
        "started_on": day(start),
        "term_months": "",
        "post_rehab_after": "",
        "held_at": "",
        "treatment_phase": "",
        "ended_on": "",
        "end_reason": "",
        "decision_number": "",
        "decision_on": "",
        "decision_signer": "",
        "decision_body": "",
        "end_decision_number": "",
        "end_decision_on": "",
        "notes": "",
    }
    body.update({k: (day(v) if isinstance(v, date) else v) for k, v in extra.items()})
    return client.post(f"/u/{commune}/episodes/", data=body)


def add_test(client, person, tested_on, result="positive", reason="found_using", commune=A):
    response = client.post(
        f"/u/{commune}/tests/",
        data={
            "person_id": person,
            "lead_id": "",
            "tested_on": day(tested_on),
            "reason": reason,
            "sample": "urine",
            "result": result,
            "found_by": "commune",
        },
    )
    assert response.status_code == 302, errors_of(response)


def due_group(client, kind, commune=A) -> str:
    page = client.get(f"/u/{commune}/due/?kind={kind}").get_data(as_text=True)
    return page[page.index('id="due-list"') : page.index("</table>", page.index('id="due-list"'))]


def episode_of(app, person, kind) -> StatusEpisode:
    with app.app_context(), system_scope(db.session):
        return db.session.scalar(
            select(StatusEpisode).where(StatusEpisode.person_id == person, StatusEpisode.kind == kind)
        )


def absence_of(app, person, reported: bool) -> int:
    with app.app_context(), system_scope(db.session):
        return db.session.scalar(select(Absence.id).where(Absence.person_id == person, Absence.reported.is_(reported)))


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages).split())


# Working days ------------------------------------------------------------------------------------------


def test_working_days_skip_weekends_tet_and_national_day():
    # Tết Bính Ngọ 2026: Monday 16 to Friday 20 February off, with the weekends either side
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    # Tết Đinh Mùi 2027: Thursday 4 to Wednesday 10 February off
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert add_working_days(date(2027, 2, 3), 5) == date(2027, 2, 17)
    # 2 September 2026: Monday 31 August (moved), Tuesday 1 and Wednesday 2 September off
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    # 2 September 2027: Thursday 2 and Friday 3 September off
    assert add_working_days(date(2027, 9, 1), 1) == date(2027, 9, 6)
    # a day the province gives off by decision counts too
    assert add_working_days(date(2026, 8, 28), 1, days_off=[date(2026, 9, 3)]) == date(2026, 9, 4)
    # an ordinary week: Friday + 3 working days is Wednesday
    assert add_working_days(date(2026, 10, 9), 3) == date(2026, 10, 14)


# Rehab terms by age and date ----------------------------------------------------------------------------


def test_a_minors_six_month_compulsory_term_and_a_36_month_repeat_from_july_2026(app, world, login):
    client = login("officer_a")
    minor = new_person(client, world, name="Lò Văn Nhỏ", born="10/02/2010", cccd="038210555555")
    start = date(2026, 8, 3)
    accepted = add_episode(client, minor, "rehab_compulsory", start, term_months="6")
    assert accepted.status_code == 302, errors_of(accepted)
    assert episode_of(app, minor, "rehab_compulsory").legal_end_on == date(2027, 2, 3)
    assert episode_of(app, minor, "rehab_compulsory").decision_body == "Tòa án nhân dân khu vực"

    adult = new_person(client, world)
    refused = add_episode(client, adult, "rehab_compulsory", start, term_months="36")
    assert refused.status_code == 200
    assert "Với tình trạng này, thời hạn là 24 tháng." in errors_of(refused)
    assert 'value="36"' in refused.get_data(as_text=True)  # what was typed is kept
    repeat = add_episode(client, adult, "rehab_compulsory", start, term_months="36", repeat_treatment="y")
    assert repeat.status_code == 302, errors_of(repeat)
    assert episode_of(app, adult, "rehab_compulsory").legal_end_on == date(2029, 8, 3)


def test_days_waiting_at_a_facility_count_toward_the_compulsory_term(app, world, login):
    client = login("officer_a")
    person = new_person(client, world)
    wait = add_episode(
        client,
        person,
        "awaiting_compulsory",
        date(2026, 7, 1),
        held_at="facility",
        ended_on=date(2026, 7, 21),
        end_reason="compulsory_rehab",
    )
    assert wait.status_code == 302, errors_of(wait)
    rehab = add_episode(client, person, "rehab_compulsory", date(2026, 7, 21), term_months="24")
    assert rehab.status_code == 302, errors_of(rehab)
    assert episode_of(app, person, "rehab_compulsory").legal_end_on == date(2028, 7, 1)  # 20 days served


def test_waiting_needs_where_the_person_is_held(world, login):
    client = login("officer_a")
    person = new_person(client, world)
    refused = add_episode(client, person, "awaiting_compulsory", date(2026, 7, 1))
    assert "Hãy cho biết gia đình hay cơ sở cai nghiện quản lý người này trong thời gian chờ quyết định." in errors_of(
        refused
    )


# The management procedure ------------------------------------------------------------------------------


def test_management_from_the_positive_test_to_the_stop_for_addiction(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = new_person(client, world)
    found = today - timedelta(days=70)
    add_test(client, person, found)
    group = due_group(client, "management_decision")
    assert "Lò Văn Sáng" in group and day(add_working_days(found, 9)) in group and "Nghị định 105/2021/NĐ-CP" in group

    # Form 07 with its team: the step is done; the monthly check and test are due (overdue: 70 days)
    decided = found + timedelta(days=5)
    made = add_episode(
        client,
        person,
        "user_managed",
        decided,
        decision_number="12/QĐ-UBND",
        decision_on=decided,
        decision_signer="Hà Văn Chủ",
    )
    assert made.status_code == 302, errors_of(made)
    episode = episode_of(app, person, "user_managed")
    for role, name in (("leader", "Trung tá Lê Văn Tổ"), ("deputy", "Ông Lò Văn Thôn"), ("member", "Bà Lò Thị Mẹ")):
        response = client.post(
            f"/u/{A}/team-members/",
            data={
                "episode_id": episode.id,
                "role": role,
                "full_name": name,
                "position": "",
                "mentor": "y" if role == "member" else "",
            },
        )
        assert response.status_code == 302, errors_of(response)
    second_leader = client.post(
        f"/u/{A}/team-members/",
        data={"episode_id": episode.id, "role": "leader", "full_name": "Ông Thừa", "position": ""},
    )
    assert "Tổ quản lý này đã có Tổ trưởng." in errors_of(second_leader)
    assert "Lò Văn Sáng" not in due_group(client, "management_decision")
    assert day(add_months(decided, 1)) in due_group(client, "monthly_check")
    assert day(add_months(decided, 1)) in due_group(client, "periodic_test")

    # two monthly checks: the next one falls due a month after the last
    for checked in (add_months(decided, 1), add_months(decided, 2)):
        response = client.post(
            f"/u/{A}/residence-checks/", data={"person_id": person, "checked_on": day(checked), "outcome": "present"}
        )
        assert response.status_code == 302, errors_of(response)
    assert day(add_months(decided, 1)) not in due_group(client, "monthly_check")

    # a positive re-test during the term asks for a determination
    retest = today - timedelta(days=6)
    add_test(client, person, retest, reason="under_management")
    assert day(add_working_days(retest, 3)) in due_group(client, "determination")
    response = client.post(
        f"/u/{A}/determinations/",
        data={
            "person_id": person,
            "test_id": "",
            "requested_on": day(retest + timedelta(days=1)),
            "facility": "Bệnh viện Tâm thần tỉnh",
            "doctor": "",
            "result_on": day(retest + timedelta(days=3)),
            "result": "addicted",
        },
    )
    assert response.status_code == 302, errors_of(response)
    assert "Lò Văn Sáng" not in due_group(client, "determination")
    found_addicted = retest + timedelta(days=3)
    assert day(add_working_days(found_addicted, 3)) in due_group(client, "stop_management")
    assert day(add_working_days(found_addicted, 5)) in due_group(client, "no_treatment")

    # Form 09: management stops; the PDFs name the person, the decision and its day
    stopped = found_addicted + timedelta(days=1)
    response = client.post(
        f"/u/{A}/episodes/{episode.id}",
        data={
            "version": episode_of(app, person, "user_managed").version,
            "person_id": person,
            "kind": "user_managed",
            "started_on": day(decided),
            "term_months": "",
            "post_rehab_after": "",
            "held_at": "",
            "treatment_phase": "",
            "ended_on": day(stopped),
            "end_reason": "stopped_addicted",
            "decision_number": "12/QĐ-UBND",
            "decision_on": day(decided),
            "decision_signer": "Hà Văn Chủ",
            "decision_body": "",
            "end_decision_number": "19/QĐ-UBND",
            "end_decision_on": day(stopped),
            "notes": "",
        },
    )
    assert response.status_code == 302, errors_of(response)
    assert "Lò Văn Sáng" not in due_group(client, "stop_management")
    form_07 = pdf_text(client.get(f"/u/{A}/episodes/{episode.id}/form-07.pdf"))
    assert "Lò Văn Sáng" in form_07 and "12/QĐ-UBND" in form_07 and "Trung tá Lê Văn Tổ" in form_07
    assert "03/04/1992" in form_07 and day(decided) in form_07 and "Tổ trưởng" in form_07
    form_09 = pdf_text(client.get(f"/u/{A}/episodes/{episode.id}/form-09.pdf"))
    assert "dừng quản lý" in form_09 and "19/QĐ-UBND" in form_09 and day(stopped) in form_09
    assert client.get(f"/u/{A}/episodes/{episode.id}/form-10.pdf").status_code == 404  # not ended at term


def test_not_addicted_asks_for_a_new_form_07(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = new_person(client, world)
    add_episode(client, person, "user_managed", today - timedelta(days=100), decision_number="3/QĐ-UBND")
    add_test(client, person, today - timedelta(days=8), reason="under_management")
    result_on = today - timedelta(days=4)
    client.post(
        f"/u/{A}/determinations/",
        data={
            "person_id": person,
            "test_id": "",
            "requested_on": day(today - timedelta(days=7)),
            "facility": "",
            "doctor": "",
            "result_on": day(result_on),
            "result": "not_addicted",
        },
    )
    group = due_group(client, "management_decision")
    assert "Lò Văn Sáng" in group and day(add_working_days(result_on, 3)) in group


def test_the_end_of_a_term_asks_for_form_10_within_3_working_days(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = new_person(client, world)
    start = today - timedelta(days=350)
    add_episode(client, person, "user_managed", start, decision_number="5/QĐ-UBND", decision_on=start)
    assert day(add_working_days(add_months(start, 12), 3)) in due_group(client, "period_ending")
    # a term that ran out, ended by Form 10
    earlier = new_person(client, world, name="Hà Văn Xong", cccd="038092666666")
    start = today - timedelta(days=400)
    ended = add_months(start, 12)
    made = add_episode(
        client,
        earlier,
        "user_managed",
        start,
        decision_number="2/QĐ-UBND",
        decision_on=start,
        ended_on=ended,
        end_reason="term_completed",
        end_decision_number="30/QĐ-UBND",
        end_decision_on=ended,
    )
    assert made.status_code == 302, errors_of(made)
    form_10 = pdf_text(client.get(f"/u/{A}/episodes/{episode_of(app, earlier, 'user_managed').id}/form-10.pdf"))
    assert "chấm dứt quản lý" in form_10 and "Hà Văn Xong" in form_10 and "30/QĐ-UBND" in form_10
    assert day(ended) in form_10


# Rehab and post-rehab ----------------------------------------------------------------------------------


def test_post_rehab_from_completion_to_form_54(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = new_person(client, world)
    rehab_start = today - timedelta(days=540)
    done = add_months(rehab_start, 6)
    made = add_episode(
        client,
        person,
        "rehab_home",
        rehab_start,
        term_months="6",
        decision_number="8/QĐ-UBND",
        decision_on=rehab_start,
        ended_on=done,
        end_reason="term_completed",
    )
    assert made.status_code == 302, errors_of(made)
    group = due_group(client, "post_rehab_decision")
    assert day(add_working_days(done, 3)) in group and day(add_working_days(done, 5)) in group
    assert "Mẫu 50" in group and "Mẫu 51" in group

    start = done + timedelta(days=4)
    made = add_episode(
        client,
        person,
        "post_rehab",
        start,
        post_rehab_after="voluntary",
        decision_number="21/QĐ-UBND",
        decision_on=start,
    )
    assert made.status_code == 302, errors_of(made)
    assert "Lò Văn Sáng" not in due_group(client, "post_rehab_decision")
    assert episode_of(app, person, "post_rehab").legal_end_on == add_months(start, 12)
    # ten days away unreported do not count toward the term; a reported absence does not lengthen it
    for left, reported in ((start + timedelta(days=30), ""), (start + timedelta(days=60), "y")):
        response = client.post(
            f"/u/{A}/absences/",
            data={
                "person_id": person,
                "left_on": day(left),
                "returned_on": day(left + timedelta(days=10)),
                "reported": reported,
            },
        )
        assert response.status_code == 302, errors_of(response)
    end = add_months(start, 12) + timedelta(days=10)
    assert episode_of(app, person, "post_rehab").legal_end_on == end
    assert day(end) in due_group(client, "period_ending")
    # an unreported absence deleted (entered by mistake) no longer lengthens the term; restored, it does again
    unreported = absence_of(app, person, reported=False)
    assert client.post(f"/u/{A}/absences/{unreported}/delete").status_code == 302
    assert episode_of(app, person, "post_rehab").legal_end_on == add_months(start, 12)
    assert client.post(f"/u/{A}/absences/{unreported}/restore").status_code == 302
    assert episode_of(app, person, "post_rehab").legal_end_on == end

    # at expiry: Form 54, and the person leaves the list
    episode = episode_of(app, person, "post_rehab")
    form_51 = pdf_text(client.get(f"/u/{A}/episodes/{episode.id}/form-51.pdf"))
    assert "Lò Văn Sáng" in form_51 and "21/QĐ-UBND" in form_51 and day(end) in form_51
    form_24 = pdf_text(client.get(f"/u/{A}/episodes/{episode_of(app, person, 'rehab_home').id}/form-24.pdf"))
    assert "cai nghiện ma túy tự nguyện tại gia đình, cộng đồng" in form_24 and day(rehab_start) in form_24
    assert "8/QĐ-UBND" in form_24


def test_form_54_certifies_a_completed_post_rehab_term(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = new_person(client, world)
    start = today - timedelta(days=500)
    ended = add_months(start, 12)
    made = add_episode(
        client,
        person,
        "post_rehab",
        start,
        post_rehab_after="voluntary",
        decision_number="4/QĐ-UBND",
        decision_on=start,
        ended_on=ended,
        end_reason="term_completed",
        end_decision_number="9/GCN-UBND",
        end_decision_on=ended,
    )
    assert made.status_code == 302, errors_of(made)
    page = client.get(f"/u/{A}/persons/{person}").get_data(as_text=True)
    assert "Mẫu 54" in page and "Mẫu 51" in page
    form_54 = pdf_text(client.get(f"/u/{A}/episodes/{episode_of(app, person, 'post_rehab').id}/form-54.pdf"))
    assert "GIẤY CHỨNG NHẬN" in form_54 and "Lò Văn Sáng" in form_54 and "9/GCN-UBND" in form_54
    assert day(start) in form_54 and day(ended) in form_54
