"""What the base layout needs on every page: breadcrumbs, the user's units, permission checks, and the
header with its menu, which each worker keeps drawn (`site_header`)."""

import secrets

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup, escape

from portal.extensions import db
from portal.shell.drawn import Drawings
from portal.tenancy import tree
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

_HEADERS = Drawings(limit=2048)  # an account's menu per language (a province has some hundreds of accounts)
# What a kept header holds in place of the session's form token and the page's address, put in at each
# request: random per process, so no unit's or account's name can hold them.
_CSRF_HERE = f"csrf-{secrets.token_hex(16)}"
_NEXT_HERE = f"next-{secrets.token_hex(16)}"


def init_app(app) -> None:
    @app.context_processor
    def layout_helpers():
        def can(permission, unit):
            return unit is not None and has_permission(current_user, unit, permission)

        return {
            "can": can,
            "home_units": (lambda: home_units(current_user)) if current_user.is_authenticated else (lambda: []),
            "site_header": site_header,
            "ROLES": ROLES,
            "P_REGISTERS_READ": REGISTERS_READ,
            "P_REGISTERS_WRITE": REGISTERS_WRITE,
            "P_ACCOUNTS_MANAGE": ACCOUNTS_MANAGE,
            "P_ACCOUNTS_ACTIVATE": ACCOUNTS_ACTIVATE,
            "P_AUDIT_READ": AUDIT_READ,
            "P_UNITS_MANAGE": UNITS_MANAGE,
        }


@pass_context
def site_header(context) -> Markup:
    """The layout's header (shell/_header.html): the brand, the menu of the account's units and the
    language switch. It shows the account's name, its roles' units from the kept tree and the language,
    nothing read from a register, so it is kept under them; the form token and the page's address are
    the request's own, put in as it leaves."""

    def draw() -> str:  # from the layout's helpers alone: a page's own variables never reach it
        helpers: dict = {}
        current_app.update_template_context(helpers)
        template = context.environment.get_template("shell/_header.html")
        return template.render(helpers, csrf=_CSRF_HERE, next_path=_NEXT_HERE)

    drawn = _HEADERS.get(_header_key(), draw)
    next_path = request.full_path if request.method == "GET" else "/"
    return drawn.replace(_CSRF_HERE, escape(generate_csrf())).replace(_NEXT_HERE, escape(next_path))


def _header_key() -> tuple | None:
    """Everything the header shows: the account, its roles' units, the tree they are read from, the
    language and where the portal is served. None (drawn, never kept) before the tree is stamped."""
    place = (str(db.engine.url), str(get_locale()), request.script_root)
    if not current_user.is_authenticated:
        return (*place, None)
    stamp = tree.current().stamp
    if stamp is None:
        return None
    user = current_user._get_current_object()
    roles = tuple(sorted((assignment.role, assignment.unit_id) for assignment in user.assignments))
    return (*place, user.id, user.username, roles, stamp)
