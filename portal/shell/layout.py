"""What the base layout needs on every page: breadcrumbs, the user's units, permission checks."""

from flask_login import current_user

from portal.tenancy.access import has_permission, home_units
from portal.tenancy.roles import (
    ACCOUNTS_ACTIVATE,
    ACCOUNTS_MANAGE,
    AUDIT_READ,
    REGISTERS_READ,
    REGISTERS_WRITE,
    ROLES,
    UNITS_MANAGE,
)


def init_app(app) -> None:
    @app.context_processor
    def layout_helpers():
        def can(permission, unit):
            return unit is not None and has_permission(current_user, unit, permission)

        return {
            "can": can,
            "home_units": (lambda: home_units(current_user)) if current_user.is_authenticated else (lambda: []),
            "ROLES": ROLES,
            "P_REGISTERS_READ": REGISTERS_READ,
            "P_REGISTERS_WRITE": REGISTERS_WRITE,
            "P_ACCOUNTS_MANAGE": ACCOUNTS_MANAGE,
            "P_ACCOUNTS_ACTIVATE": ACCOUNTS_ACTIVATE,
            "P_AUDIT_READ": AUDIT_READ,
            "P_UNITS_MANAGE": UNITS_MANAGE,
        }
