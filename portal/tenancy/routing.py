"""Every page about a unit lives under /u/<unit code>/. This module is the gate in front of them.

`unit_blueprint()` makes a blueprint whose routes start with /u/<unit_code>; before any of its views
runs, the gate resolves the code, checks the user's role assignments against that unit and the
permission the view declared with `@requires`, sets the ORM reach for the request, and hands the view
the resolved `unit` in place of the code. A unit that does not exist, one outside the user's reach,
a permission the user lacks there, and a view that declared none all answer 404 alike.
"""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.tenancy.access import archived_under, find_unit, permissions_at, units_under
from portal.tenancy.guard import set_reach
from portal.tenancy.roles import ACCOUNTS_ACTIVATE, ACCOUNTS_MANAGE, REGISTERS_READ, REGISTERS_WRITE, UNIT_VIEW


def requires(permission, levels: tuple[str, ...] = ("province", "district", "commune")):
    """Declare what a unit view needs: a permission at the URL's unit (or a function of the unit that names
    it), and the unit levels it serves."""

    def decorate(view):
        view.required_permission = permission
        view.unit_levels = levels
        return view

    return decorate


def _open_unit():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    view = current_app.view_functions.get(request.endpoint)
    permission = getattr(view, "required_permission", None)
    address = request.view_args.pop("unit_code")
    unit = find_unit(address)
    if unit is None:
        moved = archived_under(address)
        if not moved:
            abort(404)
        # an old bookmark: what became of the unit, and where its successor and its archive are
        return render_template("shell/unit_moved.html", units=moved), 410
    granted = permissions_at(current_user, unit)
    if callable(permission):  # a permission that depends on the unit (who appraises: the province says)
        permission = permission(unit)
    if permission is None or UNIT_VIEW not in granted or permission not in granted:
        abort(404)
    if unit.level not in view.unit_levels:
        abort(404)
    units, communes = units_under(unit)
    readable = communes if REGISTERS_READ in granted else frozenset()
    writable = readable if REGISTERS_WRITE in granted else frozenset()
    manage = units if granted & {ACCOUNTS_MANAGE, ACCOUNTS_ACTIVATE} else frozenset()
    set_reach(db.session, read=readable, write=writable, actor_id=current_user.id, units=units, manage=manage)
    request.view_args["unit"] = unit
    return None


def unit_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix="/u/<unit_code>" + url_prefix, template_folder="templates")
    blueprint.before_request(_open_unit)
    return blueprint
