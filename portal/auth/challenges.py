"""The login's second step, kept on the server: after the right password, a random token goes into the
cookie and a `LoginChallenge` row holds whose login it is, since when and where to go next. Knowing
SECRET_KEY lets one sign a cookie, not make a row: a forged cookie names no challenge and skips nothing."""

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from portal import clock
from portal.auth.models import LoginChallenge, User
from portal.auth.sessions import aware, token_hash
from portal.extensions import db

CHALLENGE_LIFETIME = timedelta(minutes=5)  # the time to type the code


def open_challenge(user: User, next_path: str, ip: str | None) -> str:
    """A new challenge for the user (their earlier ones end); the token for the cookie."""
    db.session.execute(delete(LoginChallenge).where(LoginChallenge.user_id == user.id))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginChallenge(token_hash=token_hash(token), user_id=user.id, next_path=next_path, ip=ip))
    return token


def find_challenge(token) -> LoginChallenge | None:
    """The live challenge the cookie's token names, or None (no token, unknown, or past its 5 minutes)."""
    if not isinstance(token, str) or not token:
        return None
    challenge = db.session.scalar(select(LoginChallenge).where(LoginChallenge.token_hash == token_hash(token)))
    if challenge is None:
        return None
    if clock.utcnow() - aware(challenge.created_at) > CHALLENGE_LIFETIME:
        db.session.delete(challenge)
        db.session.commit()
        return None
    return challenge
