"""The only write path for accounts. Every function takes the acting user (None: the CLI, acting as the
system) and the scope unit the manager acts within; every change writes an audit row."""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.access import grantable_roles
from portal.audit import actions as audit
from portal.auth import activation, two_factor
from portal.auth.models import RoleAssignment, User
from portal.auth.passwords import hash_password, one_time_password
from portal.auth.sessions import revoke_all_sessions
from portal.extensions import db, limit
from portal.shell.text import clean, fold
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import REGISTERS_READ_PERSONAL, ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


@dataclass
class NewAccount:
    username: str
    full_name: str
    role: str
    unit_code: str
    errors: dict[str, object] = field(default_factory=dict)
    unit: AdminUnit | None = None


def _actor_id(actor):
    return actor.id if actor is not None else None


def check_role_target(actor, scope: AdminUnit, role: str, unit_code: str) -> tuple[AdminUnit | None, dict]:
    if role not in ROLES:
        return None, {"role": _l("Unknown role.")}
    if role not in grantable_roles(actor, scope):
        return None, {"role": _l("You may not grant this role.")}
    unit = db.session.scalar(select(AdminUnit).where(AdminUnit.address == (unit_code or "").strip()))
    if unit is None or not unit.path.startswith(scope.path) or unit.valid_to is not None:
        return None, {"unit_code": _l("No unit with this code in your area.")}
    if unit.level != ROLES[role].level:
        levels = {"province": _l("the province"), "district": _l("a district"), "commune": _l("a commune")}
        return None, {"unit_code": _l("This role is granted on %(level)s.", level=levels[ROLES[role].level])}
    return unit, {}


def check_new_accounts(actor, scope: AdminUnit, accounts: list[NewAccount]) -> None:
    """Fill each account's errors; usernames must be new, and unique within the batch."""
    wanted = [fold(a.username) for a in accounts]
    existing = set(db.session.scalars(select(User.username).where(User.username.in_(wanted))))
    first_row: dict[str, int] = {}
    for index, account in enumerate(accounts):
        account.username = (account.username or "").strip().lower()
        account.full_name = clean(account.full_name)
        if not USERNAME.match(account.username):
            account.errors["username"] = _l(
                "3 to 40 characters: lower-case letters without accents, digits, dot, dash or underscore."
            )
        elif account.username in existing:
            account.errors["username"] = _l("This username is already taken.")
        elif account.username in first_row:
            account.errors["username"] = _l("Same username as row %(row)d.", row=first_row[account.username])
        first_row.setdefault(account.username, index + 2)
        if account.full_name.startswith(("=", "+", "@")):
            account.errors["full_name"] = _l("Formulas are not accepted; enter the value itself.")
        elif not account.full_name:
            account.errors["full_name"] = _l("Enter the full name.")
        elif len(account.full_name) > limit(User.full_name):
            account.errors["full_name"] = _l("At most %(max)d characters.", max=limit(User.full_name))
        account.unit, problems = check_role_target(actor, scope, account.role, account.unit_code)
        account.errors.update(problems)


def _hash_all(passwords: list[str]) -> list[str]:
    # argon2 releases the GIL: spread the (deliberately slow) hashing over the cores.
    if len(passwords) < 4:
        return [hash_password(p) for p in passwords]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(hash_password, passwords))


def create_accounts(actor, scope: AdminUnit, accounts: list[NewAccount], passwords: list[str] | None = None):
    """Create every account or none. Returns [(user, one-time password)], or [] when any row is refused."""
    check_new_accounts(actor, scope, accounts)
    if any(a.errors for a in accounts):
        return []
    if passwords is None:
        passwords = [one_time_password() for _ in accounts]
        must_change = True
    else:
        must_change = False
    hashes = _hash_all(passwords)
    created = []
    for account, password, password_hash in zip(accounts, passwords, hashes, strict=True):
        user = User(
            username=account.username,
            full_name=account.full_name,
            search_key=fold(f"{account.username} {account.full_name}"),
            password_hash=password_hash,
            must_change_password=must_change,
        )
        user.assignments.append(RoleAssignment(role=account.role, unit=account.unit, granted_by_id=_actor_id(actor)))
        db.session.add(user)
        created.append((user, password))
    db.session.flush()
    for user, _password in created:
        activation.issue(actor, user, one_time_password=must_change)
        audit.record(
            "account_created",
            actor_id=_actor_id(actor),
            unit_id=user.assignments[0].unit.id,
            object_type="user_account",
            object_id=user.id,
            after={"username": user.username, "role": user.assignments[0].role, "unit": user.assignments[0].unit.code},
        )
    return created


def reset_password(actor, scope: AdminUnit, user: User) -> str:
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    activation.issue(actor, user, one_time_password=True)
    revoke_all_sessions(user.id)
    audit.record(
        "password_reset", actor_id=_actor_id(actor), unit_id=scope.id, object_type="user_account", object_id=user.id
    )
    return password


def reset_two_factor(actor, scope: AdminUnit, user: User) -> None:
    """For an officer who lost the phone and the recovery codes: the app and the codes stop working, every
    session ends, and the account enrols again at its next login (where its role requires it)."""
    two_factor.disable(user)
    revoke_all_sessions(user.id)
    audit.record(
        "two_factor_reset", actor_id=_actor_id(actor), unit_id=scope.id, object_type="user_account", object_id=user.id
    )


def set_active(actor, scope: AdminUnit, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        revoke_all_sessions(user.id)
    audit.record(
        "account_enabled" if active else "account_disabled",
        actor_id=_actor_id(actor),
        unit_id=scope.id,
        object_type="user_account",
        object_id=user.id,
    )


def grant_role(actor, scope: AdminUnit, user: User, role: str, unit_code: str) -> dict:
    unit, errors = check_role_target(actor, scope, role, unit_code)
    if errors:
        return errors
    if any(a.role == role and a.unit_id == unit.id for a in user.assignments):
        return {"role": _l("The account already has this role there.")}
    user.assignments.append(RoleAssignment(role=role, unit=unit, granted_by_id=_actor_id(actor)))
    if REGISTERS_READ_PERSONAL in ROLES[role].permissions:  # the manager may know the account's password
        activation.issue(actor, user, one_time_password=False)
        revoke_all_sessions(user.id)
    audit.record(
        "role_granted",
        actor_id=_actor_id(actor),
        unit_id=unit.id,
        object_type="user_account",
        object_id=user.id,
        after={"role": role, "unit": unit.code},
    )
    return {}


def revoke_role(actor, scope: AdminUnit, user: User, assignment: RoleAssignment) -> None:
    user.assignments.remove(assignment)
    revoke_all_sessions(user.id)  # reach shrinks now, not at the next login
    audit.record(
        "role_revoked",
        actor_id=_actor_id(actor),
        unit_id=assignment.unit_id,
        object_type="user_account",
        object_id=user.id,
        before={"role": assignment.role, "unit": assignment.unit.code},
    )
