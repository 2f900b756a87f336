"""The write path of logging in (password, then the second factor) and changing one's own password."""

from datetime import datetime, timedelta

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import clock
from portal.audit import actions as audit
from portal.auth import activation, two_factor
from portal.auth.models import LoginAttempt, User
from portal.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.auth.sessions import aware, revoke_all_sessions
from portal.extensions import db
from portal.tenancy.guard import acting_as

WRONG_CREDENTIALS = _l("Wrong username or password.")
WRONG_CODE = _l("The code is wrong or has already been used. Enter the code your app shows now.")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:200]


def _failures(*conditions) -> tuple[int, datetime | None]:
    """Failed attempts matching the conditions since the last success, within the window, and the last one's
    moment: one statement."""
    window = clock.utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    last_success = (
        select(func.max(LoginAttempt.at)).where(*conditions, LoginAttempt.succeeded.is_(True)).scalar_subquery()
    )
    count, last = db.session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            *conditions,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= window,
            LoginAttempt.at > func.coalesce(last_success, window),
        )
    ).one()
    return count, (aware(last) if last is not None else None)


def _growing(failures: int, allowed: int, first: int, longest: int) -> int:
    """The delay after `failures`: none up to `allowed`, then `first` seconds, doubling, `longest` at most."""
    if failures < allowed:
        return 0
    return min(first * 2 ** min(failures - allowed, 20), longest)


def login_wait(username: str, ip: str | None) -> int:
    """Seconds before this account may try again from this address (0: now). The delays grow with the
    failures; a try refused for waiting is not recorded, so nobody can keep an account locked by trying.
    - The pair (account, address): after LOGIN_MAX_FAILURES, 30 s, doubling up to the window (15 min).
    - The account from every address: after LOGIN_MAX_FAILURES_PER_ACCOUNT, 1 s, doubling up to a minute:
      a guesser spread over many addresses gets a try a minute; the officer waits a minute at worst.
    No limit is set by address alone: a district's NAT, or a proxy, carries a whole province's officers."""
    config = current_app.config
    now = clock.utcnow()
    waits = []
    for conditions, allowed, first, longest in (
        ((LoginAttempt.username == username, LoginAttempt.ip == ip), config["LOGIN_MAX_FAILURES"], 30,
         config["LOGIN_WINDOW_MINUTES"] * 60),
        ((LoginAttempt.username == username,), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], 1, 60),
    ):
        count, last = _failures(*conditions)
        delay = _growing(count, allowed, first, longest)
        if delay and last is not None:
            waits.append(int((last + timedelta(seconds=delay) - now).total_seconds() + 0.999))
    return max([0, *waits])


def _refuse_throttled(wait: int):
    """A try made while it must wait: refused, and not recorded (it would renew the wait)."""
    if wait > 60:
        return _l("Too many failed attempts. Wait %(minutes)d minutes, then try again.", minutes=(wait + 59) // 60)
    return _l("Too many failed attempts. Wait %(seconds)d seconds, then try again.", seconds=wait)


def authenticate(username: str, password: str, ip: str | None) -> tuple[User | None, object | None]:
    """Check one login attempt. Unknown users, wrong passwords and disabled accounts get one answer."""
    username = normalise_username(username)
    wait = login_wait(username, ip)
    if wait:
        return None, _refuse_throttled(wait)
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
    refusal = activation.login_refusal(user)
    if refusal is not None:  # the right password, but the account may not log in yet (or any more)
        return None, refusal
    acting_as(db.session, user.id)  # its own account and sessions, at the database too (signed actor)
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
    flags = activation.issuer_flags(user, ip, session.get("_user_id"))
    if flags:
        audit.record(
            "login_flagged", actor_id=user.id, object_type="user_account", object_id=user.id,
            after={"flags": flags, "issued_by": user.issued_by_id},
        )


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
    wait = login_wait(user.username, ip)
    if wait:
        return None, _refuse_throttled(wait)
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
