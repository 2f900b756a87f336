"""Two-factor login: TOTP (RFC 6238, any authenticator app) and one-time recovery codes.

Who must use it: every account that reads personal data, and every district, province or administrator
account. A province may let its commune officers log in without it (`"two_factor_for_commune_officers":
false` under `"security"` in `tenants/<province>/plan.json`; its settings page then warns), and may
require it of every account, viewers included (`"two_factor_for_all": true`). Others may turn it on.
An account that must and has not enrolled yet can only reach the enrolment page (portal.__init__, as
with a password that must be changed).

Every code is taken once: a TOTP code's time step must be later than the last one accepted, and a
recovery code is marked used. Wrong codes count as failed logins of the account, so the login throttle
(portal.auth.actions) stops guessing after `LOGIN_MAX_FAILURES` in the window.
"""

import hashlib
import secrets
import time

import pyotp
import segno
from sqlalchemy import func, select, update

from portal import clock
from portal.auth.models import RecoveryCode, User, UserSession
from portal.extensions import db
from portal.tenancy.roles import REGISTERS_READ_PERSONAL, ROLES
from portal.tenancy.settings import plan_settings

ISSUER = "Cổng xã không ma túy"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
STEP = 30  # seconds: the authenticator apps' default


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG (no script, no external image)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", omitsize=False)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def required(user: User) -> bool:
    """Accounts that read personal data, and district, province and administrator accounts; a province
    may exempt its commune officers, or require it of every account."""
    for assignment in user.assignments:
        role = ROLES[assignment.role]
        if role.level != "commune":
            return True
        security = security_settings(assignment.unit.path.strip("/").split("/")[0])
        if security["two_factor_for_all"]:
            return True
        if REGISTERS_READ_PERSONAL in role.permissions and security["two_factor_for_commune_officers"]:
            return True
    return False


def security_settings(province_code: str) -> dict:
    """The province's security settings, with the defaults the law's bar sets."""
    given = plan_settings(province_code).get("security", {})
    return {
        "two_factor_for_commune_officers": bool(given.get("two_factor_for_commune_officers", True)),
        "two_factor_for_all": bool(given.get("two_factor_for_all", False)),
    }


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def _matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step a code belongs to (this one or its neighbours, for clocks a little off), if it is
    later than the last step accepted."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(user: User, code: str) -> str | None:
    """Take a TOTP code or a recovery code once. 'totp' or 'recovery' when accepted, else None.
    The step is claimed with a conditional UPDATE, so two requests with one code cannot both pass."""
    if not enabled(user):
        return None
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        claimed = db.session.execute(
            update(User)
            .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            user.totp_last_step = step
            return "totp"
        return None
    digest = _recovery_hash(user.id, code)
    if digest is None:
        return None
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest, RecoveryCode.used_at.is_(None))
        .values(used_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return "recovery" if claimed else None


def enable(user: User, secret: str, code: str, session_token: str | None) -> list[str] | None:
    """Turn two-factor login on with the secret the user's app now holds (proved by a code). Returns the
    recovery codes to show once, or None when the code is wrong. The session in use counts as having
    passed the second factor; every other session of the account ends."""
    step = _matching_step(secret, code, None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = clock.utcnow()
    user.totp_last_step = step
    now = clock.utcnow()
    others = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if session_token:
        mine = hashlib.sha256(session_token.encode()).hexdigest()
        db.session.execute(update(UserSession).where(UserSession.token_hash == mine).values(second_factor_at=now))
        others = others.where(UserSession.token_hash != mine)
    db.session.execute(others.values(revoked_at=now))
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id).values(used_at=clock.utcnow()))


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes; the earlier ones stop working."""
    now = clock.utcnow()
    db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).values(used_at=now)
    )
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, raw)))
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _recovery_hash(user_id: int, code: str) -> str | None:
    """Spaces, hyphens and case do not matter; the account's id salts the hash."""
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(raw) != 10 or any(ch not in RECOVERY_ALPHABET for ch in raw):
        return None
    return hashlib.sha256(f"{user_id}:{raw}".encode()).hexdigest()
