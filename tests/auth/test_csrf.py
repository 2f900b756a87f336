"""Every state-changing route refuses a request without a valid CSRF token; GET never writes."""

import pytest

from tests.isolation.route_inventory import UNIT_ROUTES
from tests.isolation.sweep import methods_of, owner_object_ids, state_fingerprint, url_for_rule
from tests.world import PASSWORD


def _real_ids(world, route) -> dict:
    """URL values naming the route owner's own unit and rows, so that only the token can be at fault."""
    values = {
        "unit_code": world.unit_code[route.owner_unit],
        "user_id": world.user_id["officer_b"],
        "assignment_id": world.assignment_id["officer_b"],
        **route.params,
        **owner_object_ids(world, route),
    }
    return values


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def test_login_without_a_token_is_refused(csrf_app, world):
    response = csrf_app.test_client().post("/login", data={"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu có thể đã hết hạn" in response.get_data(as_text=True)


def test_every_post_route_refuses_a_missing_or_forged_token(csrf_app, world, login):
    app = csrf_app
    app.config["WTF_CSRF_ENABLED"] = False
    clients = {name: login(name) for name in {r.owner for r in UNIT_ROUTES.values()}}
    app.config["WTF_CSRF_ENABLED"] = True
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        client, values, body = clients["officer_a"], {}, lambda: {"lang": "en"}
        if rule.endpoint in UNIT_ROUTES:
            route = UNIT_ROUTES[rule.endpoint]
            client, values = clients[route.owner], _real_ids(world, route)
            body = lambda route=route: route.body_for(world)  # noqa: E731 - a fresh body (a file is read once)
        before = state_fingerprint(app)
        for token in (None, "forged-token"):
            data = body() if token is None else {**body(), "csrf_token": token}
            response = client.post(url_for_rule(rule.rule, values), data=data)
            assert response.status_code == 400, rule.rule
        assert state_fingerprint(app) == before, rule.rule
        checked += 1
    assert checked >= 60


def test_get_requests_never_write(app, world, login):
    clients = [login(user) for user in ("officer_a", "district_1", "admin")]
    before = state_fingerprint(app)  # after the logins, which do write (audit, last login)
    for client in clients:
        for rule in app.url_map.iter_rules():
            if rule.endpoint not in UNIT_ROUTES or "GET" not in methods_of(rule):
                continue
            route = UNIT_ROUTES[rule.endpoint]
            client.get(url_for_rule(rule.rule, _real_ids(world, route)))
    assert state_fingerprint(app) == before
