"""The layout's header is kept drawn by each worker (portal/shell/layout.py: site_header), under the
account, its roles' units, the unit tree, the language and the address: every one of them counts at the
next request, and the form token and the page's address in it are always the request's own."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import delete, select

from portal.auth.models import RoleAssignment, User
from portal.extensions import db
from portal.shell import layout
from portal.shell.drawn import Drawings
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit


def _menu(page: str) -> str:
    return page.split('<nav class="site-nav"')[1].split("</nav>")[0]


def _tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', page.split("</header>")[0]))


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_kept_header_carries_each_sessions_own_form_token(csrf_on, world, login):
    """Two sessions of one account share the kept header; each page's forms carry its own session's
    token, which its session accepts and the other refuses."""
    csrf_on.config["WTF_CSRF_ENABLED"] = False
    first, second = login("officer_a"), login("officer_a")
    csrf_on.config["WTF_CSRF_ENABLED"] = True
    (first_token,) = _tokens(first.get("/account/password").get_data(as_text=True))
    (second_token,) = _tokens(second.get("/account/password").get_data(as_text=True))  # the kept header
    assert first_token != second_token
    refused = second.post("/language", data={"lang": "en", "next": "/", "csrf_token": first_token})
    assert refused.status_code == 400
    accepted = second.post("/language", data={"lang": "en", "next": "/", "csrf_token": second_token})
    assert accepted.status_code == 302


def test_a_form_token_signed_earlier_counts_unless_tokens_have_a_time_limit(csrf_on, world, login):
    """Each worker signs a session's token once (portal/shell/security.py): a page long after still
    carries a token its session accepts; where tokens are given a time limit, each page's is signed
    anew, so it is not refused once the first page's token has grown too old."""
    csrf_on.config["WTF_CSRF_ENABLED"] = False
    client = login("officer_a")
    csrf_on.config["WTF_CSRF_ENABLED"] = True
    client.get("/account/password")
    later = datetime.now(UTC) + timedelta(minutes=20)
    with time_machine.travel(later, tick=True):
        (token,) = _tokens(client.get("/account/password").get_data(as_text=True))
        assert client.post("/language", data={"lang": "vi", "next": "/", "csrf_token": token}).status_code == 302
    csrf_on.config["WTF_CSRF_TIME_LIMIT"] = 60
    try:
        with time_machine.travel(later + timedelta(minutes=1), tick=True) as traveller:
            assert client.get("/account/password").status_code == 200  # a token signed now
            traveller.shift(timedelta(minutes=2))  # older than its limit
            (token,) = _tokens(client.get("/account/password").get_data(as_text=True))
            assert client.post("/language", data={"lang": "vi", "next": "/", "csrf_token": token}).status_code == 302
    finally:
        csrf_on.config["WTF_CSRF_TIME_LIMIT"] = None


def test_a_kept_header_sends_the_language_switch_back_to_the_page_shown(app, world, login):
    client = login("officer_a")
    client.get("/account/password")
    page = client.get("/account/password?a=1&b=<2>").get_data(as_text=True)
    assert 'name="next" value="/account/password?a=1&amp;b=&lt;2&gt;"' in page
    other = client.get(f"/u/{world.unit_code['A']}/").get_data(as_text=True)
    assert f'name="next" value="/u/{world.unit_code["A"]}/?"' in other


def test_the_menu_follows_a_role_given_or_taken_at_the_next_request(app, world, login):
    client = login("officer_a")
    b = world.unit_code["B"]
    assert f'href="/u/{b}/"' not in _menu(client.get("/account/password").get_data(as_text=True))
    with app.app_context(), system_scope(db.session):
        user_id = db.session.scalar(select(User.id).where(User.username == "officer_a"))
        db.session.add(RoleAssignment(user_id=user_id, unit_id=world.unit_id["B"], role="commune_viewer"))
        db.session.commit()
    assert f'href="/u/{b}/"' in _menu(client.get("/account/password").get_data(as_text=True))
    with app.app_context(), system_scope(db.session):
        db.session.execute(delete(RoleAssignment).where(RoleAssignment.unit_id == world.unit_id["B"]))
        db.session.commit()
    assert f'href="/u/{b}/"' not in _menu(client.get("/account/password").get_data(as_text=True))


def test_the_menu_is_each_accounts_own_in_its_own_language(app, world, login):
    officer, district = login("officer_a"), login("district_1")
    mine = _menu(officer.get("/account/password").get_data(as_text=True))
    theirs = _menu(district.get("/account/password").get_data(as_text=True))
    assert "(officer_a)" in mine and "Xã Quang Trung" in mine and "Huyện Ngọc Lặc" not in mine
    assert "(district_1)" in theirs and "Huyện Ngọc Lặc" in theirs and "Xã Quang Trung" not in theirs
    assert "Đổi mật khẩu" in mine
    officer.post("/language", data={"lang": "en", "next": "/account/password"})
    english = _menu(officer.get("/account/password").get_data(as_text=True))
    assert "Change password" in english and "Đổi mật khẩu" not in english
    officer.post("/language", data={"lang": "vi", "next": "/account/password"})
    assert "Đổi mật khẩu" in _menu(officer.get("/account/password").get_data(as_text=True))


def test_the_menu_shows_a_renamed_unit_at_the_next_request(app, world, login):
    client = login("officer_a")
    assert "Xã Quang Trung<" in _menu(client.get("/account/password").get_data(as_text=True))
    with app.app_context(), system_scope(db.session):
        db.session.get(AdminUnit, world.unit_id["A"]).name = "Xã Quang Trung Mới"
        db.session.commit()
    assert "Xã Quang Trung Mới<" in _menu(client.get("/account/password").get_data(as_text=True))


def test_a_visitors_header_has_no_menu_and_its_own_token(csrf_on, world):
    first, second = csrf_on.test_client(), csrf_on.test_client()
    one = first.get("/login").get_data(as_text=True)
    two = second.get("/login").get_data(as_text=True)
    assert "Đổi mật khẩu" not in _menu(one)
    assert _tokens(one) and _tokens(one) != _tokens(two)


def test_a_pages_own_variables_never_reach_the_kept_header(app, world, monkeypatch):
    """The header is drawn from the layout's helpers alone: a page passing a variable of the same name
    as one of them (here an empty list of units) changes neither its menu nor what is kept for others."""
    monkeypatch.setattr(layout, "_HEADERS", Drawings(limit=8))
    with app.test_request_context("/account/password"):
        login_user(db.session.scalar(select(User).where(User.username == "officer_a")))
        page = render_template_string('{% extends "base.html" %}', home_units=lambda: [], can=lambda *a: False)
    assert f'href="/u/{world.unit_code["A"]}/"' in _menu(page)
