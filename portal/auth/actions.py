"""The write path of logging in (password, then the second factor) and changing one's own password."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import clock
from portal.audit import actions as audit
from portal.auth import two_factor
from portal.auth.models import LoginAttempt, User
from portal.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.auth.sessions import revoke_all_sessions
from portal.extensions import db

WRONG_CREDENTIALS = _l("Wrong username or password.")
WRONG_CODE = _l("The code is wrong or has already been used. Enter the code your app shows now.")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:200]


def _recent_failures(*conditions) -> int:
    window = clock.utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    last_success = (
        select(func.max(LoginAttempt.at)).where(*conditions, LoginAttempt.succeeded.is_(True)).scalar_subquery()
    )
    since = func.coalesce(last_success, window)
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            *conditions, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= window, LoginAttempt.at > since
        )
    )


def is_throttled(username: str, ip: str | None) -> bool:
    config = current_app.config
    if _recent_failures(LoginAttempt.username == username) >= config["LOGIN_MAX_FAILURES"]:
        return True
    window = clock.utcnow() - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    ip_failures = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= window
        )
    )
    return ip_failures >= config["LOGIN_MAX_FAILURES_PER_IP"]


def _refuse_throttled(username: str, ip: str | None):
    """A try while throttled still counts as a failure; the message says how long to wait."""
    db.session.add(LoginAttempt(username=username, ip=ip, succeeded=False))
    db.session.commit()
    return _l(
        "Too many failed attempts. Wait %(minutes)d minutes, then try again.",
        minutes=current_app.config["LOGIN_WINDOW_MINUTES"],
    )


def authenticate(username: str, password: str, ip: str | None) -> tuple[User | None, object | None]:
    """Check one login attempt. Unknown users, wrong passwords and disabled accounts get one answer."""
    username = normalise_username(username)
    if is_throttled(username, ip):
        return None, _refuse_throttled(username, ip)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        db.session.add(LoginAttempt(username=username, ip=ip, succeeded=False))
        audit.record(
            "login_failed",
            actor_id=user.id if user else None,
            object_type="user_account",
            object_id=user.id if user else None,
        )
        db.session.commit()
        return None, WRONG_CREDENTIALS
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not two_factor.enabled(user):
        record_login(user, ip)
    # else the login succeeds only with the second factor (second_factor below): until then a failed code
    # counts against the account, and no success resets the count
    return user, None


def record_login(user: User, ip: str | None, factor: str | None = None) -> None:
    db.session.add(LoginAttempt(username=user.username, ip=ip, succeeded=True))
    after = {"second_factor": factor} if factor else None
    audit.record("login", actor_id=user.id, object_type="user_account", object_id=user.id, after=after)


def second_factor(user: User, code: str, ip: str | None) -> object | None:
    """The second step of a login: None when the code was taken (the login is then recorded), else the
    error to show."""
    factor, error = check_code(user, code, ip)
    if error is not None:
        return error
    record_login(user, ip, factor)
    if factor == "recovery":
        audit.record("recovery_code_used", actor_id=user.id, object_type="user_account", object_id=user.id)
    return None


def check_code(user: User, code: str, ip: str | None) -> tuple[str | None, object | None]:
    """Take one TOTP or recovery code: ('totp' or 'recovery', None), or (None, the error to show).
    Throttled like passwords, and every wrong code counts as a failed login of the account."""
    if is_throttled(user.username, ip):
        return None, _refuse_throttled(user.username, ip)
    factor = two_factor.accept_code(user, code)
    if factor is None:
        db.session.add(LoginAttempt(username=user.username, ip=ip, succeeded=False))
        audit.record(
            "login_failed", actor_id=user.id, object_type="user_account", object_id=user.id, after={"code": "wrong"}
        )
        db.session.commit()
        return None, WRONG_CODE
    return factor, None


def change_own_password(user: User, current: str, new: str) -> dict[str, object]:
    """Errors by field; empty when the password was changed (the caller commits)."""
    errors: dict[str, object] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _l("The current password is wrong.")
    problem = password_problem(new, user.username)
    if problem:
        errors["new_password"] = problem
    elif current and new == current:
        errors["new_password"] = _l("The new password must differ from the current one.")
    if errors:
        return errors
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_all_sessions(user.id)  # other devices with the old password are logged out
    audit.record("password_changed", actor_id=user.id, object_type="user_account", object_id=user.id)
    return {}
