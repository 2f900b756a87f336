from portal.extensions import db
from portal.tenancy.models import AdminUnit
from tests.isolation.route_inventory import ANY_USER_ROUTES, PUBLIC_ROUTES, UNIT_ROUTES


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    classified = PUBLIC_ROUTES | ANY_USER_ROUTES | set(UNIT_ROUTES)
    assert endpoints - classified == set(), "classify these new routes in tests/isolation/route_inventory.py"
    assert classified - endpoints == set(), "these classified routes no longer exist"


def test_unit_routes_declare_the_permission_the_inventory_expects(app, world):
    with app.app_context():
        commune = db.session.get(AdminUnit, world.unit_id["A"])
        for endpoint, expected in UNIT_ROUTES.items():
            view = app.view_functions[endpoint]
            required = view.required_permission
            # a permission that depends on the unit (who appraises: Thanh Hóa's plan.json says its areas)
            required = required(commune) if callable(required) else required
            assert required == expected.permission, endpoint
            assert tuple(view.unit_levels) == expected.levels, endpoint


def test_every_unit_route_lives_under_the_unit_url(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNIT_ROUTES:
            assert rule.rule.startswith("/u/<unit_code>/"), rule.rule
        else:
            assert not rule.rule.startswith("/u/"), rule.rule


def test_routes_outside_units_refuse_anonymous_users_where_they_must(app, world):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ANY_USER_ROUTES:
            method = "POST" if "POST" in rule.methods and "GET" not in rule.methods else "GET"
            response = client.open(rule.rule, method=method)
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule.rule
