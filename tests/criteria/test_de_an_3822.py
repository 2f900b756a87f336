"""The criteria as Đề án 3822 means them (criteria version 2): assessment periods instead of calendar
years, missed cases as the plan defines them, pledges that count until the next campaign's deadline,
households that leave when they move, C1 as the law reads, dossiers frozen over their period. Each
case goes through the web forms an officer uses; the walk across the new year checks that nothing
changes without a register change or a rule of the period that explains it."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Date, select

from portal import clock
from portal.criteria.metrics import METRICS
from portal.criteria.missed import record_late_missed_cases
from portal.criteria.models import CriteriaVersion
from portal.criteria.results import version_in_force
from portal.criteria.scorecard import scorecard
from portal.demo.registers import fill_commune
from portal.drug_tests.models import MissedCase
from portal.extensions import db
from portal.persons.legal_terms import add_months
from portal.recognition.models import Dossier, DossierSubmission
from portal.tenancy.guard import system_scope, tenant_models
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village, VillageHeadCommitment
from portal.working_days import add_working_days
from tests.isolation.route_inventory import CRITERIA_CODES

pytestmark = pytest.mark.clock

A = "15085"


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _errors(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', response.get_data(as_text=True)))


def _created(response) -> int:
    assert response.status_code == 302, _errors(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _person(client, world, name: str) -> int:
    body = {"full_name": name, "born_on": "12/05/1995", "sex": "male", "cccd": "", "address": "", "notes": ""}
    return _created(client.post(f"/u/{A}/persons/", data={**body, "village_id": world.row_id[(Village, "A")]}))


def _test(client, person_id, tested_on: date, found_by: str, lead_id="") -> int:
    body = {"person_id": person_id, "lead_id": lead_id, "tested_on": _day(tested_on), "reason": "suspected"}
    body |= {"sample": "urine", "result": "positive", "found_by": found_by, "testing_body": ""}
    return _created(client.post(f"/u/{A}/tests/", data=body))


EPISODE = {"term_months": "", "post_rehab_after": "", "ended_on": "", "end_reason": "", "decision_signer": ""}


def _episode(client, person_id, kind: str, started_on: date, **extra) -> int:
    body = {**EPISODE, "person_id": person_id, "kind": kind, "started_on": _day(started_on), "notes": ""}
    return _created(client.post(f"/u/{A}/episodes/", data={**body, "decision_number": "", "decision_on": "", **extra}))


def _missed(app, person_id) -> list[tuple[str, date]]:
    with app.app_context(), system_scope(db.session):
        rows = db.session.scalars(
            select(MissedCase).where(MissedCase.person_id == person_id, MissedCase.deleted_at.is_(None))
        )
        return [(row.reason, row.detected_on) for row in rows]


def _failing(client, code: str, day: date) -> str:
    page = client.get(f"/u/{A}/criteria/{code}/?day={_day(day)}").get_data(as_text=True)
    start = page.index('id="failing-records"')
    return page[start : page.index("</table>", start)]


def test_a_suspect_on_the_communes_list_who_tests_positive_is_not_a_missed_case(app, world, login):
    client = login("officer_a")
    today = clock.today()
    listed = _person(client, world, "Người Trong Danh Sách")
    lead = _created(
        client.post(
            f"/u/{A}/suspects/",
            data={"person_id": listed, "ground": "a", "listed_on": _day(today - timedelta(days=5)), "source": ""},
        )
    )
    # even when the provincial police did the test: the commune had found the person first
    _test(client, listed, today - timedelta(days=3), "provincial_police", lead_id=lead)
    assert _missed(app, listed) == []
    assert "Người Trong Danh Sách" not in _failing(client, "C3a", today)
    # put under management within the time allowed: still no missed case when the time has run out
    managed = _person(client, world, "Người Được Quản Lý Kịp Thời")
    _test(client, managed, today - timedelta(days=3), "commune")
    yesterday = today - timedelta(days=1)
    _episode(client, managed, "user_managed", yesterday, decision_number="12/QĐ-UBND", decision_on=_day(yesterday))
    with app.app_context(), system_scope(db.session):
        later = today + timedelta(days=40)
        assert record_late_missed_cases(later) == 1  # the listed person only: left without management
        db.session.commit()
    assert _missed(app, managed) == []
    deadline = add_working_days(today - timedelta(days=3), 9)
    assert _missed(app, listed) == [("not_managed_in_time", deadline + timedelta(days=1))]


def test_a_positive_result_from_another_body_for_a_person_on_no_list_is_a_missed_case(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = _person(client, world, "Người Do Cảnh Sát Giao Thông Phát Hiện")
    tested = today - timedelta(days=2)
    _test(client, person, tested, "traffic_police")
    assert _missed(app, person) == [("found_elsewhere", tested)]
    table = _failing(client, "C3a", tested)  # the scorecard of that day: today may open a new period
    assert "Người Do Cảnh Sát Giao Thông Phát Hiện" in table
    assert "Đơn vị khác phát hiện dương tính khi người này chưa có trong danh sách nào của xã" in table
    listing = client.get(f"/u/{A}/missed-cases/?reason=found_elsewhere").get_data(as_text=True)
    assert "Người Do Cảnh Sát Giao Thông Phát Hiện" in listing
    # put on the register afterwards: settled, and still a miss of the period
    _episode(client, person, "user_managed", today, decision_number="13/QĐ-UBND", decision_on=_day(today))
    assert "Người Do Cảnh Sát Giao Thông Phát Hiện" in _failing(client, "C3a", tested)


def test_a_positive_test_deleted_as_a_mistake_withdraws_its_missed_case_and_restored_makes_it_again(app, world, login):
    client = login("officer_a")
    today = clock.today()
    person = _person(client, world, "Người Nhập Nhầm Kết Quả")
    tested = today - timedelta(days=2)
    test = _test(client, person, tested, "traffic_police")
    assert _missed(app, person) == [("found_elsewhere", tested)]
    assert "Người Nhập Nhầm Kết Quả" in _failing(client, "C3a", tested)
    assert client.post(f"/u/{A}/tests/{test}/delete").status_code == 302
    assert _missed(app, person) == []
    assert "Người Nhập Nhầm Kết Quả" not in _failing(client, "C3a", tested)
    assert client.post(f"/u/{A}/tests/{test}/restore").status_code == 302
    assert _missed(app, person) == [("found_elsewhere", tested)]


def _household(client, world, code: str) -> int:
    body = {"code": code, "representative_name": "Lê Văn Tâm", "village_id": world.row_id[(Village, "A")]}
    return _created(client.post(f"/u/{A}/households/", data={**body, "address": "", "members": "4"}))


def test_a_pledge_signed_at_the_launch_counts_for_2025_and_until_the_next_campaigns_deadline(app, world, login):
    client = login("officer_a")
    _household(client, world, "HH-1412")
    pledge = {"household_code": "HH-1412", "campaign": "2024", "signed_on": "14/12/2024", "signer_name": ""}
    _created(client.post(f"/u/{A}/household-commitments/", data={**pledge, "refusal_reason": ""}))
    for day in (date(2025, 1, 1), date(2025, 6, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 31)):
        assert "HH-1412" not in _failing(client, "C4", day), day
    assert "HH-1412" in _failing(client, "C4", date(2026, 4, 1))  # the 2026 campaign's deadline has passed
    with app.test_request_context(), system_scope(db.session):  # version 1 saw only "this year's" campaign
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == A))
        first = db.session.scalar(select(CriteriaVersion).where(CriteriaVersion.number == 1))
        v1 = {line.criterion.code: line for line in scorecard(unit, date(2025, 6, 30), first)[0]}
        v2 = {line.criterion.code: line for line in scorecard(unit, date(2025, 6, 30))[0]}
        assert v2["C4"].numerator == v1["C4"].numerator + 1


def test_a_household_that_moved_away_leaves_the_denominator_from_that_day(app, world, login):
    client = login("officer_a")
    household = _household(client, world, "HH-CHUYEN")
    moved_on = clock.today() - timedelta(days=10)
    edit = client.get(f"/u/{A}/households/{household}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    body = {"code": "HH-CHUYEN", "representative_name": "Lê Văn Tâm", "village_id": world.row_id[(Village, "A")]}
    body |= {"address": "", "members": "4", "version": version, "residence": "moved_away"}
    refused = client.post(f"/u/{A}/households/{household}", data=body)
    assert refused.status_code == 200  # no date: said in Vietnamese, what was typed kept
    assert "Hãy nhập ngày hộ không còn cư trú trên địa bàn." in _errors(refused)
    assert 'value="HH-CHUYEN"' in refused.get_data(as_text=True)
    response = client.post(f"/u/{A}/households/{household}", data={**body, "residence_since": _day(moved_on)})
    assert response.status_code == 302, _errors(response)
    assert "HH-CHUYEN" in _failing(client, "C4", moved_on - timedelta(days=1))
    assert "HH-CHUYEN" not in _failing(client, "C4", moved_on)
    listing = client.get(f"/u/{A}/households/?residence=moved_away").get_data(as_text=True)
    assert "HH-CHUYEN" in listing and "Đã chuyển đi nơi khác" in listing


def test_a_2025_dossier_submitted_in_january_2026_shows_2025s_incidents(app, world, login):
    with time_machine.travel(datetime(2026, 1, 15, 3, 0, tzinfo=UTC), tick=True):
        client = login("officer_a")
        incident = {"occurred_on": "10/10/2025", "person_id": "", "village_id": "", "severity": "very_serious"}
        incident |= {"psychosis": "y", "summary": "Người ngáo đá gây thương tích", "source_document": ""}
        _created(client.post(f"/u/{A}/incidents/", data=incident))
        page = client.get(f"/u/{A}/").get_data(as_text=True)
        assert "Kỳ đánh giá: Năm 2026" in page  # today's scorecard counts 2026: the 2025 incident is not in it
        refused = client.post(f"/u/{A}/recognition/new", data={"period": "2027"}, follow_redirects=True)
        assert "Hãy nhập một kỳ đánh giá của Đề án đã bắt đầu" in refused.get_data(as_text=True)
        dossier_id = _created(client.post(f"/u/{A}/recognition/new", data={"period": "2025"}))
        explained = {f"explain-{code}": f"Xã đang khắc phục tiêu chí {code}" for code in CRITERIA_CODES}
        response = client.post(
            f"/u/{A}/recognition/{dossier_id}/edit", data={"comments": "", "then": "submit", **explained}
        )
        assert response.status_code == 302, _errors(response)
        shown = client.get(f"/u/{A}/recognition/{dossier_id}").get_data(as_text=True)
        assert "Số liệu chốt tại ngày kết thúc kỳ đánh giá" in shown and "31/12/2025" in shown
    with app.app_context(), system_scope(db.session):
        dossier = db.session.get(Dossier, dossier_id)
        frozen = db.session.scalar(select(DossierSubmission).where(DossierSubmission.dossier_id == dossier.id)).snapshot
        assert (frozen["as_of"], frozen["as_of_reason"]) == ("2025-12-31", "period_end")
        assert frozen["period_span"] == {"start": "2024-12-01", "end": "2025-12-31"}
        c3b = next(line for line in frozen["criteria"] if line["code"] == "C3b")
        assert c3b["value"] == 1 and not c3b["passed"]


def test_a_past_scorecard_reads_each_hotspots_status_as_it_stood_that_day(app, world, login):
    client = login("officer_a")
    body = {"place": "Bến đò cũ", "village_id": world.row_id[(Village, "A")], "kind": "use_point", "notes": ""}
    body |= {"found_on": "01/03/2026", "status": "active", "status_since": "01/03/2026"}
    hotspot = _created(client.post(f"/u/{A}/hotspots/", data=body))
    for status, since in (("watch", "01/04/2026"), ("eradicated", "01/06/2026")):
        edit = client.get(f"/u/{A}/hotspots/{hotspot}/edit").get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
        changed = {**body, "status": status, "status_since": since, "version": version}
        assert client.post(f"/u/{A}/hotspots/{hotspot}", data=changed).status_code == 302
    active_on = {day: "Bến đò cũ" in _failing(client, "H1", day) for day in (date(2026, 3, 15), date(2026, 4, 15))}
    assert active_on == {date(2026, 3, 15): True, date(2026, 4, 15): False}  # under watch from 01/04
    assert "Bến đò cũ" not in _failing(client, "H1", date(2026, 6, 15))


def test_c1_asks_for_a_file_and_a_measure_counts_waiting_and_sets_custody_apart(app, world, login):
    client = login("officer_a")
    today = clock.today()
    start = today - timedelta(days=30)

    def episode(person, kind, **extra):
        _episode(client, person, kind, start, **extra)

    no_file = _person(client, world, "Người Nghiện Chưa Có Hồ Sơ")
    episode(no_file, "addict")
    episode(no_file, "rehab_home", term_months="6", decision_number="5/QĐ-UBND", decision_on="")
    waiting = _person(client, world, "Người Chờ Quyết Định Bắt Buộc")
    episode(waiting, "addict", decision_on=_day(start), decision_number="KL-01")
    episode(waiting, "awaiting_compulsory", held_at="family")
    jailed = _person(client, world, "Người Nghiện Đang Chấp Hành Án")
    episode(jailed, "addict", decision_on=_day(start), decision_number="KL-02")
    episode(jailed, "prison")
    determined = _person(client, world, "Người Nghiện Có Phiếu Xác Định")  # the file is the determination's slip
    episode(determined, "addict")
    episode(determined, "rehab_home", term_months="6")
    assert "Người Nghiện Có Phiếu Xác Định" in _failing(client, "C1", today)  # no file yet
    slip = {"person_id": determined, "test_id": "", "requested_on": _day(start), "facility": "Bệnh viện tỉnh"}
    slip |= {"doctor": "", "result_on": _day(start), "result": "addicted"}
    assert client.post(f"/u/{A}/determinations/", data=slip).status_code == 302
    page = client.get(f"/u/{A}/criteria/C1/").get_data(as_text=True)
    failing = page[page.index('id="failing-records"') : page.index('id="apart-records"')]
    assert "Người Nghiện Chưa Có Hồ Sơ" in failing and "Chưa có hồ sơ quản lý" in failing
    assert "Người Nghiện Có Phiếu Xác Định" not in failing
    assert "Người Chờ Quyết Định Bắt Buộc" not in failing  # waiting counts as a measure applied
    apart = page[page.index('id="apart-records"') :]
    assert "Người Nghiện Đang Chấp Hành Án" in apart and "Người Nghiện Đang Chấp Hành Án" not in failing


# The walk across the new year ---------------------------------------------------------------------------


def _dates_of(commune_id: int, tables: frozenset) -> set[date]:
    """Every day a row of these register tables of the commune names (started, ended, signed, held...)."""
    found = set()
    for model in tenant_models:
        if model.__tablename__ not in tables:
            continue
        columns = [c for c in model.__table__.c if isinstance(c.type, Date)]
        for row in db.session.execute(select(*columns).where(model.commune_id == commune_id)):
            found |= {value for value in row if value is not None}
    return found


def _explained(criterion, metric, day: date, dates: set[date], period_starts: set[date]) -> str | None:
    """Why a criterion may change on the day: a register row dated that day (or the day before, for a
    term that ended), an activity leaving the rolling window, or the start of a new period."""
    if day in dates or day - timedelta(days=1) in dates:
        return "a register row dated that day"
    if criterion.window.startswith("months:"):
        months = int(criterion.window.removeprefix("months:"))
        if add_months(day, -months) in dates:
            return "an activity left the rolling window"
    if criterion.window == "period" and day in period_starts:
        return "a new assessment period"
    return None


def test_the_scorecard_walks_across_the_new_year_without_a_cliff(app, world):
    with time_machine.travel(datetime(2025, 12, 20, 3, 0, tzinfo=UTC), tick=False):
        with app.app_context(), system_scope(db.session):
            unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == A))
            heads = select(VillageHeadCommitment).where(VillageHeadCommitment.commune_id == unit.id)
            for head in db.session.scalars(heads):
                db.session.delete(head)  # the world's own 2025 pledge of the village head: the demo signs one
            fill_commune(unit, 3822, date(2025, 12, 20))
            db.session.commit()
    changes = []
    with app.test_request_context(), system_scope(db.session):
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == A))
        version = version_in_force(date(2025, 12, 20))
        first = db.session.scalar(select(CriteriaVersion).where(CriteriaVersion.number == 1))
        days = [date(2025, 12, 20) + timedelta(days=n) for n in range(22)]
        cards = {day: {line.criterion.code: line for line in scorecard(unit, day)[0]} for day in days}
        for before, day in zip(days, days[1:], strict=False):
            for code, line in cards[day].items():
                old = cards[before][code]
                if (old.numerator, old.denominator, old.passed) == (line.numerator, line.denominator, line.passed):
                    continue
                metric = METRICS[line.criterion.metric]
                dates = _dates_of(unit.id, metric.tables)
                why = _explained(line.criterion, metric, day, dates, {date(2026, 1, 1)})
                assert why is not None, (code, before, day, old, line)
                changes.append((day, code, why))
        new_year = cards[date(2026, 1, 1)]
        old_year = cards[date(2025, 12, 31)]
        for code in ("C1", "C1b", "C2", "C4", "C5", "H1"):  # no window that ends on 31/12
            assert (new_year[code].numerator, new_year[code].denominator) == (
                old_year[code].numerator,
                old_year[code].denominator,
            ), code
        assert old_year["C4"].period.key == "2025" and new_year["C4"].period.key == "2026"
        assert version.number == 2
        # version 1 stays reproducible, cliff included: its C4 counted only the calendar year's campaign
        v1_old = {ln.criterion.code: ln for ln in scorecard(unit, date(2025, 12, 31), first)[0]}
        v1_new = {ln.criterion.code: ln for ln in scorecard(unit, date(2026, 1, 1), first)[0]}
        assert v1_old["C4"].numerator > 0 and v1_new["C4"].numerator == 0
    print("changes seen on the walk:", changes)  # noqa: T201 - the test shows which rule explained each


def test_missed_cases_of_the_first_rule_are_judged_again_by_the_plans(app, world, login):
    """A deployment that ran version 1 kept a missed case for every positive test of a person on no
    register; the nightly refresh withdraws those the commune had found and gives the others a reason."""
    client = login("officer_a")
    today = clock.today()
    listed = _person(client, world, "Người Được Xã Lập Danh Sách")
    lead = _created(
        client.post(
            f"/u/{A}/suspects/",
            data={"person_id": listed, "ground": "a", "listed_on": _day(today - timedelta(days=4)), "source": ""},
        )
    )
    own = _test(client, listed, today - timedelta(days=3), "commune", lead_id=lead)
    stranger = _person(client, world, "Người Do Bệnh Viện Phát Hiện")
    elsewhere = _test(client, stranger, today - timedelta(days=3), "hospital")
    with app.app_context(), system_scope(db.session):
        for case in db.session.scalars(select(MissedCase)):  # as version 1 left them: one per positive test
            db.session.delete(case)
        db.session.flush()
        for person, test in ((listed, own), (stranger, elsewhere)):
            db.session.add(
                MissedCase(
                    commune_id=world.unit_id["A"],
                    person_id=person,
                    test_id=test,
                    detected_on=today - timedelta(days=3),
                    reason="off_register",
                )
            )
        db.session.commit()
        record_late_missed_cases(today)
        db.session.commit()
    assert _missed(app, listed) == []
    assert _missed(app, stranger) == [("found_elsewhere", today - timedelta(days=3))]
