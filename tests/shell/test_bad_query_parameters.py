"""No query parameter makes a 500: every page of the route inventory, as its owner, with every parameter
the portal reads set to a number no database integer holds, a negative one, a line break, a NUL byte, a
long string. A NUL byte is refused (400); the others are ignored or refused, never a crash."""

import re
from pathlib import Path

import pytest

from portal.registers.registry import REGISTERS
from tests.conftest import client_with_session
from tests.isolation.route_inventory import ANY_USER_ROUTES, UNIT_ROUTES
from tests.isolation.sweep import url_for_rule
from tests.isolation.test_idor_sweep import _owner_values, _rule

PORTAL = Path(__file__).resolve().parents[2] / "portal"
HOSTILE = {
    "huge": "9" * 23,
    "negative": "-99999999999999999999",
    "line break": "/u/15085/\r\nSet-Cookie: x=1",
    "NUL": "a\x00b",
    "long": "ắ" * 5000,
}


def _parameters() -> set[str]:
    """Every query or form parameter the portal's code reads, and every register filter and preset."""
    found = set()
    for path in PORTAL.rglob("*.py"):
        found |= set(re.findall(r'(?:args|form)\.get\("([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def _gets() -> list[str]:
    from portal import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    gets = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    names = _parameters()
    for register in REGISTERS.values():
        names |= {f.key for f in register.filters} | set(register.prefill)
    return sorted(e for e in UNIT_ROUTES if e in gets), sorted(names)


ENDPOINTS, PARAMETERS = _gets()


def test_the_parameters_are_those_the_pages_read():
    assert {"page", "q", "sort", "village", "next", "round", "from", "to", "user", "person_id"} <= set(PARAMETERS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_query_parameter_makes_a_500(app, world, endpoint):
    route = UNIT_ROUTES[endpoint]
    url = url_for_rule(_rule(app, endpoint).rule, _owner_values(app, world, endpoint))
    client = client_with_session(app, route.owner)
    for name, value in HOSTILE.items():
        response = client.get(url, query_string={p: value for p in PARAMETERS})
        assert response.status_code < 500, (name, response.status_code)
        if name == "NUL":
            assert response.status_code == 400


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_one_bad_parameter_at_a_time_on_a_register_list(app, world, name):
    """All at once, one refused parameter could hide another: the list's own, one by one."""
    client = client_with_session(app, "officer_a")
    for parameter in ("page", "village", "sort", "q", "status", "kind", "deleted"):
        response = client.get("/u/15085/hotspots/", query_string={parameter: HOSTILE[name]})
        assert response.status_code == (400 if name == "NUL" or (parameter, name) == ("page", "huge") else 200), (
            parameter,
            response.status_code,
        )


def test_the_pages_of_any_user_and_the_language_switch_take_no_500(app, world):
    client = client_with_session(app, "officer_a")
    for endpoint in sorted(ANY_USER_ROUTES - {"auth.logout"}):
        for value in HOSTILE.values():
            response = client.get(url_for_rule(_rule(app, endpoint).rule, {}), query_string={"next": value})
            assert response.status_code < 500, endpoint
    for value in ("/u/15085/\r\nX: y", "/u/15085/\nx", "/\x7f"):
        response = client.post("/language", data={"lang": "vi", "next": value})
        assert response.status_code == 302 and "\n" not in response.headers["Location"]
        assert response.headers["Location"] == "/"


def test_a_nul_byte_in_a_form_field_is_refused_and_nothing_is_saved(app, world):
    client = client_with_session(app, "officer_a")
    before = client.get("/u/15085/hotspots/").get_data(as_text=True).count("Bãi")
    response = client.post("/u/15085/hotspots/", data={"place": "Bãi\x00 sông", "kind": "use_point"})
    assert response.status_code == 400
    assert client.get("/u/15085/hotspots/").get_data(as_text=True).count("Bãi") == before
