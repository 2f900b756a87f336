"""Accounts and sessions, as security.md sets the bar."""

from datetime import timedelta

from sqlalchemy import select, update

from portal import clock
from portal.auth.models import User, UserSession
from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.extensions import db
from portal.tenancy.database import dispose_engines
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


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _post_from(app, address, username, password):
    return app.test_client().post("/login", data={"username": username, "password": password}, **_from(address))


def _age_attempts(app, seconds: int) -> None:
    """Every attempt so far happened `seconds` earlier (the wait is counted from the last failure)."""
    from portal.auth.models import LoginAttempt

    with app.app_context(), system_scope(db.session):
        for attempt in db.session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - timedelta(seconds=seconds)
        db.session.commit()


def test_an_address_failing_on_many_accounts_does_not_lock_out_its_colleagues(app, world):
    """One address is a whole district behind its NAT: 40 failures on other accounts lock nobody out."""
    for n in range(40):
        _post_from(app, "10.8.0.1", f"guess{n}", "wrong password 1")
    assert _post_from(app, "10.8.0.1", "officer_b", PASSWORD).status_code == 302


def test_the_pair_waits_longer_after_each_failure_and_a_throttled_try_does_not_extend_it(app, world):
    for _ in range(5):
        assert _post_from(app, "10.8.0.2", "officer_a", "wrong password 1").status_code == 401
    refused = _post_from(app, "10.8.0.2", "officer_a", PASSWORD)
    assert refused.status_code == 401 and "chờ 30 giây" in _error_of(refused)
    for _ in range(10):  # an attacker hammering during the wait renews nothing
        _post_from(app, "10.8.0.2", "officer_a", "wrong password 1")
    assert _post_from(app, "10.8.0.3", "officer_a", PASSWORD).status_code == 302  # the officer, elsewhere
    for _ in range(5):
        _post_from(app, "10.8.0.2", "officer_b", "wrong password 1")
    _age_attempts(app, 31)
    _post_from(app, "10.8.0.2", "officer_b", "wrong password 1")  # the 6th failure: 60 s
    _age_attempts(app, 61)
    _post_from(app, "10.8.0.2", "officer_b", "wrong password 1")  # the 7th: 120 s
    doubled = _post_from(app, "10.8.0.2", "officer_b", PASSWORD)
    assert doubled.status_code == 401 and "chờ 2 phút" in _error_of(doubled)
    _age_attempts(app, 120)
    assert _post_from(app, "10.8.0.2", "officer_b", PASSWORD).status_code == 302


def test_guessing_from_many_addresses_is_slowed_to_a_try_a_minute_never_locked(app, world):
    for n in range(30):
        _post_from(app, f"10.9.{n}.1", "officer_a", "wrong password 1")
    refused = _post_from(app, "10.9.200.1", "officer_a", PASSWORD)
    assert refused.status_code == 401 and "giây" in _error_of(refused)  # a minute at most, in seconds
    _age_attempts(app, 60)
    assert _post_from(app, "10.9.200.1", "officer_a", PASSWORD).status_code == 302


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(world, database_url):
    from portal import create_app

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False, "PROXY_FIX_HOPS": 1,
         "TRUSTED_PROXIES": "127.0.0.1"}
    )
    seen = []
    app.before_request(lambda: seen.append(__import__("flask").request.remote_addr))
    client = app.test_client()
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, **_from("127.0.0.1"))
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, **_from("198.51.100.7"))
    with app.app_context():
        dispose_engines()
    assert seen == ["203.0.113.9", "198.51.100.7"]  # the proxy's word; a direct client's own address


def test_login_rotates_the_session(app, world):
    client = app.test_client()
    client.post("/language", data={"lang": "vi"})
    before = client.get_cookie("portal_session").value
    _post_login(client, "viewer_a", PASSWORD)
    after = client.get_cookie("portal_session").value
    assert before != after
    second = app.test_client()
    _post_login(second, "viewer_a", PASSWORD)
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
        db.session.execute(update(User).where(User.username == "viewer_a").values(must_change_password=True))
        db.session.commit()
    client = app.test_client()
    response = _post_login(client, "viewer_a", PASSWORD)
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/u/15085/villages/").headers["Location"].endswith("/account/password")


def test_login_never_redirects_to_another_site(app, world):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = app.test_client().post(
            "/login", data={"username": "viewer_a", "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/", target
    ok = app.test_client().post(
        "/login", data={"username": "viewer_a", "password": PASSWORD, "next": "/u/15085/villages/"}
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
