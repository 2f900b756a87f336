"""The write path of logging in and changing one's own password."""

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit import actions as audit
from portal.auth.models import LoginAttempt, User
from portal.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.auth.sessions import revoke_all_sessions
from portal.extensions import db

WRONG_CREDENTIALS = _l("Wrong username or password.")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:200]


def _recent_failures(*conditions) -> int:
    window = datetime.now(UTC) - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
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
    window = datetime.now(UTC) - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    ip_failures = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= window
        )
    )
    return ip_failures >= config["LOGIN_MAX_FAILURES_PER_IP"]


def authenticate(username: str, password: str, ip: str | None) -> tuple[User | None, object | None]:
    """Check one login attempt. Unknown users, wrong passwords and disabled accounts get one answer."""
    username = normalise_username(username)
    if is_throttled(username, ip):
        db.session.add(LoginAttempt(username=username, ip=ip, succeeded=False))
        db.session.commit()
        return None, _l(
            "Too many failed attempts. Wait %(minutes)d minutes, then try again.",
            minutes=current_app.config["LOGIN_WINDOW_MINUTES"],
        )
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
    db.session.add(LoginAttempt(username=username, ip=ip, succeeded=True))
    audit.record("login", actor_id=user.id, object_type="user_account", object_id=user.id)
    return user, None


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
