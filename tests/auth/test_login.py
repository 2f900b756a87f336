"""Accounts and sessions, as security.md sets the bar."""

from datetime import timedelta

from sqlalchemy import select, update

from portal import clock
from portal.auth.models import User, UserSession
from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.extensions import db
from portal.tenancy.guard import system_scope
from tests.world import PASSWORD


def _post_login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def _error_of(response) -> str:
    text = response.get_data(as_text=True)
    return text.split('class="error-summary" role="alert">')[1].split("<")[0]


def test_passwords_are_argon2id_with_at_least_owasp_cost():
    stored = hash_password("một mật khẩu đủ dài 2025")
    assert stored.startswith("$argon2id$v=19$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2


def test_a_64_character_password_works(app, world):
    long_password = "Cán bộ công an xã Quang Trung 2025 giữ gìn bí mật nhà nước!!!!!!"
    assert len(long_password) == 64 and password_problem(long_password) is None
    with app.app_context(), system_scope(db.session):
        db.session.execute(
            update(User).where(User.username == "officer_a").values(password_hash=hash_password(long_password))
        )
        db.session.commit()
    assert _post_login(app.test_client(), "officer_a", long_password).status_code == 302


def test_common_short_and_username_passwords_are_refused():
    for weak in ("password123", "123456789a", "qwertyuiop", "iloveyou12"):
        assert password_problem(weak) is not None, weak
    assert password_problem("ngắn") is not None
    assert password_problem("officer_a-2025-xyz", "officer_a") is not None
    assert password_problem("Lúa chín vàng đồng quê 1975") is None


def test_unknown_user_and_wrong_password_get_the_same_answer(app, world):
    unknown = _post_login(app.test_client(), "nobody.at.all", "whatever password")
    wrong = _post_login(app.test_client(), "officer_a", "wrong password 1")
    assert unknown.status_code == wrong.status_code == 401
    assert _error_of(unknown) == _error_of(wrong) == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_a_disabled_account_gets_the_same_answer(app, world):
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(User).where(User.username == "officer_a").values(active=False))
        db.session.commit()
    response = _post_login(app.test_client(), "officer_a", PASSWORD)
    assert response.status_code == 401 and _error_of(response) == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_five_failures_throttle_the_account_even_for_the_right_password(app, world):
    client = app.test_client()
    for _ in range(5):
        assert _post_login(client, "officer_a", "wrong password 1").status_code == 401
    response = _post_login(app.test_client(), "officer_a", PASSWORD)
    assert response.status_code == 401 and "Đăng nhập sai quá nhiều lần" in _error_of(response)
    # another account is not affected
    assert _post_login(app.test_client(), "officer_b", PASSWORD).status_code == 302


def test_throttling_does_not_tell_whether_the_account_exists(app, world):
    for name in ("officer_a", "ghost.user"):
        for _ in range(5):
            _post_login(app.test_client(), name, "wrong password 1")
    real = _error_of(_post_login(app.test_client(), "officer_a", "wrong password 1"))
    ghost = _error_of(_post_login(app.test_client(), "ghost.user", "wrong password 1"))
    assert real == ghost


def test_the_throttle_ends_after_the_window(app, world):
    for _ in range(5):
        _post_login(app.test_client(), "officer_a", "wrong password 1")
    with app.app_context(), system_scope(db.session):
        from portal.auth.models import LoginAttempt

        db.session.execute(update(LoginAttempt).values(at=clock.utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert _post_login(app.test_client(), "officer_a", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, world):
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    for n in range(limit):
        _post_login(app.test_client(), f"guess{n}", "wrong password 1")
    assert _post_login(app.test_client(), "officer_b", PASSWORD).status_code == 401


def test_login_rotates_the_session(app, world):
    client = app.test_client()
    client.post("/language", data={"lang": "vi"})
    before = client.get_cookie("portal_session").value
    _post_login(client, "officer_a", PASSWORD)
    after = client.get_cookie("portal_session").value
    assert before != after
    second = app.test_client()
    _post_login(second, "officer_a", PASSWORD)
    with app.app_context(), system_scope(db.session):
        tokens = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(set(tokens)) == 2  # each login its own server-side session


def test_a_cookie_replayed_after_logout_is_refused(app, world, login):
    client = login("officer_a")
    cookie = client.get_cookie("portal_session").value
    assert client.get("/u/15085/").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("portal_session", cookie)
    response = replay.get("/u/15085/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _age_sessions(app, column: str, **delta):
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(UserSession).values({column: clock.utcnow() - timedelta(**delta)}))
        db.session.commit()


def test_idle_sessions_end_after_30_minutes(app, world, login):
    client = login("officer_a")
    _age_sessions(app, "last_seen_at", minutes=31)
    assert client.get("/u/15085/").status_code == 302


def test_sessions_end_after_12_hours_even_when_busy(app, world, login):
    client = login("officer_a")
    _age_sessions(app, "created_at", hours=12, minutes=1)  # last seen just now
    assert client.get("/u/15085/").status_code == 302


def test_a_recently_used_session_lives_on(app, world, login):
    client = login("officer_a")
    _age_sessions(app, "last_seen_at", minutes=29)
    assert client.get("/u/15085/").status_code == 200


def test_a_disabled_account_is_out_at_its_next_request(app, world, login):
    client = login("officer_a")
    admin = login("admin")
    admin.post(f"/u/38/accounts/{world.user_id['officer_a']}/disable")
    assert client.get("/u/15085/").status_code == 302


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, world, login):
    here, elsewhere = login("officer_a"), login("officer_a")
    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Sông Mã chảy về xuôi 1968",
            "confirm_password": "Sông Mã chảy về xuôi 1968",
        },
    )
    assert response.status_code == 302
    assert here.get("/u/15085/").status_code == 200
    assert elsewhere.get("/u/15085/").status_code == 302
    with app.app_context(), system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == "officer_a"))
        assert verify_password(user.password_hash, "Sông Mã chảy về xuôi 1968")


def test_password_change_errors_are_shown_and_nothing_changes(app, world, login):
    client = login("officer_a")
    response = client.post(
        "/account/password",
        data={"current_password": "not it", "new_password": "password123", "confirm_password": "password123"},
    )
    text = response.get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in text and "Mật khẩu này quá phổ biến" in text
    assert _post_login(app.test_client(), "officer_a", PASSWORD).status_code == 302


def test_a_one_time_password_must_be_changed_before_anything_else(app, world, login):
    with app.app_context(), system_scope(db.session):
        db.session.execute(update(User).where(User.username == "officer_a").values(must_change_password=True))
        db.session.commit()
    client = app.test_client()
    response = _post_login(client, "officer_a", PASSWORD)
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/u/15085/villages/").headers["Location"].endswith("/account/password")


def test_login_never_redirects_to_another_site(app, world):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = app.test_client().post(
            "/login", data={"username": "officer_a", "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/", target
    ok = app.test_client().post(
        "/login", data={"username": "officer_a", "password": PASSWORD, "next": "/u/15085/villages/"}
    )
    assert ok.headers["Location"] == "/u/15085/villages/"


def test_logins_and_failures_are_audited(app, world, login):
    login("officer_a")
    _post_login(app.test_client(), "officer_a", "wrong password 1")
    with app.app_context(), system_scope(db.session):
        from portal.audit.models import AuditEvent

        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.user_id == world.user_id["officer_a"])
        ).all()
    assert "login" in actions and "login_failed" in actions
