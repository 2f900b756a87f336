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
from sqlalchemy import select, update

from portal import clock
from portal.auth.models import User, UserSession
from portal.extensions import db, login_manager
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


@login_manager.user_loader
def load_user(token: str) -> User | None:
    live = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
    )
    if live is None:
        return None
    acting_as(db.session, live.user_id)  # the session's own row, at the database too (signed actor)
    now = clock.utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    user = db.session.get(User, live.user_id)
    expired = now - aware(live.last_seen_at) > idle or now - aware(live.created_at) > absolute
    if expired or user is None or not user.active:
        live.revoked_at = now
        db.session.commit()
        return None
    if now - aware(live.last_seen_at) > _TOUCH_EVERY:
        live.last_seen_at = now
        db.session.commit()
    user.session_token = token
    user.session_second_factor = live.second_factor_at is not None
    return user
