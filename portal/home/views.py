"""The unit pages: `/` sends a user to their unit; `/u/<code>/` shows what the unit's level calls for."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.criteria.scorecard import scorecard
from portal.home.kept import kept_content
from portal.recognition.access import newest_with_predecessors, stage_of
from portal.rollups.views import district_page, province_page
from portal.tenancy.access import has_permission, home_units
from portal.tenancy.roles import (
    REGISTERS_READ,
    REGISTERS_WRITE,
    UNIT_VIEW,
)
from portal.tenancy.routing import requires, unit_blueprint
from portal.workspace.registers import summary

root = Blueprint("root", __name__)
units = unit_blueprint("units", __name__)


@root.get("/")
@login_required
def index():
    homes = home_units(current_user)
    if len(homes) == 1:
        return redirect(url_for("units.home", unit_code=homes[0].address))
    return render_template("home/choose_unit.html", homes=homes)


@units.get("/")
@requires(UNIT_VIEW)
def home(unit):
    if unit.level == "district":
        return district_page(unit)
    if unit.level == "province":
        return province_page(unit)

    return render_template("home/home_commune.html", unit=unit, content=kept_content(unit, lambda: _content(unit)))


def _content(commune) -> str:
    """The workspace below its breadcrumbs, drawn (portal/home/kept.py keeps it)."""
    workspace = None
    lines, version = scorecard(commune)  # counts only: every role that sees the commune sees its scorecard
    if has_permission(current_user, commune, REGISTERS_READ):
        workspace = summary(commune)
    dossier = newest_with_predecessors(commune).get(commune.id)
    return render_template(
        "home/_commune_content.html",
        unit=commune,
        workspace=workspace,
        dossier=dossier,
        stage=stage_of(dossier),
        lines=lines,
        version=version,
        day=None,
        can_import=has_permission(current_user, commune, REGISTERS_WRITE),
    )
