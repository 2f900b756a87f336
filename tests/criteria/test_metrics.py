"""Metrics: the number and the records behind it come from one definition; kept results equal a full
recompute after any sequence of register changes; versions and snapshots."""

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.criteria.metrics import METRICS, Frame, aside_rows, failing_rows, measure
from portal.criteria.models import CommuneResult, CriteriaVersion, Criterion, MonthlySnapshot
from portal.criteria.results import evaluate, snapshot_month, version_in_force
from portal.drug_tests.models import DrugTest, SuspicionLead
from portal.extensions import db
from portal.hotspots.models import Hotspot
from portal.persons.models import Person, StatusEpisode
from portal.tenancy.guard import system_scope
from portal.tenancy.periods import campaigns
from portal.villages.models import Household, HouseholdCommitment, Village
from tests.isolation.route_inventory import REGISTERS as BODIES
from tests.isolation.route_inventory import UPDATE_BODIES, publish_body

pytestmark = pytest.mark.clock  # decides on days: CI runs it again either side of Vietnam's midnight

A = "15085"


def _edge_cases(world):
    """An addict in prison, an addict at home without treatment, a suspect tested negative then positive,
    a household that refused, an eradicated hotspot and an active one."""
    a = world.unit_id["A"]
    village = world.row_id[(Village, "A")]
    add = db.session.add
    people = []
    for name in ("Người Trong Tù", "Người Ở Nhà", "Người Nghi Vấn"):
        person = Person(commune_id=a, full_name=name, born_on=date(1990, 1, 1), sex="male", village_id=village)
        add(person)
        people.append(person)
    db.session.flush()
    jailed, home, suspect = people
    add(StatusEpisode(commune_id=a, person_id=jailed.id, kind="addict", started_on=date(2024, 1, 1)))
    add(StatusEpisode(commune_id=a, person_id=jailed.id, kind="prison", started_on=date(2024, 2, 1)))
    add(StatusEpisode(commune_id=a, person_id=home.id, kind="addict", started_on=clock.today() - timedelta(days=30)))
    lead = SuspicionLead(commune_id=a, person_id=suspect.id, ground="e", listed_on=clock.today() - timedelta(days=20))
    add(lead)
    db.session.flush()
    for days, result in ((15, "negative"), (5, "positive")):
        add(
            DrugTest(
                commune_id=a,
                person_id=suspect.id,
                lead_id=lead.id,
                tested_on=clock.today() - timedelta(days=days),
                reason="suspected",
                sample="urine",
                result=result,
            )
        )
    refusing = Household(commune_id=a, code="HH-REFUSED", representative_name="Hộ Từ Chối", village_id=village)
    add(refusing)
    db.session.flush()
    add(
        HouseholdCommitment(
            commune_id=a,
            household_id=refusing.id,
            campaign=str(clock.today().year),
            refused=True,
            refusal_reason="Không đồng ý",
        )
    )
    add(
        Hotspot(
            commune_id=a,
            place="Đã xóa bỏ",
            village_id=village,
            kind="use_point",
            found_on=date(2024, 1, 1),
            status="eradicated",
            status_since=date(2024, 6, 1),
        )
    )
    add(
        Hotspot(
            commune_id=a,
            place="Còn hoạt động",
            village_id=village,
            kind="use_point",
            found_on=clock.today().replace(month=1, day=1),  # this year's, and never after today
            status="active",
            status_since=clock.today().replace(month=1, day=1),
        )
    )
    return {"jailed": jailed.id, "home": home.id, "refusing": refusing.id}


def _frame(day=None) -> Frame:
    day = day or clock.today()
    return Frame(day, date(day.year, 1, 1), {"custody_leaves_denominator": True}, campaigns("38"))


def test_every_metric_counts_exactly_the_rows_it_lists(app, world):
    with app.app_context(), system_scope(db.session):
        ids = _edge_cases(world)
        a = world.unit_id["A"]
        for metric in METRICS.values():
            result = measure(metric, a, _frame())
            failing = db.session.scalars(failing_rows(metric, a, _frame())).all()
            assert len(failing) == result.denominator - result.numerator, metric.name
        names = {name: {r.id for r in db.session.scalars(failing_rows(m, a, _frame()))} for name, m in METRICS.items()}
        # version 1: the addict in prison passed as treated (C1); neither version counts them in the community
        assert ids["jailed"] not in names["addicts_in_treatment"] and ids["home"] in names["addicts_in_treatment"]
        assert ids["jailed"] not in names["addicts_in_community"] and ids["home"] in names["addicts_in_community"]
        # version 2: the addict in prison is counted apart, out of the denominator, not as treated
        assert ids["jailed"] not in names["addicts_with_measure"] and ids["home"] in names["addicts_with_measure"]
        assert measure(METRICS["addicts_with_measure"], a, _frame()).aside == 1
        apart = db.session.scalars(aside_rows(METRICS["addicts_with_measure"], a, _frame())).all()
        assert [p.id for p in apart] == [ids["jailed"]]
        assert ids["refusing"] in names["households_committed"]  # a refusal is not a commitment
        assert ids["refusing"] in names["households_pledged"]
        active = {h.place for h in db.session.scalars(failing_rows(METRICS["active_hotspots"], a, _frame()))}
        assert active == {"Còn hoạt động", "Bãi CANARY-A-1X"}  # the eradicated one does not count
        assert measure(METRICS["new_hotspots"], a, _frame()).value == 1.0
        tested = measure(METRICS["suspects_tested"], a, _frame())
        assert tested.numerator == tested.denominator  # negative then positive: tested either way
        db.session.rollback()


def _kept(app, world) -> dict:
    with app.app_context(), system_scope(db.session):
        version = version_in_force()
        kept = {
            r.criterion_id: (r.numerator, r.denominator, r.passed)
            for r in db.session.scalars(select(CommuneResult).where(CommuneResult.commune_id == world.unit_id["A"]))
        }
        fresh = {
            c.id: (m.numerator, m.denominator, ok)
            for c, m, ok in evaluate(version.criteria, world.unit_id["A"], clock.today())
        }
        db.session.rollback()
    return kept, fresh


def test_kept_results_equal_a_full_recompute_after_random_changes(app, world, login):
    client = login("officer_a")
    rng = random.Random(3822)
    client.post(f"/u/{A}/villages/", data=BODIES["villages"][1](world))  # start the kept results
    operations = 0
    for _step in range(40):
        slug = rng.choice([s for s, (_p, body) in BODIES.items() if body is not None])
        param, body = BODIES[slug]
        action = rng.choice(("create", "create", "update", "delete", "restore"))
        listing = client.get(f"/u/{A}/{slug}/" + ("?deleted=1" if action == "restore" else "")).get_data(as_text=True)
        ids = [int(i) for i in re.findall(rf'href="/u/{A}/{slug}/(\d+)"', listing)]
        data = body(world)
        if slug == "households":
            data["code"] = f"HH-R{_step}"
        if slug == "persons":
            data["cccd"] = ""
        if slug == "episodes":
            data.update(
                kind=rng.choice(["addict", "released_offender"]),
                started_on=f"01/01/{2000 + _step}",
                ended_on=f"01/06/{2000 + _step}",
                end_reason="other",
            )
        if slug in ("household-commitments", "village-head-commitments"):
            data["campaign"] = str(rng.choice([clock.today().year, clock.today().year - 1, 2000 + _step]))
        if slug == "hotspots":
            data["status"] = rng.choice(["active", "watch", "eradicated"])
        if action == "create":
            response = client.post(f"/u/{A}/{slug}/", data=data)
        elif ids and action == "update":
            row = rng.choice(ids)
            page = client.get(f"/u/{A}/{slug}/{row}/edit").get_data(as_text=True)
            version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
            update = UPDATE_BODIES.get(slug, lambda w, d=data: d)(world)
            response = client.post(f"/u/{A}/{slug}/{row}", data={**data, **update, "version": version})
        elif ids and action in ("delete", "restore"):
            response = client.post(f"/u/{A}/{slug}/{rng.choice(ids)}/{action}")
        else:
            continue
        assert response.status_code in (200, 302)
        operations += 1
        kept, fresh = _kept(app, world)
        assert kept == fresh, (slug, action)
    assert operations >= 25


def test_publishing_a_version_changes_today_and_leaves_snapshots(app, world, login):
    client = login("officer_a")
    client.post(f"/u/{A}/villages/", data=BODIES["villages"][1](world))
    with app.app_context(), system_scope(db.session):
        assert snapshot_month(clock.today().replace(day=1)) > 0
        db.session.commit()
        before = {
            (s.criterion_code, s.version_id, s.value, s.passed)
            for s in db.session.scalars(select(MonthlySnapshot).where(MonthlySnapshot.commune_id == world.unit_id["A"]))
        }
    home = client.get(f"/u/{A}/").get_data(as_text=True)
    assert "C1b" in home
    # the province drops C1b and makes C4 lenient: 0,5 of the households are enough
    province = login("province")
    c4 = next(i for i in range(9) if publish_body()[f"c-{i}-code"] == "C4")
    c1b = next(i for i in range(9) if publish_body()[f"c-{i}-code"] == "C1b")
    response = province.post(
        "/u/38/criteria/new", data={**publish_body(**{f"c-{c4}-threshold": "0,5"}), f"c-{c1b}-active": ""}
    )
    assert response.status_code == 302
    home = client.get(f"/u/{A}/").get_data(as_text=True)
    assert "C1b" not in home and "phiên bản 3" in home
    with app.app_context(), system_scope(db.session):
        assert version_in_force().number == 3
        old = db.session.scalar(select(CriteriaVersion).where(CriteriaVersion.number == 2))
        assert len(old.criteria) == 9 and any(c.code == "C1b" for c in old.criteria)  # as it was
        assert version_in_force().rules == old.rules  # the rules are carried: they are data of criteria.json
        after = {
            (s.criterion_code, s.version_id, s.value, s.passed)
            for s in db.session.scalars(select(MonthlySnapshot).where(MonthlySnapshot.commune_id == world.unit_id["A"]))
        }
        assert after == before
        new_c4 = db.session.scalar(
            select(Criterion).where(Criterion.version_id == version_in_force().id, Criterion.code == "C4")
        )
        assert new_c4.threshold == 0.5
        kept = db.session.scalar(
            select(func.count()).select_from(CommuneResult).where(CommuneResult.commune_id == world.unit_id["A"])
        )
        assert kept == 8


def test_publishing_explains_each_mistake_and_publishes_nothing(app, world, login):
    province = login("province")
    response = province.post(
        "/u/38/criteria/new",
        data=publish_body(
            **{"effective_from": "01/01/2020", "c-0-threshold": "nhiều", "c-1-code": "C1", "c-2-label_en": ""}
        ),
    )
    text = response.get_data(as_text=True)
    for message in (
        "Phiên bản mới không thể bắt đầu trong quá khứ",
        "Ngưỡng là một số",
        "Hai tiêu chí không thể trùng mã",
        "Hãy điền đủ cả hai ngôn ngữ",
    ):
        assert message in text, message
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(func.count(CriteriaVersion.id))) == 2


def test_communes_cannot_edit_criteria(app, world, login):
    for user in ("officer_a", "district_1", "admin"):
        assert login(user).post("/u/38/criteria/new", data=publish_body()).status_code == 404


@pytest.mark.parametrize("code", ["C4", "H1"])
def test_the_drill_down_lists_exactly_the_failing_records(app, world, login, code):
    client = login("officer_a")
    page = client.get(f"/u/{A}/criteria/{code}/").get_data(as_text=True)
    table = page[page.index('id="failing-records"') : page.index("</table>", page.index('id="failing-records"'))]
    if code == "C4":  # the seeded household signed for 2025, not for this year
        assert "HH-A" in table and f"/u/{A}/households/{world.row_id[(Household, 'A')]}" in table
    else:
        assert "Bãi CANARY-A-1X" in table and f"/u/{A}/hotspots/{world.row_id[(Hotspot, 'A')]}" in table
    assert "CANARY-B" not in table and "CANARY-C" not in table


def test_a_past_scorecard_uses_the_registers_as_they_stood(app, world, login):
    client = login("officer_a")
    today = client.get(f"/u/{A}/criteria/scorecard").get_data(as_text=True)
    past = client.get(f"/u/{A}/criteria/scorecard?day=01/01/2025").get_data(as_text=True)
    assert "Tính đến ngày 01/01/2025" in past
    # the seeded hotspot was found on 05/01/2025: not there yet on 1 January
    h1_past = re.search(r"H1</strong>.*?</tr>", past, re.S).group(0)
    h1_today = re.search(r"H1</strong>.*?</tr>", today, re.S).group(0)
    assert "Đạt" in h1_past and "Không đạt" in h1_today
    bad = client.get(f"/u/{A}/criteria/scorecard?day=31/02/2025").get_data(as_text=True)
    assert "Hãy nhập ngày theo dạng dd/mm/yyyy" in bad
