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
from sqlalchemy.orm import defer, lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from portal import clock
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
    """Who the cookie's token is, in one statement: the live session, its account, the account's role
    assignments (as "id:unit:role" text) and the tree's stamp (portal/tenancy/tree.py)."""
    roles = (
        select(func.aggregate_strings(_ROLE_TEXT, ","))
        .where(RoleAssignment.user_id == User.id)
        .scalar_subquery()
    )
    statement = (
        select(User, UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.second_factor_at)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None))
        .add_columns(roles)
        .options(lazyload(User.assignments), defer(User.totp_secret))
    )
    return tree.read_stamp_with(statement)


_ROLE_TEXT = (
    cast(RoleAssignment.id, String) + ":" + cast(RoleAssignment.unit_id, String) + ":" + RoleAssignment.role
)
IDENTITY = _identity_statement()


def _assignments(user_id: int, roles: str | None) -> list[RoleAssignment]:
    """The account's role assignments, made in the session from the identity statement's text and the
    kept tree (no statement): each as loaded, with its unit."""
    assignments = []
    for text_ in sorted((roles or "").split(","), key=lambda t: int(t.split(":", 1)[0]) if t else 0):
        if not text_:
            continue
        assignment_id, unit_id, role = text_.split(":", 2)
        assignment = RoleAssignment(id=int(assignment_id), user_id=user_id, unit_id=int(unit_id), role=role)
        make_transient_to_detached(assignment)
        merged = db.session.merge(assignment, load=False)
        set_committed_value(merged, "unit", tree.unit(int(unit_id)))
        assignments.append(merged)
    return assignments


@login_manager.user_loader
def load_user(token: str) -> User | None:
    row = db.session.execute(IDENTITY, {"token_hash": token_hash(token)}).one_or_none()
    if row is None:
        return None
    user, session_id, created_at, last_seen_at, second_factor_at, roles, stamp = row
    tree.saw_stamp(stamp)
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
