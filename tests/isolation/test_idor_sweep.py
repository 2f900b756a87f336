"""Every unit route × method × user × unit × object of the seeded world.

Out of reach: 404 (never 403, never 200) and nothing written. Within reach: the route works. The
expectations come from route_inventory.REACH and MANAGED_ACCOUNTS, written by hand.
"""

from functools import partial

import pytest
from flask import Flask

from portal import clock
from portal.drug_tests.models import DrugTest, SuspicionLead
from portal.extensions import db
from portal.persons.models import Person
from portal.prevention.models import PreventionModel
from portal.tenancy.guard import clear_reach, system_scope
from portal.villages.models import Household, Village
from tests.conftest import client_with_session, empty_database
from tests.isolation.route_inventory import MANAGED_ACCOUNTS, REACH, UNIT_ROUTES
from tests.isolation.sweep import (
    COMMUNE_OBJECTS,
    OWN_OBJECTS,
    PARAM_MODEL,
    foreign_fingerprint,
    level_of,
    methods_of,
    object_choices,
    owner_object_ids,
    state_fingerprint,
    url_for_rule,
)
from tests.world import UNITS, USERS, seed_world

# Every role once; the other seeded users are the same roles elsewhere (officer_b, officer_c, district_2).
ONE_USER_PER_ROLE = ("officer_a", "viewer_a", "district_1", "province", "admin")
assert {USERS[u][0] for u in ONE_USER_PER_ROLE} == {role for role, _unit in USERS.values()}


def _rule(app: Flask, endpoint: str):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _cases(world, endpoint: str, user: str):
    """(url values, expected to be allowed) for every unit and every object of the world. A unit out of
    the user's reach is refused by the gate before any object is looked at: it is tried with the objects
    it holds itself (those a broken gate would most likely serve), every other unit with every object."""
    route = UNIT_ROUTES[endpoint]
    for unit_key in UNITS:
        allowed_unit = unit_key in REACH[route.permission][user] and level_of(unit_key) in route.levels
        values = {"unit_code": world.unit_code[unit_key], **route.params}
        if not route.objects:
            yield values, allowed_unit
            continue
        (param, kind), *rest = route.objects.items()
        choices = object_choices(world, kind, param)
        if not allowed_unit:
            own = [c for c in choices if c[1] == unit_key]
            choices = own or choices[:1]
        for ids, owner_unit, account in choices:
            case = {**values, **ids}
            if kind in COMMUNE_OBJECTS:
                allowed = allowed_unit and owner_unit == unit_key
            elif kind in OWN_OBJECTS:
                allowed = allowed_unit and owner_unit == unit_key and account == user
            else:
                allowed = allowed_unit and account in MANAGED_ACCOUNTS.get((user, unit_key), set())
                if rest:  # assignment_id: the named account's own assignment
                    case["assignment_id"] = world.assignment_id[account]
            yield case, allowed


@pytest.fixture(scope="module")
def unchanged_world(_migrated_app):
    """One seeded world for every out-of-reach sweep: each case asserts it changed nothing, so none needs
    a fresh one (seeding anew for each of them was a fifth of the suite's time)."""
    with _migrated_app.app_context():
        empty_database()
        return seed_world()


@pytest.fixture
def unchanged_app(_migrated_app, unchanged_world):
    yield _migrated_app
    with _migrated_app.app_context():
        db.session.rollback()
        clear_reach(db.session)
        db.session.remove()


@pytest.mark.parametrize("guard", ["guard on", "guard off"])
@pytest.mark.parametrize("endpoint", sorted(UNIT_ROUTES))
def test_out_of_reach_answers_404_and_writes_nothing(unchanged_app, unchanged_world, endpoint, guard, request):
    """With the ORM guard off too: the unit gate and the access functions must hold on their own."""
    app, world = unchanged_app, unchanged_world
    session_for = partial(client_with_session, app)
    if guard == "guard off":
        request.getfixturevalue("guard_off")
    rule = _rule(app, endpoint)
    route = UNIT_ROUTES[endpoint]
    refused = 0
    for user in ONE_USER_PER_ROLE:
        client = session_for(user)
        before = state_fingerprint(app)  # after the login, which writes its own audit row
        for values, expected_allowed in _cases(world, endpoint, user):
            url = url_for_rule(rule.rule, values)
            for method in methods_of(rule):
                if expected_allowed:
                    if method == "GET" and guard == "guard on":  # the control: within reach it works
                        response = client.get(url)
                        assert response.status_code == 200, (user, method, url)
                    continue
                response = client.open(url, method=method, data=route.body_for(world))
                assert response.status_code == 404, (user, method, url, response.status_code)
                refused += 1
        # every request above was refused (or a GET): not one row may have changed
        assert state_fingerprint(app) == before, (user, endpoint)
    assert refused > 0


def _owner_values(app, world, endpoint: str) -> dict:
    """URL values for the route's owner acting on their own unit and objects (restore: a deleted row)."""
    route = UNIT_ROUTES[endpoint]
    values = {"unit_code": world.unit_code[route.owner_unit], **route.params, **owner_object_ids(world, route)}
    for param, kind in route.objects.items():
        if kind == "row" and endpoint.endswith(".restore"):
            with app.app_context(), system_scope(db.session):
                db.session.get(PARAM_MODEL[param], values[param]).deleted_at = clock.utcnow()
                db.session.commit()
    if route.prepare:
        with app.app_context(), system_scope(db.session):
            route.prepare(world)
            db.session.commit()
    if "user_id" in route.objects:
        managed = sorted(MANAGED_ACCOUNTS[(route.owner, route.owner_unit)])[0]
        values["user_id"] = world.user_id[managed]
        values["assignment_id"] = world.assignment_id[managed]
    return values


@pytest.mark.parametrize("endpoint", sorted(UNIT_ROUTES))
def test_owner_control_request_works(app, world, session_for, endpoint):
    rule = _rule(app, endpoint)
    route = UNIT_ROUTES[endpoint]
    values = _owner_values(app, world, endpoint)
    client = session_for(route.owner)
    for method in methods_of(rule):
        response = client.open(url_for_rule(rule.rule, values), method=method, data=route.body_for(world))
        assert response.status_code in (200, 302), (method, response.status_code)
        if method == "POST":
            body = response.get_data(as_text=True)
            assert 'class="error"' not in body and "error-summary" not in body, body[:3000]


# Form fields that name another row of the commune, and the model they name.
FOREIGN_REFS = {
    "village_id": Village,
    "person_id": Person,
    "household_id": Household,
    "model_id": PreventionModel,
    "lead_id": SuspicionLead,
    "test_id": DrugTest,
}


def _post_endpoints() -> list[str]:
    from portal import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods} & set(UNIT_ROUTES))


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_foreign_ids_in_the_body_change_nothing_outside_reach(app, world, session_for, endpoint):
    """The owner posts the route's form with every id-like field pointing at the other district."""
    rule = _rule(app, endpoint)
    route = UNIT_ROUTES[endpoint]
    foreign = {"D2", "C", "P"} if route.owner_unit in ("A", "D1") else {"D1", "A", "B", "P"}
    values = _owner_values(app, world, endpoint)
    body = {
        **route.body_for(world),
        "commune_id": world.unit_id["C"],
        "unit_id": world.unit_id["C"],
        "unit_code": world.unit_code["C"],
        "household_code": "HH-C",
        "user_id": world.user_id["officer_c"],
        "assignment_id": world.assignment_id["officer_c"],
        **{field: world.row_id[(model, "C")] for field, model in FOREIGN_REFS.items()},
    }
    before = foreign_fingerprint(app, world, foreign)
    client = session_for(route.owner)
    response = client.post(url_for_rule(rule.rule, values), data=body)
    assert response.status_code in (200, 302)
    assert foreign_fingerprint(app, world, foreign) == before


def test_a_commune_id_sent_by_the_client_is_ignored(app, world, login):
    client = login("officer_a")
    response = client.post(
        f"/u/{world.unit_code['A']}/villages/",
        data={"name": "Thôn Gửi Nhầm", "kind": "village", "commune_id": world.unit_id["B"]},
    )
    assert response.status_code == 302
    with app.app_context(), system_scope(db.session):
        created = db.session.execute(db.select(Village).filter_by(name="Thôn Gửi Nhầm")).scalar_one()
        assert created.commune_id == world.unit_id["A"]
