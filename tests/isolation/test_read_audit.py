"""Finding 2 of the second red team: every page that shows a person's name records the read.

By construction: every GET route of the inventory, as every role, over the world whose names carry
canaries. Wherever a page shows the name of a seeded row (a person, a household's representative, a
pledge's signer, a village head), an audit row of that request, by that user, must name that row."""

import json

import pytest
from sqlalchemy import func, select

from portal.audit.actions import EXPORT, READ
from portal.audit.models import AuditEvent
from portal.cases.models import TeamMember
from portal.extensions import db
from portal.persons.models import Person
from portal.tenancy.guard import system_scope
from portal.villages.models import Household, HouseholdCommitment, Village, VillageHeadCommitment
from tests.isolation.route_inventory import ANY_USER_ROUTES
from tests.isolation.test_canaries import _get_urls, _text_of
from tests.world import COMMUNES, USERS

# The fields of the world's rows that hold a person's name, written out by hand.
NAMES = {
    Person: "full_name",
    TeamMember: "full_name",
    Household: "representative_name",
    HouseholdCommitment: "signer_name",
    Village: "head_name",
    VillageHeadCommitment: "head_name",
}


def _names(app, world) -> list[tuple[str, int, str]]:
    """(table, id, the name it shows) for every seeded row that names a person."""
    with app.app_context(), system_scope(db.session):
        found = []
        for model, field in NAMES.items():
            for key in COMMUNES:
                row = db.session.get(model, world.row_id[(model, key)])
                if getattr(row, field):
                    found.append((model.__tablename__, row.id, getattr(row, field)))
        return found


def _recorded(app, since: int, user_id: int) -> set[tuple[str, int]]:
    """(table, id) that the audit rows written after `since` by the user name as read or exported."""
    with app.app_context(), system_scope(db.session):
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.id > since, AuditEvent.user_id == user_id, AuditEvent.action.in_((READ, EXPORT))
            )
        ).all()
        named = set()
        for event in events:
            after = json.loads(event.after) if event.after else {}
            for row_id in after.get("ids", []):
                named.add((event.object_type, int(row_id)))
            if event.object_id:
                named.add((event.object_type, int(event.object_id)))
        db.session.rollback()
        return named


def _last_id(app) -> int:
    with app.app_context(), system_scope(db.session):
        return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def _urls(app, world, user):
    yield from _get_urls(app, world, user)
    for endpoint in sorted(ANY_USER_ROUTES):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "GET" in rule.methods and not rule.arguments:
            yield endpoint, None, rule.rule


# Every role once (officer_b, officer_c and district_2 hold the same roles elsewhere).
ONE_USER_PER_ROLE = ("officer_a", "viewer_a", "district_1", "province", "admin")
assert {USERS[u][0] for u in ONE_USER_PER_ROLE} == {role for role, _unit in USERS.values()}


@pytest.mark.parametrize("user", ONE_USER_PER_ROLE)
def test_every_page_that_shows_a_name_records_whose(app, world, session_for, user):
    names = _names(app, world)
    client = session_for(user)
    shown_somewhere = 0
    for endpoint, _unit, url in _urls(app, world, user):
        searches = ("", "?q=canary") if endpoint.endswith(".index") else ("",)  # the lists answer searches
        for query in searches:
            since = _last_id(app)
            response = client.get(url + query)
            if response.status_code != 200:
                continue
            text = _text_of(response)
            shown = {(table, row_id) for table, row_id, name in names if name in text}
            if not shown:
                continue
            shown_somewhere += 1
            missing = shown - _recorded(app, since, world.user_id[user])
            assert not missing, (user, endpoint, url + query, sorted(missing))
    if user in ("officer_a", "district_1"):  # the control: these pages do show names
        assert shown_somewhere > 10
