"""Which accounts an account manager may see and change, and which roles they may grant where.

A manager acting within a scope unit manages an account when every role the account holds is one the
manager may grant and sits on a unit inside the scope. Anything else answers 404, like a missing one.
"""

from flask import abort
from sqlalchemy import exists, not_, or_, select

from portal.auth.models import RoleAssignment, User
from portal.extensions import db
from portal.shell.text import fold
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import ACCOUNTS_MANAGE, ROLES

ALL_ROLES = frozenset(ROLES)


def grantable_roles(actor, scope: AdminUnit) -> frozenset[str]:
    """Roles the actor may grant inside the scope; None stands for the system (the CLI): all of them."""
    if actor is None:
        return ALL_ROLES
    granted: set[str] = set()
    for assignment in actor.assignments:
        role = ROLES[assignment.role]
        if ACCOUNTS_MANAGE in role.permissions and scope.path.startswith(assignment.unit.path):
            granted |= role.grants
    return frozenset(granted)


def managed_users_query(actor, scope: AdminUnit, search: str = ""):
    roles = sorted(grantable_roles(actor, scope))
    outside = (
        select(RoleAssignment.id)
        .join(AdminUnit, AdminUnit.id == RoleAssignment.unit_id)
        .where(
            RoleAssignment.user_id == User.id,
            or_(not_(AdminUnit.path.startswith(scope.path)), RoleAssignment.role.not_in(roles)),
        )
    )
    inside = select(RoleAssignment.id).where(RoleAssignment.user_id == User.id)
    stmt = select(User).where(not_(exists(outside)))
    if frozenset(roles) != ALL_ROLES:
        # An account with no role left is only the administrator's to see.
        stmt = stmt.where(exists(inside))
    if actor is not None:
        stmt = stmt.where(User.id != actor.id)
    if search.strip():
        stmt = stmt.where(User.search_key.contains(fold(search), autoescape=True))
    return stmt.order_by(User.username)


def find_managed_user(actor, scope: AdminUnit, user_id: int) -> User | None:
    return db.session.scalar(managed_users_query(actor, scope).where(User.id == user_id))


def get_managed_user(actor, scope: AdminUnit, user_id: int) -> User:
    """The account if the actor manages it within the scope, else 404."""
    user = find_managed_user(actor, scope, user_id)
    if user is None:
        abort(404)
    return user


def get_managed_assignment(user: User, assignment_id: int) -> RoleAssignment:
    for assignment in user.assignments:
        if assignment.id == assignment_id:
            return assignment
    abort(404)


