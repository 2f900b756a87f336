"""A register list with personal data records its read (one committed audit row) and still runs the same
number of queries for one row as for twelve: the commit must not send the template back to the database
row by row."""

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.tenancy.guard import set_reach, system_scope
from portal.villages.models import Household, Village
from tests.conftest import count_statements


def test_a_personal_list_runs_as_many_queries_for_twelve_rows_as_for_one(app, world, login):
    client = login("officer_a")
    url = f"/u/{world.unit_code['A']}/households/"
    one = count_statements(app, client, url)
    a = world.unit_id["A"]
    with app.app_context():
        set_reach(db.session, read=frozenset({a}), write=frozenset({a}), actor_id=world.user_id["officer_a"])
        village = db.session.get(Village, world.row_id[(Village, "A")])
        for n in range(11):
            db.session.add(
                Household(
                    commune_id=a, code=f"HH-N{n}", representative_name=f"Hộ {n}", village_id=village.id, members=3
                )
            )
        db.session.commit()
    twelve = count_statements(app, client, url)
    assert twelve == one
    with app.app_context(), system_scope(db.session):  # and each view was recorded
        households = AuditEvent.action == "read", AuditEvent.object_type == "household"
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(*households)) == 2
