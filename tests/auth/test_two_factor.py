"""Two-factor login (TOTP and recovery codes), as security.md sets the bar: required for district,
province and admin roles, available to all; codes single-use and rate-limited."""

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.models import AuditEvent
from portal.auth import two_factor
from portal.auth.models import LoginAttempt, RecoveryCode, User, UserSession
from portal.extensions import db
from portal.tenancy.guard import acting_as, system_scope
from tests.conftest import allow_code_again
from tests.world import PASSWORD, totp_code, totp_secret


def _password(client, username):
    return client.post("/login", data={"username": username, "password": PASSWORD})


def _code(client, code):
    return client.post("/login/code", data={"code": code})


def _error_of(response) -> str:
    return response.get_data(as_text=True).split('role="alert">')[1].split("<")[0]


def _user(app, username) -> dict:
    with app.app_context(), system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == username))
        return {"id": user.id, "secret": user.totp_secret, "enabled": user.totp_enabled_at is not None}


def _disenrol(app, username):
    with app.app_context(), system_scope(db.session):
        db.session.execute(
            update(User)
            .where(User.username == username)
            .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
        )
        db.session.commit()


def _enrol(client) -> tuple[str, list[str]]:
    """Through the pages, as an officer with an app: read the key, send the app's code, get the codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    return secret, codes


def _count(model, *where) -> int:
    with system_scope(db.session):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_district_officer_without_an_app_must_enrol_before_anything_else(app, world):
    _disenrol(app, "district_1")
    client = app.test_client()
    response = _password(client, "district_1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    for path in ("/", f"/u/{world.unit_code['D1']}/", "/inbox"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/two-factor"), path
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Vai trò của bạn bắt buộc đăng nhập hai lớp" in page
    uri_secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert '<figure class="qr" id="totp-qr"><svg' in page and len(uri_secret) == 32
    # a wrong code keeps the officer on the page, in Vietnamese
    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert "Mã không đúng hoặc đã được dùng" in wrong.get_data(as_text=True)
    assert not _user(app, "district_1")["enabled"]
    secret, codes = _enrol(client)
    assert secret == uri_secret  # the key shown stays the same until it is confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(f"/u/{world.unit_code['D1']}/").status_code == 200
    with app.app_context():
        assert _count(RecoveryCode, RecoveryCode.user_id == world.user_id["district_1"]) == 10
        stored = _count(RecoveryCode, RecoveryCode.code_hash.in_(codes))
        assert stored == 0  # only hashes are kept
        assert _count(AuditEvent, AuditEvent.action == "two_factor_enabled") == 1


def test_the_qr_code_carries_the_standard_otpauth_uri(app, world):
    with app.app_context():
        user = db.session.get(User, world.user_id["officer_a"])
        uri = two_factor.provisioning_uri(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert uri.startswith("otpauth://totp/") and "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=" in uri
    assert pyotp.parse_uri(uri).now() == pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now()


def test_an_enrolled_account_logs_in_only_with_the_code(app, world):
    client = app.test_client()
    response = _password(client, "province")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert client.get(f"/u/{world.unit_code['P']}/").status_code == 302  # no session yet
    with app.app_context():
        assert _count(UserSession, UserSession.user_id == world.user_id["province"]) == 0
    wrong = _code(client, "123456")
    assert wrong.status_code == 401 and "Mã không đúng" in _error_of(wrong)
    right = _code(client, totp_code("province"))
    assert right.status_code == 302
    assert client.get(f"/u/{world.unit_code['P']}/").status_code == 200
    with app.app_context():
        session = db.session.scalar(select(UserSession).where(UserSession.user_id == world.user_id["province"]))
        assert session.second_factor_at is not None
        logins = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "login")).all()
        assert logins == ['{"second_factor": "totp"}']


def test_a_code_is_taken_once(app, world):
    first = app.test_client()
    _password(first, "admin")
    code = totp_code("admin")
    assert _code(first, code).status_code == 302
    second = app.test_client()
    _password(second, "admin")
    replay = _code(second, code)
    assert replay.status_code == 401
    assert second.get("/").status_code == 302


def test_two_requests_with_one_code_cannot_both_pass(app, world):
    with app.app_context():
        acting_as(db.session, world.user_id["admin"])  # as the login's code step does
        user = db.session.get(User, world.user_id["admin"])
        code = totp_code("admin")
        assert two_factor.accept_code(user, code) == "totp"
        db.session.commit()
        # a second request that read the account before the first one wrote
        set_committed_value(user, "totp_last_step", None)
        assert two_factor.accept_code(user, code) is None
        db.session.rollback()


def test_codes_from_a_neighbouring_step_pass_and_older_ones_do_not(app, world):
    secret = totp_secret("admin")
    now = time.time()
    with app.app_context():
        for offset, accepted in ((-30, True), (30, True), (-90, False), (90, False)):
            code = pyotp.TOTP(secret).at(now + offset)
            assert (two_factor._matching_step(secret, code, None, now=now) is not None) is accepted, offset


def test_wrong_codes_are_throttled_like_passwords(app, world):
    client = app.test_client()
    _password(client, "district_1")
    for _ in range(5):
        assert _code(client, "000000").status_code == 401
    throttled = _code(client, totp_code("district_1"))
    assert throttled.status_code == 401 and "Đăng nhập sai quá nhiều lần" in _error_of(throttled)
    # logging in again with the right password does not reset the count: no success was recorded
    again = app.test_client()
    assert _password(again, "district_1").status_code == 401
    with app.app_context():
        assert _count(LoginAttempt, LoginAttempt.username == "district_1", LoginAttempt.succeeded.is_(True)) == 0


def test_a_recovery_code_logs_in_once(app, world):
    _disenrol(app, "district_2")
    enrolling = app.test_client()
    _password(enrolling, "district_2")
    _secret, codes = _enrol(enrolling)
    client = app.test_client()
    _password(client, "district_2")
    assert _code(client, codes[3].upper().replace("-", " ")).status_code == 302  # case and spaces do not matter
    again = app.test_client()
    _password(again, "district_2")
    assert _code(again, codes[3]).status_code == 401
    with app.app_context():
        assert _count(AuditEvent, AuditEvent.action == "recovery_code_used") == 1


def test_the_code_page_needs_a_right_password_first_and_expires(app, world):
    client = app.test_client()
    assert client.get("/login/code").headers["Location"].endswith("/login")
    assert _code(client, totp_code("province")).status_code == 302
    assert client.get("/").status_code == 302  # not logged in
    _password(client, "province")
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=301), tick=True):
        late = _code(client, totp_code("province"))
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")


def test_a_cookie_signed_with_the_known_key_skips_neither_the_password_nor_the_code(app, world):
    """Whoever knows SECRET_KEY signs any cookie: the login's state is on the server, so a cookie naming
    an account, or a made-up challenge, opens nothing, and the secret being enrolled is not in it."""
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["login_challenge"] = "made-up-token"
        cookie["login_pending"] = {"user_id": world.user_id["province"], "at": time.time(), "next": "/"}
    page = _code(client, totp_code("province"))
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302  # not logged in
    # a real challenge's cookie holds a random token only; the enrolment's secret stays on the server
    _password(client, "province")
    with client.session_transaction() as cookie:
        assert set(cookie) - {"_permanent", "lang", "_flashes"} == {"login_challenge"}
        assert isinstance(cookie["login_challenge"], str) and len(cookie["login_challenge"]) >= 40
    _disenrol(app, "district_1")
    enrolling = app.test_client()
    _password(enrolling, "district_1")
    page = enrolling.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    with enrolling.session_transaction() as cookie:
        assert secret not in str(dict(cookie))


def test_a_commune_officer_must_enrol_unless_the_province_exempts_commune_officers(app, world, monkeypatch):
    _disenrol(app, "officer_a")
    response = _password(app.test_client(), "officer_a")
    assert response.headers["Location"].endswith("/account/two-factor")  # reads personal data: by default
    from portal.tenancy import settings

    real = settings.plan_settings
    exempt = {"two_factor_for_commune_officers": False}
    monkeypatch.setattr(two_factor, "plan_settings", lambda code: {**real(code), "security": exempt})
    assert _password(app.test_client(), "officer_a").headers["Location"].endswith("/")


def test_a_commune_viewer_may_turn_it_on_and_off(app, world):
    client = app.test_client()
    assert _password(client, "viewer_a").headers["Location"].endswith("/")  # optional: straight in
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "không bắt buộc" in page
    secret, _codes = _enrol(client)
    other = app.test_client()
    assert _password(other, "viewer_a").headers["Location"].endswith("/login/code")
    allow_code_again(app, "viewer_a")
    assert _code(other, pyotp.TOTP(secret).now()).status_code == 302
    # turning it off takes a current code
    refused = other.post("/account/two-factor", data={"action": "disable", "code": "000000"})
    assert refused.status_code == 400 and _user(app, "viewer_a")["enabled"]
    allow_code_again(app, "viewer_a")
    done = other.post("/account/two-factor", data={"action": "disable", "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and not _user(app, "viewer_a")["enabled"]
    assert _password(app.test_client(), "viewer_a").headers["Location"].endswith("/")


def test_enabling_it_ends_the_accounts_other_sessions(app, world, login):
    elsewhere = login("viewer_a")
    here = login("viewer_a")
    _enrol(here)
    assert here.get(f"/u/{world.unit_code['A']}/").status_code == 200
    assert elsewhere.get(f"/u/{world.unit_code['A']}/").status_code == 302


def test_a_required_second_factor_cannot_be_turned_off(app, world, login):
    client = login("district_1")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'value="disable"' not in page and "không thể tắt" in page
    allow_code_again(app, "district_1")
    forged = client.post("/account/two-factor", data={"action": "disable", "code": totp_code("district_1")})
    assert forged.status_code == 403 and _user(app, "district_1")["enabled"]


def test_new_recovery_codes_replace_the_old_ones(app, world, login):
    _disenrol(app, "admin")
    first = app.test_client()
    _password(first, "admin")
    secret, old = _enrol(first)
    allow_code_again(app, "admin")
    renewed = first.post("/account/two-factor", data={"action": "new_codes", "code": pyotp.TOTP(secret).now()})
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client = app.test_client()
    _password(client, "admin")
    assert _code(client, old[0]).status_code == 401
    assert _code(client, new[0]).status_code == 302


def test_a_province_can_require_it_of_every_account(app, world, monkeypatch):
    from portal.tenancy import settings

    real = settings.plan_settings
    monkeypatch.setattr(
        two_factor, "plan_settings", lambda code: {**real(code), "security": {"two_factor_for_all": True}}
    )
    client = app.test_client()
    response = _password(client, "viewer_a")
    assert response.headers["Location"].endswith("/account/two-factor")
    assert client.get(f"/u/{world.unit_code['A']}/").headers["Location"].endswith("/account/two-factor")


def test_a_session_made_before_the_account_enrolled_ends_at_its_next_request(app, world, login):
    client = login("viewer_a")
    with app.app_context(), system_scope(db.session):
        db.session.execute(
            update(User)
            .where(User.username == "viewer_a")
            .values(totp_secret=totp_secret("officer_a"), totp_enabled_at=func.now())
        )
        db.session.commit()
    response = client.get("/account/two-factor")  # not even the page that makes new recovery codes
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get(f"/u/{world.unit_code['A']}/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_code_page_is_translated(app, world, lang):
    client = app.test_client()
    client.post("/language", data={"lang": lang})
    _password(client, "province")
    page = client.get("/login/code").get_data(as_text=True)
    assert ("Mã đăng nhập" if lang == "vi" else "Login code") in page


def test_an_account_manager_resets_a_lost_second_factor(app, world, login):
    officer = login("officer_a")  # enrolled, as a commune officer must be
    manager = login("district_1")
    page = manager.get(f"/u/{world.unit_code['D1']}/accounts/{world.user_id['officer_a']}").get_data(as_text=True)
    assert "Đặt lại đăng nhập hai lớp" in page
    response = manager.post(f"/u/{world.unit_code['D1']}/accounts/{world.user_id['officer_a']}/reset-two-factor")
    assert response.status_code == 302
    assert not _user(app, "officer_a")["enabled"]
    assert officer.get(f"/u/{world.unit_code['A']}/").status_code == 302  # its sessions ended
    # no code asked: the officer enrols a new phone at once
    assert _password(app.test_client(), "officer_a").headers["Location"].endswith("/account/two-factor")
    with app.app_context():
        assert _count(AuditEvent, AuditEvent.action == "two_factor_reset") == 1


def test_totp_secrets_are_encrypted_at_rest_under_a_key_of_their_own(app, world, login):
    """A copy of the database gives no one an officer's codes: the column holds AES-GCM under
    TOTP_ENCRYPTION_KEY (not SECRET_KEY); the portal reads the secret back only with that key."""
    from sqlalchemy import text

    from portal.auth.at_rest import SecretUnreadable

    with app.app_context(), system_scope(db.session):
        raw = db.session.execute(text("SELECT totp_secret FROM user_account WHERE username = 'district_1'")).scalar()
        assert raw.startswith("v1:") and totp_secret("district_1") not in raw
        assert db.session.scalar(select(User).where(User.username == "district_1")).totp_secret == totp_secret(
            "district_1"
        )
        db.session.rollback()
    assert login("district_1").get(f"/u/{world.unit_code['D1']}/").status_code == 200  # codes still work
    real = app.config["TOTP_ENCRYPTION_KEY"]
    app.config["TOTP_ENCRYPTION_KEY"] = "another-key-entirely-another-key-entirely"
    try:
        with app.app_context(), system_scope(db.session), pytest.raises(SecretUnreadable):
            db.session.scalar(select(User).where(User.username == "district_1")).totp_secret  # noqa: B018
    finally:
        app.config["TOTP_ENCRYPTION_KEY"] = real
