"""Maker-checker for accounts that read personal data, and one-time passwords that expire.

A manager who creates such an account, resets its password or grants it such a role learns (or sets)
its password: alone, they could log in with it and read registers they may not read themselves. So the
account is *issued*: it logs in only once a second person, who holds `accounts.activate` over its unit
and is not the issuer, has activated it. Every one-time password stops working after 72 hours. The first
login from the issuer's own address or session is flagged in the access log.
"""

from datetime import timedelta

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import clock
from portal.audit import actions as audit
from portal.auth.models import RoleAssignment, User
from portal.auth.sessions import aware, token_hash
from portal.extensions import db
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import ACCOUNTS_ACTIVATE, REGISTERS_READ_PERSONAL, ROLES

ONE_TIME_PASSWORD_LIFETIME = timedelta(hours=72)
AWAITING = _l("This account waits for a second officer to activate it. Ask your account manager.")
EXPIRED = _l("The one-time password has expired (72 hours). Ask your account manager for a new one.")


def reads_personal_data(user: User) -> bool:
    return any(REGISTERS_READ_PERSONAL in ROLES[a.role].permissions for a in user.assignments)


def issue(actor, user: User, one_time_password: bool) -> None:
    """After a manager created the account, reset its password or granted it a role: the one-time
    password's expiry, and, where the account reads personal data, the wait for a second person.
    The command line (actor None) is the server's operator: nothing waits."""
    if one_time_password:
        user.password_expires_at = clock.utcnow() + ONE_TIME_PASSWORD_LIFETIME
    if actor is None or not reads_personal_data(user):
        return
    user.awaiting_activation = True
    user.issued_by_id, user.issued_at = actor.id, clock.utcnow()
    user.issued_from_ip = request.remote_addr if has_request_context() else None
    user.issued_session_hash = token_hash(actor.session_token) if actor.session_token else None
    user.activated_by_id = user.activated_at = None


def login_refusal(user: User):
    """Why a login with the right password cannot go on, or None."""
    if user.awaiting_activation:
        return AWAITING
    expires = user.password_expires_at
    if user.must_change_password and expires is not None and clock.utcnow() > aware(expires):
        return EXPIRED
    return None


def issuer_flags(user: User, ip: str | None, session_token: str | None) -> list[str]:
    """The first login of an issued account, from its issuer's address or session: for the access log."""
    if user.issued_by_id is None or (user.last_login_at and user.issued_at and user.last_login_at > user.issued_at):
        return []
    flags = []
    if ip and ip == user.issued_from_ip:
        flags.append("issuer_address")
    if session_token and token_hash(session_token) == user.issued_session_hash:
        flags.append("issuer_session")
    return flags


def may_activate(actor, user: User) -> bool:
    """A second person: not the issuer, holding accounts.activate on a unit above each of the account's."""
    if not user.awaiting_activation or actor is None or actor.id in (user.issued_by_id, user.id):
        return False
    paths = [a.unit.path for a in actor.assignments if ACCOUNTS_ACTIVATE in ROLES[a.role].permissions]
    return bool(user.assignments) and all(
        any(assignment.unit.path.startswith(path) for path in paths) for assignment in user.assignments
    )


def awaiting_below(scope: AdminUnit) -> list[User]:
    """Accounts waiting for activation whose roles sit under the scope unit."""
    below = select(RoleAssignment.user_id).join(AdminUnit, AdminUnit.id == RoleAssignment.unit_id)
    below = below.where(AdminUnit.path.startswith(scope.path))
    return db.session.scalars(
        select(User).where(User.awaiting_activation.is_(True), User.id.in_(below)).order_by(User.issued_at)
    ).all()


def activate(actor, scope: AdminUnit, user: User) -> bool:
    if not may_activate(actor, user):
        return False
    user.awaiting_activation = False
    user.activated_by_id, user.activated_at = actor.id, clock.utcnow()
    audit.record(
        "account_activated",
        actor_id=actor.id,
        unit_id=scope.id,
        object_type="user_account",
        object_id=user.id,
        after={"issued_by": user.issued_by_id},
    )
    return True
