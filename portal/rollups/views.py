"""The district and province home pages (served under units.home, which gates them)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.auth.roles import ACCOUNTS_MANAGE, CRITERIA_MANAGE
from portal.rollups.results import district_view, label, province_view, sorted_and_filtered
from portal.tenancy.access import has_permission

templates = Blueprint("rollups", __name__, template_folder="templates")


def district_page(unit):
    version, criteria, rows, totals = district_view(unit)
    shown, sort, fails = sorted_and_filtered(rows, criteria, request.args)
    return render_template(
        "rollups/district.html",
        unit=unit,
        version=version,
        criteria=criteria,
        rows=shown,
        totals=totals,
        sort=sort,
        fails=fails,
        label=label,
        can_manage_accounts=has_permission(current_user, unit, ACCOUNTS_MANAGE),
    )


def province_page(unit):
    version, criteria, districts, total = province_view(unit)
    return render_template(
        "rollups/province.html",
        unit=unit,
        version=version,
        criteria=criteria,
        districts=districts,
        total=total,
        label=label,
        can_manage_accounts=has_permission(current_user, unit, ACCOUNTS_MANAGE),
        can_manage_criteria=has_permission(current_user, unit, CRITERIA_MANAGE),
    )
