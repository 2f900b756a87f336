"""Every page and fragment a user can open contains no canary of a commune outside their reach."""

import io
import re
import zipfile

from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.hotspots.models import HotspotStatus
from portal.tenancy.guard import system_scope, tenant_models
from tests.isolation.route_inventory import REACH, UNIT_ROUTES
from tests.isolation.sweep import level_of, object_choices, url_for_rule
from tests.world import COMMUNES, UNITS, USERS, canary

CANARY = re.compile(r"CANARY-(\w+)-\d+X")
HTMX_TARGETS = ("register-rows", "register-editor", "account-rows")


def _text_of(response) -> str:
    """A page's text; for a spreadsheet, the text of every XML part inside it."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
            return " ".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
    if response.mimetype == "application/pdf" and response.get_data().startswith(b"%PDF-1.7"):
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    if response.mimetype.startswith(("application/pdf", "image/")):  # a stored scan: its bytes as they are
        return response.get_data().decode("latin-1")
    return response.get_data(as_text=True)


def _visible_canaries(user: str) -> set[str]:
    """Canary keys the user may see: their readable communes' rows, and accounts they manage."""
    allowed = set(REACH["registers.read"][user])
    if user == "district_1":
        allowed |= {"acctA", "acctB", "acctD1"}
    if user == "district_2":
        allowed |= {"acctC", "acctD2"}
    if user == "admin":
        allowed |= {"acct" + k for k in UNITS}
    allowed.add("acct" + USERS[user][1])  # one's own name in the header
    # a dossier holds counts and the commune's words: everyone who sees the commune reads it
    allowed |= {"dossier" + k for k in REACH["unit.view"][user] if k in COMMUNES}
    return allowed


def _get_urls(app, world, user):
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in UNIT_ROUTES or "GET" not in rule.methods:
            continue
        route = UNIT_ROUTES[rule.endpoint]
        for unit_key in UNITS:
            if unit_key not in REACH[route.permission][user] or level_of(unit_key) not in route.levels:
                continue
            values = {"unit_code": world.unit_code[unit_key], **route.params}
            if not route.objects:
                yield rule.endpoint, unit_key, url_for_rule(rule.rule, values)
                continue
            (param, kind), *_ = route.objects.items()
            for ids, _owner, _account in object_choices(world, kind, param):
                yield rule.endpoint, unit_key, url_for_rule(rule.rule, {**values, **ids})


def _variants(endpoint: str):
    """Register and account lists answer searches, filters and htmx fragments (a register's new and edit
    pages are its list with the editor); an export answers the list's searches, not fragments; a row's
    page and other pages answer neither."""
    queries = ("", "?q=canary", "?deleted=1")
    if endpoint.startswith(("recognition.", "rollups.", "criteria.", "units.", "cases.")) or endpoint.endswith(
        ".show"
    ):
        return [({}, "")]
    if endpoint.endswith(".export"):
        return [({}, query) for query in queries]
    return [
        (headers, query)
        for headers in ({}, *({"HX-Request": "true", "HX-Target": t} for t in HTMX_TARGETS))
        for query in queries
    ]


# Rows with no text to carry a canary: a status code and a day, shown only as a hotspot's past status on
# a scorecard (the hotspot itself carries its commune's canary).
NO_TEXT = {HotspotStatus}


def test_every_seeded_row_carries_its_communes_canary(app, world):
    with app.app_context(), system_scope(db.session):
        for model in [m for m in tenant_models if m not in NO_TEXT]:
            for key in COMMUNES:
                row = db.session.get(model, world.row_id[(model, key)])
                assert any(canary(key) in str(getattr(row, c.key)) for c in model.__table__.columns), model


def test_no_page_or_fragment_shows_a_foreign_canary(app, world, session_for):
    pages = 0
    for user in USERS:
        client = session_for(user)
        for endpoint, unit_key, url in _get_urls(app, world, user):
            allowed = _visible_canaries(user)
            if endpoint.startswith("recognition."):
                # a submitted dossier names the commune's villages and prevention models (never a person:
                # tests/recognition proves it) for everyone who sees the commune
                allowed |= {unit_key}
            for headers, query in _variants(endpoint):
                response = client.get(url + query, headers=headers)
                if response.status_code != 200:
                    continue
                pages += 1
                seen = set(CANARY.findall(_text_of(response)))
                assert seen <= allowed, (user, url + query, headers, seen - allowed)
    assert pages > 100


def test_the_owner_does_see_their_own_canaries(app, world, login):
    """The control: the check above would be empty if nothing carried canaries."""
    client = login("officer_a")
    body = client.get(f"/u/{world.unit_code['A']}/villages/").get_data(as_text=True)
    assert canary("A") in body
    client = login("district_1")
    body = client.get(f"/u/{world.unit_code['D1']}/accounts/").get_data(as_text=True)
    assert canary("acctA") in body and canary("acctB") in body
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(db.func.count()).select_from(tenant_models[0])) == len(COMMUNES)
