"""What a page costs the database, counted in statements (never timed): the main pages stay within the
issue's budgets, knowing who the user is costs one statement, and what each worker keeps (the unit
tree) never outlives a change: a logout, a role taken away or a renamed unit counts at the next request."""

import os
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import delete, select, text, update

from portal import clock
from portal.auth import identity
from portal.auth.models import RoleAssignment, User
from portal.criteria.models import CriteriaVersion, Criterion
from portal.criteria.results import version_in_force
from portal.criteria.versions import draft_from, publish
from portal.extensions import db
from portal.recognition.models import Dossier
from portal.tenancy import tree
from portal.tenancy.database import owner_engine
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from tests.conftest import count_statements, statements_of


def test_knowing_who_the_user_is_costs_one_statement(app, world, login):
    """Session, account, roles and the tree's stamp together: on SQLite in the request's session; on
    PostgreSQL on the worker's own connection (portal/auth/identity.py), so that the page, which reads
    nothing else, takes no connection from the pool at all."""
    client = login("officer_a")
    client.get("/account/password")  # the last-seen time written once; the tree read once
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    statements = statements_of(app, client, "/account/password")
    if postgresql:
        assert statements == []
        assert [k for k in identity._CURSORS if k[0] == os.getpid()]  # read on the worker's own connection
        return
    assert len(statements) == 1
    assert "user_session" in statements[0] and "role_assignment" in statements[0] and "tree_stamp" in statements[0]


def test_a_page_that_changes_nothing_sends_no_cookie(app, world, login):
    """The cookie, signed at the login, expires at the absolute limit; the idle limit is kept by the server
    (tests/auth/test_login.py), so an ordinary page re-signs nothing."""
    client = login("officer_a")
    client.get("/account/password")  # the form's token is kept in the session the first time
    response = client.get("/account/password")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    language = client.post("/language", data={"lang": "en", "next": "/account/password"})
    assert "portal_session=" in language.headers["Set-Cookie"]  # a change of the session is sent


def test_the_main_pages_stay_within_their_statement_budgets(app, world, login):
    commune, district, province = login("officer_a"), login("district_1"), login("province")
    a = world.unit_code["A"]
    budgets = [
        (commune, "/account/password", 2),  # a logged-in page with no data
        (commune, f"/u/{a}/", 6),  # the commune workspace: scorecard, register counts, recognition
        (commune, f"/u/{a}/persons/", 5),  # a register list: rows with their total, episodes, filters, audit
        (commune, f"/u/{a}/households/?q=a", 5),
        (district, "/u/389/", 8),
        (province, "/u/38/", 8),
    ]
    for client, url, budget in budgets:
        client.get(url)
        assert count_statements(app, client, url) <= budget, url


def test_the_workspace_asks_for_what_is_due_after_it_is_shown(app, world, login):
    client = login("officer_a")
    a = world.unit_code["A"]
    page = client.get(f"/u/{a}/").get_data(as_text=True)
    assert f'hx-get="/u/{a}/due/count" hx-trigger="load"' in page
    count = client.get(f"/u/{a}/due/count").get_data(as_text=True)
    due = client.get(f"/u/{a}/due/").get_data(as_text=True)
    shown = int(count.split("Việc cần xử lý: ")[1].split("<")[0].split(" ")[0])
    listed = due.count('<tr class="due">') + due.count('<tr class="overdue">')
    assert shown == listed > 0  # the count is the due list's length


def test_a_logout_counts_at_once_for_every_copy_of_the_cookie(app, world, login):
    first = login("officer_a")
    second = app.test_client()
    second.set_cookie("portal_session", first.get_cookie("portal_session").value)
    assert second.get("/account/password").status_code == 200
    first.post("/logout")
    assert second.get("/account/password").status_code == 302


def test_a_role_taken_away_counts_at_the_next_request(app, world, login):
    client = login("officer_a")
    a = world.unit_code["A"]
    assert client.get(f"/u/{a}/persons/").status_code == 200
    with app.app_context(), system_scope(db.session):
        user_id = db.session.scalar(select(User.id).where(User.username == "officer_a"))
        db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
        db.session.commit()
    assert client.get(f"/u/{a}/persons/").status_code == 404


def test_a_renamed_unit_is_read_again_by_every_worker(app, world, login):
    client = login("officer_a")
    a = world.unit_code["A"]
    assert "Xã Quang Trung" in client.get(f"/u/{a}/").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        stamp = tree.current().stamp
        db.session.get(AdminUnit, world.unit_id["A"]).name = "Xã Quang Trung Mới"
        db.session.commit()
    page = client.get(f"/u/{a}/").get_data(as_text=True)
    assert "Xã Quang Trung Mới" in page
    with app.app_context():
        assert tree.current().stamp != stamp


CRITERION_COLUMNS = (
    "position",
    "code",
    "metric",
    "comparator",
    "threshold",
    "window",
    "label_vi",
    "label_en",
    "rule_vi",
    "rule_en",
)


def _tile(page: str, code: str, register: str) -> int:
    """The count on the workspace's tile of a register."""
    found = re.search(
        rf'href="/u/{code}/{register}/">\s*<span class="tile-title">[^<]*</span>\s*'
        r'<span class="tile-value">([\d.]+)</span>',
        page,
    )
    return int(found.group(1).replace(".", ""))


def test_a_kept_workspace_costs_two_statements_and_a_write_draws_it_again(app, world, login):
    """Each worker keeps the workspace's content under its units' stamps (portal/home/kept.py): the next
    view sends the login's statement and the stamps' alone; the officer's own write shows at once."""
    client = login("officer_a")
    a = world.unit_code["A"]
    before = client.get(f"/u/{a}/").get_data(as_text=True)
    statements = statements_of(app, client, f"/u/{a}/")
    with app.app_context():  # the login's statement, on SQLite (PostgreSQL: on the worker's own connection)
        logins = 0 if db.engine.dialect.name == "postgresql" else 1
    assert len(statements) == logins + 1 and "unit_stamp" in statements[-1]
    assert client.get(f"/u/{a}/").get_data(as_text=True) == before
    assert client.post(f"/u/{a}/villages/", data={"name": "Thôn Mới Lập", "kind": "village"}).status_code == 302
    after = client.get(f"/u/{a}/").get_data(as_text=True)
    assert _tile(after, a, "villages") == _tile(before, a, "villages") + 1


def test_a_kept_workspace_is_each_viewers_own_by_their_permissions_and_language(app, world, login):
    a = world.unit_code["A"]
    officer = login("officer_a").get(f"/u/{a}/").get_data(as_text=True)
    assert f'href="/u/{a}/imports/"' in officer  # an officer imports; a viewer does not
    viewer = login("viewer_a")
    assert f'href="/u/{a}/imports/"' not in viewer.get(f"/u/{a}/").get_data(as_text=True)
    viewer.post("/language", data={"lang": "en", "next": f"/u/{a}/"})
    english = viewer.get(f"/u/{a}/").get_data(as_text=True)
    assert "Drug-free criteria" in english and "Tiêu chí" not in english.split('id="scorecard-title"')[1][:200]


def test_a_kept_workspace_follows_its_dossier_the_criteria_and_the_day(app, world, login):
    client = login("officer_a")
    a = world.unit_code["A"]
    assert "Đã công nhận" in client.get(f"/u/{a}/").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):  # as another worker would write it
        dossier = db.session.get(Dossier, world.dossier_id["A"])
        dossier.valid_until = clock.today() - timedelta(days=1)
        db.session.commit()
    assert "Hết thời hạn công nhận" in client.get(f"/u/{a}/").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        province = db.session.get(AdminUnit, world.unit_id["P"])
        current = version_in_force()
        draft = draft_from(current) | {"note": "v mới", "effective_from": clock.today().strftime("%d/%m/%Y")}
        number = publish(province, None, draft, current).number
        db.session.commit()
    assert f"phiên bản {number}" in client.get(f"/u/{a}/").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):  # a version loaded as `tenants sync` loads one: no rebuild
        current = version_in_force()
        loaded = CriteriaVersion(province_id=current.province_id, number=number + 1, note="", rules=current.rules)
        loaded.effective_from = clock.today()
        loaded.criteria = [Criterion(**{k: getattr(c, k) for k in CRITERION_COLUMNS}) for c in current.criteria]
        db.session.add(loaded)
        db.session.commit()
    assert f"phiên bản {number + 1}" in client.get(f"/u/{a}/").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        db.session.get(Dossier, world.dossier_id["A"]).valid_until = clock.today() + timedelta(days=1)
        db.session.commit()
    assert "Đã công nhận" in client.get(f"/u/{a}/").get_data(as_text=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=True):  # the validity ends overnight
        assert "Hết thời hạn công nhận" in login("officer_a").get(f"/u/{a}/").get_data(as_text=True)


def test_a_change_of_the_account_by_any_path_counts_at_the_next_request(app, world, login):
    """Nothing of an account is kept between requests: a change by any path, here a bare UPDATE as another
    server or a command would send it, counts at the next request."""
    client = login("officer_a")
    assert "(officer_a)" in client.get("/account/password").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(User).where(User.username == "officer_a").values(username="officer_a2"))
        db.session.commit()
    assert "(officer_a2)" in client.get("/account/password").get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(User).where(User.username == "officer_a2").values(must_change_password=True))
        db.session.commit()
    assert client.get(f"/u/{world.unit_code['A']}/").headers["Location"].endswith("/account/password")


def test_a_lost_identity_connection_costs_no_request(app, world, login):
    """PostgreSQL ends the worker's own connection (a restart, an administrator): the next request asks in
    its session and is served; the one after connects again."""
    client = login("officer_a")
    client.get("/account/password")
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        mine = [cursor for key, cursor in identity._CURSORS.items() if key[0] == os.getpid()]
        lost = mine[0].connection.info.backend_pid
        with owner_engine().begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    assert "(officer_a)" in client.get("/account/password").get_data(as_text=True)
    assert "(officer_a)" in client.get("/account/password").get_data(as_text=True)
    again = [cursor for key, cursor in identity._CURSORS.items() if key[0] == os.getpid()]
    assert again and again[0].connection.info.backend_pid != lost
