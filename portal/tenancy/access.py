"""Layer 1 of isolation: which units a user reaches, and with which permissions."""

from flask import abort

from portal.tenancy import tree
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import AUDIT_READ, REGISTERS_READ, REGISTERS_READ_PERSONAL, ROLES, UNIT_VIEW

_LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2}
# What anyone may do at an archived unit: read it; nobody writes there.
ARCHIVE_PERMISSIONS = frozenset({UNIT_VIEW, REGISTERS_READ, REGISTERS_READ_PERSONAL, AUDIT_READ})


def find_unit(address: str) -> AdminUnit | None:
    """The unit at this address: a code names the unit of the current tree, `<code>-2024` an archived one."""
    return tree.unit_at(address)


def get_unit(address: str) -> AdminUnit:
    """The unit at this address, or 404."""
    unit = find_unit(address)
    if unit is None:
        abort(404)
    return unit


def archived_under(code: str) -> list[AdminUnit]:
    """The archived units that carried this code: an old bookmark's commune, before the 2025 tree."""
    return tree.archived_with_code(code)


def permissions_at(user, unit: AdminUnit) -> frozenset[str]:
    """Every permission the user's assignments on this unit or an ancestor give there. An archived unit
    (a commune of the 2024 tree) is read-only for everyone, and its successors' officers read it too."""
    archived = unit.valid_to is not None
    paths = [unit.path]
    if archived:  # by id: a roll-up passes plain rows of units, not the model with its relationships
        paths += tree.current().successor_paths.get(unit.id, ())
    granted: set[str] = set()
    for assignment in user.assignments:
        if any(path.startswith(assignment.unit.path) for path in paths):
            granted |= ROLES[assignment.role].permissions
    return frozenset(granted & ARCHIVE_PERMISSIONS if archived else granted)


def has_permission(user, unit: AdminUnit, permission: str) -> bool:
    return user.is_authenticated and permission in permissions_at(user, unit)


def units_under(unit: AdminUnit) -> tuple[frozenset[int], frozenset[int]]:
    """What a page about the unit views (its tree, itself included, and the archived units its communes
    came from: their recognition shows on their successors' pages) and the communes of its own tree,
    whose registers it may read."""
    return tree.current().under((unit.path,))


def units_of(user) -> frozenset[int]:
    """Every unit the user's roles reach, with the archives their communes came from: what a page that
    is about no one unit (the inbox, the menu's count) views."""
    paths = tuple(sorted({assignment.unit.path for assignment in user.assignments}))
    return tree.current().under(paths)[0] if paths else frozenset()


def home_units(user) -> list[AdminUnit]:
    """The units the user's roles are granted on, widest first."""
    units = {a.unit.id: a.unit for a in user.assignments}
    return sorted(units.values(), key=lambda u: (_LEVEL_ORDER[u.level], u.code))
