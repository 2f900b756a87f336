"""District and province views: totals add up, and the cost grows with communes, not records."""

import random
from datetime import date

import pytest
from sqlalchemy import select

from portal import clock
from portal.criteria.models import CommuneResult
from portal.criteria.results import refresh_all, version_in_force
from portal.extensions import db
from portal.recognition.models import STATES, Dossier
from portal.rollups.results import district_view, province_view
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from tests.conftest import count_statements


def _random_results(seed: int) -> None:
    """Random pass/fail on every result, and a random stage for every commune's newest dossier."""
    rng = random.Random(seed)
    for result in db.session.scalars(select(CommuneResult)):
        result.passed = rng.random() < 0.6
        result.failing_since = None if result.passed else date(2026, 1, rng.randint(1, 28))
    for commune in db.session.scalars(select(AdminUnit).where(AdminUnit.level == "commune")):
        if rng.random() < 0.8:
            db.session.add(Dossier(commune_id=commune.id, period="2026", state=rng.choice(STATES), explanations={}))


def _add_communes(parent: AdminUnit, count: int, start: int) -> None:
    for n in range(count):
        code = f"9{start + n:04d}"
        db.session.add(
            AdminUnit(
                code=code,
                name=f"Xã Thử {code}",
                kind="commune",
                level="commune",
                parent_id=parent.id,
                path=f"{parent.path}{code}/",
            )
        )
    db.session.flush()


def test_a_districts_totals_are_the_sum_of_its_communes_and_the_province_of_its_districts(app, world):
    with app.app_context(), system_scope(db.session):
        province = db.session.get(AdminUnit, world.unit_id["P"])
        _add_communes(db.session.get(AdminUnit, world.unit_id["D1"]), 7, 0)
        _add_communes(db.session.get(AdminUnit, world.unit_id["D2"]), 5, 100)
        refresh_all()
        for seed in range(5):
            _random_results(seed)
            db.session.flush()
            _version, criteria, districts, total, _rows = province_view(province)
            assert total.communes == 15
            for district, totals in districts:
                _v, _c, rows, own = district_view(district)
                assert own.communes == len(rows) == totals.communes
                assert own.meeting_all == sum(r.meets_all for r in rows) == totals.meeting_all
                assert own.submitted == sum(r.stage in ("submitted", "approved") for r in rows) == totals.submitted
                assert own.recognised == sum(r.stage == "recognised" for r in rows) == totals.recognised
                assert own.broken == sum(r.stage == "recognised" and not r.meets_all for r in rows) == totals.broken
                assert own.stages == totals.stages and sum(own.stages.values()) == own.communes
                for c in criteria:
                    assert own.passing.get(c.code, 0) == sum(
                        1 for r in rows if c.code in r.cells and r.cells[c.code].passed
                    )
            assert total.meeting_all == sum(t.meeting_all for _d, t in districts)
            for key in ("submitted", "recognised", "broken"):
                assert getattr(total, key) == sum(getattr(t, key) for _d, t in districts)
            assert sum(total.stages.values()) == 15
            assert total.passing == {c.code: sum(t.passing.get(c.code, 0) for _d, t in districts) for c in criteria}
        db.session.rollback()


def test_roll_up_pages_run_the_same_number_of_queries_for_ten_times_the_communes(app, world, login):
    province, district = login("province"), login("district_1")
    with app.app_context(), system_scope(db.session):
        refresh_all()
        db.session.commit()
    small = (count_statements(app, province, "/u/38/"), count_statements(app, district, "/u/389/"))
    with app.app_context(), system_scope(db.session):
        _add_communes(db.session.get(AdminUnit, world.unit_id["D1"]), 25, 0)
        refresh_all()
        db.session.commit()
    large = (count_statements(app, province, "/u/38/"), count_statements(app, district, "/u/389/"))
    assert large == small


def test_the_district_matrix_filters_sorts_and_ranks(app, world, login):
    client = login("district_1")
    with app.app_context(), system_scope(db.session):
        refresh_all()
        db.session.commit()
        assert version_in_force() is not None
    page = client.get("/u/389/").get_data(as_text=True)
    assert "Xã Quang Trung" in page and "Xã Vân Am" in page and "Xã Cẩm Thành" not in page
    assert "✗" in page  # a symbol besides the colour
    failing_c4 = client.get("/u/389/?fails=C4").get_data(as_text=True)
    assert "Xã Quang Trung" in failing_c4  # its household signed for 2025 only
    none = client.get("/u/389/?fails=none").get_data(as_text=True)
    assert "Xã Quang Trung" not in none.split('id="district-matrix"')[1]


@pytest.mark.clock
def test_the_trend_tallies_each_months_snapshots(app, world, login):
    """Month by month, the communes meeting every criterion in that month's snapshot, as the page shows them."""
    from portal.criteria.models import MonthlySnapshot
    from portal.criteria.results import snapshot_month
    from portal.rollups.charts import trend

    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    with app.app_context(), system_scope(db.session):
        refresh_all()
        for seed, month in enumerate(months):
            _random_results(seed)
            db.session.flush()
            snapshot_month(month)
        db.session.commit()
        expected = []
        for month in months:
            by_commune: dict[int, bool] = {}
            for snap in db.session.scalars(select(MonthlySnapshot).where(MonthlySnapshot.month == month)):
                by_commune[snap.commune_id] = by_commune.get(snap.commune_id, True) and snap.passed
            expected.append((month, sum(by_commune.values()), len(by_commune)))
        province = db.session.get(AdminUnit, world.unit_id["P"])
        assert [(m.month, m.meeting_all, m.communes) for m in trend(province)] == expected
        assert [m.communes for m in trend(province)] == [3, 3, 3]
    page = login("province").get("/u/38/").get_data(as_text=True)
    table = page.split('id="trend-table"')[1]
    for month, meeting, communes in expected:
        assert f'{month:%m/%Y}</td><td class="num">{meeting} / {communes}' in table


def test_the_trend_runs_through_the_reform_and_marks_where_the_tree_changed(app, world, login):
    from portal.criteria.models import MonthlyTally

    with app.app_context(), system_scope(db.session):
        for month, communes, meeting in ((5, 547, 120), (6, 547, 150), (7, 166, 40), (8, 166, 52)):
            db.session.add(
                MonthlyTally(
                    province_id=world.unit_id["P"], month=date(2025, month, 1), communes=communes, meeting_all=meeting
                )
            )
        db.session.commit()
    page = login("province").get("/u/38/").get_data(as_text=True)
    assert 'id="tree-change"' in page and "01/07/2025: 166 xã thay vì 547" in page
    table = page.split('id="trend-table"')[1]
    assert "06/2025 <span" in table and "(danh mục 2024)" in table and "07/2025</td>" in table


@pytest.mark.clock
def test_a_district_page_changes_on_the_next_request_after_a_register_write(app, world, login):
    from portal.villages.models import Household, HouseholdCommitment

    district, officer = login("district_1"), login("officer_b")
    with app.app_context(), system_scope(db.session):
        refresh_all()
        db.session.commit()
        household = db.session.get(Household, world.row_id[(Household, "B")])
        assert not db.session.scalar(
            select(HouseholdCommitment.id).where(
                HouseholdCommitment.household_id == household.id,
                HouseholdCommitment.campaign == str(clock.today().year),
            )
        )

    def c4_of_b():
        page = district.get("/u/389/?sort=name").get_data(as_text=True)
        row = page.split("Xã Vân Am</a></th>")[1].split("</tr>")[0]
        return row.split("<td")[1:][6]  # the cells: not met, C1, C1b, C2, C3a, C3b, C4

    assert "✗" in c4_of_b() and "0/1" in c4_of_b()
    response = officer.post(
        "/u/15076/household-commitments/",
        data={
            "household_code": "HH-B",
            "campaign": str(clock.today().year),
            "signed_on": clock.today().strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code in (200, 302)
    assert "✓" in c4_of_b() and "1/1" in c4_of_b()


def test_the_exports_are_real_workbooks_with_no_live_formula(app, world, login):
    import io

    from openpyxl import load_workbook

    with app.app_context(), system_scope(db.session):
        db.session.get(AdminUnit, world.unit_id["B"]).name = '=HYPERLINK("http://evil","Xã Vân Am")'
        refresh_all()
        db.session.commit()
    district = load_workbook(io.BytesIO(login("district_1").get("/u/389/rollup.xlsx").data)).active
    names = [row[1] for row in district.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil","Xã Vân Am")' in names and "Xã Quang Trung" in names
    assert all(not (isinstance(c.value, str) and c.value.startswith("=")) for row in district.iter_rows() for c in row)
    province = load_workbook(io.BytesIO(login("province").get("/u/38/rollup.xlsx").data)).active
    rows = list(province.iter_rows(values_only=True))
    assert rows[-1][1] == "Toàn tỉnh" and rows[-1][2] == 3 == sum(r[2] for r in rows[1:-1])
