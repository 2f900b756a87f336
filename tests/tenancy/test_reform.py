"""`tenants reform`: the 2025 reform replayed on a deployment that kept its registers in the 2024 tree.
Every row moves to its commune's successor with its id, the keys still hold, collisions are renamed
and listed, roles follow, a second run changes nothing, a faulty lineage changes nothing."""

from datetime import date

import pytest
import time_machine
from sqlalchemy import delete, func, select, text

from portal.audit.models import AuditEvent
from portal.auth.models import RoleAssignment, User
from portal.auth.passwords import hash_password
from portal.demo.cli import _demo_villages
from portal.demo.registers import fill_commune
from portal.extensions import db
from portal.persons.models import Person
from portal.tenancy.guard import system_scope, tenant_models
from portal.tenancy.models import AdminUnit, UnitLineage
from portal.villages.models import Household, Village
from tests.conftest import log_in_enrolling

PASSWORD = "Đồng lúa Thạch Lập 2025"
PREDECESSORS = ("15085-2024", "15073-2024", "15088-2024")  # Quang Trung, Thạch Lập, Đồng Thịnh → Thạch Lập


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _unit(address: str) -> AdminUnit:
    return db.session.scalar(select(AdminUnit).where(AdminUnit.address == address))


def _officer_of(app, address: str):
    account = ["accounts", "create", f"xa.{address}", "--role", "commune_officer", "--unit", address]
    assert _run(app, *account, "--password", PASSWORD).exit_code == 0
    return log_in_enrolling(app, f"xa.{address}", PASSWORD)


def _counts_by_commune() -> dict:
    return {
        (model.__tablename__, commune_id): n
        for model in tenant_models
        for commune_id, n in db.session.execute(
            select(model.commune_id, func.count()).select_from(model).group_by(model.commune_id)
        )
    }


def _totals(counts: dict) -> dict:
    totals: dict[str, int] = {}
    for (table, _commune), n in counts.items():
        totals[table] = totals.get(table, 0) + n
    return totals


@pytest.fixture
def lived_in_2024(app):
    """The 2024 registers of Thạch Lập's three predecessors and of Vân Am, an officer on Quang Trung and a
    district officer on Ngọc Lặc, as a deployment held them before the reform."""
    assert _run(app, "tenants", "sync", "thanh-hoa").exit_code == 0
    with time_machine.travel(date(2025, 6, 20), tick=False), app.app_context(), system_scope(db.session):
        for address in (*PREDECESSORS, "15076-2024"):
            unit = _unit(address)
            _demo_villages(unit, 3822)
            db.session.flush()
            fill_commune(unit, 3822, date(2025, 6, 20))
        for address in PREDECESSORS[:2]:  # the same household code in two merged communes
            unit = _unit(address)
            village = db.session.scalar(select(Village).where(Village.commune_id == unit.id).limit(1))
            db.session.add(
                Household(commune_id=unit.id, code="HH-1", representative_name="Lê Văn A", village_id=village.id)
            )
        for username, role, address in (
            ("xa.quangtrung", "commune_officer", "15085-2024"),
            ("huyen.389", "district_officer", "389-2024"),
        ):
            user = User(
                username=username, full_name=username, password_hash=hash_password(PASSWORD), search_key=username
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleAssignment(user_id=user.id, unit_id=_unit(address).id, role=role))
        db.session.commit()


def test_the_reform_moves_every_row_renames_collisions_moves_roles_and_a_second_run_changes_nothing(app, lived_in_2024):
    with app.app_context(), system_scope(db.session):
        before = _counts_by_commune()
        old_ids = {_unit(a).id: a for a in (*PREDECESSORS, "15076-2024")}
    dry = _run(app, "tenants", "reform", "thanh-hoa", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "15085 Xã Thạch Lập" in dry.output and "from 15085-2024 Xã Quang Trung" in dry.output
    assert "renamed household" in dry.output and "'HH-1' -> 'HH-1-15073'" in dry.output
    assert "xa.quangtrung commune_officer: 15085-2024 -> 15085" in dry.output
    assert (
        "huyen.389 district_officer: 389-2024 -> KV389" in dry.output and "dry run: nothing was changed" in dry.output
    )
    with app.app_context(), system_scope(db.session):
        assert _counts_by_commune() == before
    done = _run(app, "tenants", "reform", "thanh-hoa")
    assert done.exit_code == 0, done.output
    with app.app_context(), system_scope(db.session):
        after = _counts_by_commune()
        assert _totals(after) == _totals(before)  # every register: as many rows as before
        assert not any(commune in old_ids for _table, commune in after)  # nothing left in an old commune
        thach_lap, nguyet_an = _unit("15085"), _unit("15106")
        moved = {t: n for (t, c), n in after.items() if c == thach_lap.id}
        assert moved["person"] == sum(
            n for (t, c), n in before.items() if t == "person" and old_ids.get(c) in PREDECESSORS
        )
        assert {_unit("15076-2024").id} == set(
            db.session.scalars(select(Person.former_commune_id).where(Person.commune_id == nguyet_an.id))
        )
        formers = set(db.session.scalars(select(Person.former_commune_id).where(Person.commune_id == thach_lap.id)))
        assert formers == {_unit(a).id for a in PREDECESSORS}
        if db.engine.dialect.name == "sqlite":  # every same-commune key holds after the deferred check
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        codes = db.session.scalars(select(Household.code).where(Household.commune_id == thach_lap.id)).all()
        assert len(codes) == len(set(codes)) and {"HH-1", "HH-1-15073"} <= set(codes)
        names = db.session.scalars(select(Village.name).where(Village.commune_id == thach_lap.id)).all()
        assert len({n.casefold() for n in names}) == len(names) and any(n.endswith("(Thạch Lập)") for n in names)
        roles = {(a.user.username, a.role, a.unit.address) for a in db.session.scalars(select(RoleAssignment))}
        assert roles == {("xa.quangtrung", "commune_officer", "15085"), ("huyen.389", "district_officer", "KV389")}
        events = db.session.scalar(select(func.count()).where(AuditEvent.action == "reform_move"))
        assert events == sum(1 for (_t, c) in before if c in old_ids)  # one per old commune and register
    again = _run(app, "tenants", "reform", "thanh-hoa")
    assert again.exit_code == 0 and "nothing to move" in again.output
    with app.app_context(), system_scope(db.session):
        assert _counts_by_commune() == after
    officer = log_in_enrolling(app, "xa.quangtrung", PASSWORD)
    listing = officer.get("/u/15085/persons/").get_data(as_text=True)
    assert 'id="filter-former"' in listing and "Xã Quang Trung" in listing and "Xã Đồng Thịnh" in listing
    with app.app_context(), system_scope(db.session):
        dong_thinh = _unit("15088-2024").id
        person = db.session.scalar(select(Person).where(Person.former_commune_id == dong_thinh).limit(1))
    only = officer.get(f"/u/15085/persons/?former={dong_thinh}").get_data(as_text=True)
    assert person.full_name in only
    page = officer.get(f"/u/15085/persons/{person.id}").get_data(as_text=True)
    assert "Xã Đồng Thịnh (15088-2024)" in page
    # the archive: the successor's officer reads it, nobody writes there, a neighbour sees neither
    archive = officer.get("/u/15085-2024/")
    assert archive.status_code == 200 and 'href="/u/15085/"' in archive.get_data(as_text=True)
    assert officer.get("/u/15085-2024/villages/new").status_code == 404
    assert officer.post("/u/15085-2024/villages/", data={"name": "Làng Mới Lập", "kind": "village"}).status_code == 404
    with app.app_context(), system_scope(db.session):  # a commune role left on an archive reads, never writes
        user = User(username="xa.conlai", full_name="Cán bộ", password_hash=hash_password(PASSWORD), search_key="x")
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleAssignment(user_id=user.id, unit_id=_unit("15073-2024").id, role="commune_officer"))
        db.session.commit()
    left = log_in_enrolling(app, "xa.conlai", PASSWORD)
    assert left.get("/u/15073-2024/").status_code == 200 and left.get("/u/15073-2024/villages/").status_code == 200
    assert left.get("/u/15073-2024/villages/new").status_code == 404
    assert left.post("/u/15073-2024/villages/", data={"name": "Làng Mới Lập", "kind": "village"}).status_code == 404
    neighbour = _officer_of(app, "15106")
    for url in ("/u/15085-2024/", "/u/15085/", "/u/15085-2024/persons/", "/u/15073-2024/"):
        assert neighbour.get(url).status_code == 404, url
    assert neighbour.get("/u/15076-2024/").status_code == 200  # its own predecessor's archive


def test_a_lineage_that_leaves_an_old_commune_without_a_successor_is_refused_and_changes_nothing(app, lived_in_2024):
    with app.app_context(), system_scope(db.session):
        db.session.execute(delete(UnitLineage).where(UnitLineage.from_unit_id == _unit("15073-2024").id))
        db.session.commit()
        before = _counts_by_commune()
    refused = _run(app, "tenants", "reform", "thanh-hoa")
    assert refused.exit_code != 0
    assert "15073-2024 Xã Thạch Lập: 0 default successors in the lineage, not one" in refused.output
    assert "nothing was changed" in refused.output
    with app.app_context(), system_scope(db.session):
        assert _counts_by_commune() == before


def test_the_province_moves_a_village_of_a_split_commune_with_everything_attached_to_its_other_successor(
    app, world, login
):
    """World commune C plays a commune the reform split between A (its main part) and B; A's village came
    from C. The province moves it to B: the village, its households, the persons and all their records."""
    from portal.drug_tests.models import DrugTest
    from portal.persons.models import StatusEpisode

    a, b, c = (world.unit_id[k] for k in "ABC")
    village_id = world.row_id[(Village, "A")]
    with app.app_context(), system_scope(db.session):
        db.session.get(AdminUnit, c).valid_to = date(2025, 6, 30)
        for to_unit, default, share in ((a, True, 0.6), (b, False, 0.4)):
            db.session.add(
                UnitLineage(
                    from_unit_id=c, to_unit_id=to_unit, is_default=default, share=share, effective_on=date(2025, 7, 1)
                )
            )
        db.session.get(Village, village_id).former_commune_id = c
        db.session.commit()
        persons = db.session.scalars(select(Person.id).where(Person.village_id == village_id)).all()
        tests = db.session.scalar(select(func.count()).where(DrugTest.person_id.in_(persons)))
        households = db.session.scalar(select(func.count()).where(Household.village_id == village_id))
    province = login("province")
    page = province.get("/u/38/reform/").get_data(as_text=True)
    assert f'id="split-{world.unit_code["C"]}"' in page and f'name="village" value="{village_id}"' in page
    refused = province.post(
        "/u/38/reform/move", data={"village": village_id, "to": world.unit_code["C"]}, follow_redirects=True
    )
    assert "Chưa chuyển thôn" in refused.get_data(as_text=True)
    moved = province.post(
        "/u/38/reform/move", data={"village": village_id, "to": world.unit_code["B"]}, follow_redirects=True
    )
    assert "đã chuyển sang" in moved.get_data(as_text=True), moved.get_data(as_text=True)[-2000:]
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Village, village_id).commune_id == b
        assert set(db.session.scalars(select(Person.commune_id).where(Person.id.in_(persons)))) == {b}
        assert (
            db.session.scalar(select(func.count()).where(DrugTest.person_id.in_(persons), DrugTest.commune_id == b))
            == tests
        )
        assert (
            db.session.scalar(select(func.count()).where(Household.village_id == village_id, Household.commune_id == b))
            == households
        )
        assert not db.session.scalar(
            select(func.count()).where(StatusEpisode.person_id.in_(persons), StatusEpisode.commune_id == a)
        )
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "reform_village_moved")) == 1
    for user in ("officer_a", "district_1"):
        assert login(user).get("/u/38/reform/").status_code == 404


def _sweep(app, client, address: str, level: str, allowed: frozenset) -> list:
    """Every unit route without a row id at the unit: what answers other than expected. GET is allowed
    where its permission is in `allowed`; a write (POST) at an archive is always refused."""
    from tests.isolation.route_inventory import UNIT_ROUTES
    from tests.isolation.sweep import methods_of, url_for_rule

    wrong = []
    for rule in app.url_map.iter_rules():
        route = UNIT_ROUTES.get(rule.endpoint)
        if route is None or route.objects or level not in route.levels:
            continue
        url = url_for_rule(rule.rule, {"unit_code": address, **route.params})
        for method in methods_of(rule):
            status = client.open(url, method=method, data={}).status_code
            expected_ok = method == "GET" and route.permission in allowed
            if (status == 404) == expected_ok:
                wrong.append((method, url, status))
    return wrong


def test_archives_and_successors_answer_every_route_as_the_reach_says(app, lived_in_2024):
    from portal.tenancy.access import ARCHIVE_PERMISSIONS
    from portal.tenancy.roles import ROLES

    assert _run(app, "tenants", "reform", "thanh-hoa").exit_code == 0
    officer = ROLES["commune_officer"].permissions
    moved = log_in_enrolling(app, "xa.quangtrung", PASSWORD)
    neighbour = _officer_of(app, "15106")
    read_only = frozenset(officer & ARCHIVE_PERMISSIONS)
    nothing = frozenset()
    for client, address, allowed in (
        (moved, "15085-2024", read_only),  # its predecessors' archives: read, never write
        (moved, "15088-2024", read_only),
        (moved, "15076-2024", nothing),  # the neighbour's predecessor
        (neighbour, "15085-2024", nothing),
        (neighbour, "15073-2024", nothing),
        (neighbour, "15085", nothing),  # the neighbour's successor
        (neighbour, "15076-2024", read_only),
    ):
        assert _sweep(app, client, address, "commune", allowed) == [], address
