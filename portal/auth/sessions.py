"""Server-side sessions on top of Flask-Login.

The cookie carries a random token; the database keeps its hash, when it was made and last used, and
whether it was revoked. Logging in makes a new token (the session id rotates), logging out revokes
it, disabling an account revokes all of them, and the idle and absolute timeouts are checked on every
request, so a cookie replayed after any of these is refused.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy import String, bindparam, cast, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal import clock
from portal.auth import identity
from portal.auth.models import RoleAssignment, User, UserSession
from portal.extensions import db, login_manager
from portal.tenancy import tree
from portal.tenancy.guard import acting_as

# last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clear_keeping_language() -> None:
    """Empty the cookie session, except the language chosen before logging in."""
    keep = {k: session[k] for k in ("lang",) if k in session}
    session.clear()
    session.update(keep)


def start_session(user: User, second_factor: bool = False) -> None:
    """A new session (the id rotates); `second_factor` when the login passed a TOTP or recovery code."""
    clear_keeping_language()
    token = secrets.token_urlsafe(32)
    passed = clock.utcnow() if second_factor else None
    db.session.add(
        UserSession(token_hash=token_hash(token), user_id=user.id, ip=request.remote_addr, second_factor_at=passed)
    )
    user.session_token = token
    user.session_second_factor = second_factor
    user.last_login_at = clock.utcnow()
    login_user(user)
    session.permanent = True


def end_session(user: User | None) -> None:
    if user is not None and user.session_token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(user.session_token), UserSession.revoked_at.is_(None))
            .values(revoked_at=clock.utcnow())
        )
    logout_user()
    clear_keeping_language()


def current_session(user: User) -> UserSession:
    """The server-side row of the session the request runs in."""
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(user.session_token)))


def revoke_all_sessions(user_id: int) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow())
    )


def _identity_statement():
    """Who the cookie's token is, in one statement: the live session, its account's columns (the TOTP
    secret apart: read when asked for), the account's role assignments (as "id:unit:role" text) and the
    tree's stamp (portal/tenancy/tree.py)."""
    roles = (
        select(func.aggregate_strings(_ROLE_TEXT, ","))
        .where(RoleAssignment.user_id == UserSession.user_id)
        .scalar_subquery()
    )
    statement = (
        select(
            *_ACCOUNT, UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.second_factor_at
        )
        .join(User.__table__, User.id == UserSession.user_id)
        .where(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None))
        .add_columns(roles)
    )
    return tree.read_stamp_with(statement)


_ACCOUNT = tuple(column for column in User.__table__.c if column.key != "totp_secret")
_ACCOUNT_KEYS = tuple(User.__mapper__.get_property_by_column(column).key for column in _ACCOUNT)
_ROLE_TEXT = cast(RoleAssignment.id, String) + ":" + cast(RoleAssignment.unit_id, String) + ":" + RoleAssignment.role
IDENTITY = _identity_statement()


def _identity_row(token: str) -> tuple | None:
    """On PostgreSQL on the worker's own connection (portal/auth/identity.py), else in the session."""
    parameters = {"token_hash": token_hash(token)}
    row = identity.read(IDENTITY, parameters)
    if row is False:
        row = db.session.execute(IDENTITY, parameters).one_or_none()
    return row


def _assignments(user_id: int, roles: str | None) -> list[RoleAssignment]:
    """The account's role assignments, made in the session from the identity statement's text and the
    kept tree (no statement): each as loaded, with its unit."""
    assignments = []
    for text_ in sorted((roles or "").split(","), key=lambda t: int(t.split(":", 1)[0]) if t else 0):
        if not text_:
            continue
        assignment_id, unit_id, role = text_.split(":", 2)
        values = {"id": int(assignment_id), "user_id": user_id, "unit_id": int(unit_id), "role": role}
        assignment = tree.as_loaded(RoleAssignment, values)
        set_committed_value(assignment, "unit", tree.unit(int(unit_id)))
        assignments.append(assignment)
    return assignments


@login_manager.user_loader
def load_user(token: str) -> User | None:
    row = _identity_row(token)
    if row is None:
        return None
    account, rest = row[: len(_ACCOUNT)], row[len(_ACCOUNT) :]
    session_id, created_at, last_seen_at, second_factor_at, roles, stamp = rest
    tree.saw_stamp(stamp)
    user = tree.as_loaded(User, dict(zip(_ACCOUNT_KEYS, account, strict=True)))
    user_id = user.id  # before a commit below expires the row
    acting_as(db.session, user_id)  # the session's own row, at the database too (signed actor)
    now = clock.utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    expired = now - aware(last_seen_at) > idle or now - aware(created_at) > absolute
    if expired or not user.active:
        _touch(session_id, revoked_at=now)
        return None
    if now - aware(last_seen_at) > _TOUCH_EVERY:
        _touch(session_id, last_seen_at=now)
    set_committed_value(user, "assignments", _assignments(user_id, roles))
    user.session_token = token
    user.session_second_factor = second_factor_at is not None
    return user


def _touch(session_id: int, **values) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == session_id).values(**values))
    db.session.commit()
