"""The district and province pages (served under units.home, which gates them), their XLSX exports and
their printable pages."""


from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.criteria.metrics import METRICS
from portal.recognition.states import STAGE_LABELS
from portal.rollups import charts
from portal.rollups.results import district_view, label, province_view, sorted_and_filtered
from portal.shell import downloads
from portal.shell.sheets import workbook
from portal.tenancy.access import has_permission
from portal.tenancy.roles import ACCOUNTS_MANAGE, CRITERIA_MANAGE, UNIT_VIEW
from portal.tenancy.routing import requires, unit_blueprint

rollups = unit_blueprint("rollups", __name__)
LEVELS = ("province", "district")


def _district_context(unit) -> dict:
    version, criteria, rows, totals = district_view(unit)
    shown, sort, fails = sorted_and_filtered(rows, criteria, request.args)
    return {
        "unit": unit,
        "version": version,
        "criteria": criteria,
        "rows": shown,
        "totals": totals,
        "sort": sort,
        "fails": fails,
        "label": label,
        "share_codes": {c.code for c in criteria if METRICS[c.metric].value == "share"},
    }


def _province_context(unit) -> dict:
    version, criteria, districts, total, rows = province_view(unit)
    points, labels, height = charts.map_layout(rows, [d for d, _t in districts])
    return {
        "unit": unit,
        "version": version,
        "criteria": criteria,
        "districts": districts,
        "total": total,
        "label": label,
        "trend": charts.trend(unit),
        "tree_changes": charts.tree_changes,
        "targets": charts.targets(unit),
        "broken": sorted((r for r in rows if r.broken_since), key=lambda r: (r.broken_since, r.unit.code)),
        "points": points,
        "labels": labels,
        "map_width": charts.MAP_WIDTH,
        "map_height": height,
        "district_names": {d.id: d.name for d, _t in districts},
        "unit_href": url_for("units.home", unit_code="__code__"),
        "map_marks": charts.map_marks,
    }


def district_page(unit):
    return render_template(
        "rollups/district.html",
        **_district_context(unit),
        can_manage_accounts=has_permission(current_user, unit, ACCOUNTS_MANAGE),
    )


def province_page(unit):
    return render_template(
        "rollups/province.html",
        **_province_context(unit),
        can_manage_accounts=has_permission(current_user, unit, ACCOUNTS_MANAGE),
        can_manage_criteria=has_permission(current_user, unit, CRITERIA_MANAGE),
    )


@rollups.get("/rollup/print")
@requires(UNIT_VIEW, LEVELS)
def printable(unit):
    """The page's tables and charts on A4 landscape, without menus or forms."""
    printed_at = clock.utcnow()
    if unit.level == "district":
        return render_template("rollups/print_district.html", **_district_context(unit), printed_at=printed_at)
    return render_template("rollups/print_province.html", **_province_context(unit), printed_at=printed_at)


def _cell(row, code: str, share_codes: set):
    result = row.cells.get(code)
    if result is None:
        return None
    return f"{result.numerator}/{result.denominator}" if code in share_codes else int(result.value)


@rollups.get("/rollup.xlsx")
@requires(UNIT_VIEW, LEVELS)
def export(unit):
    """The district matrix (as filtered and sorted on screen) or the province table, as values."""
    if unit.level == "district":
        context = _district_context(unit)
        criteria, share_codes = context["criteria"], context["share_codes"]
        headers = [_("Code"), _("Commune"), _("Criteria not met")]
        headers += [f"{c.code} {label(c)}" for c in criteria]
        headers += [f"{c.code} {_('met')}" for c in criteria] + [_("Stage")]
        rows = [
            [r.unit.code, r.unit.name, r.failing if r.computed else None]
            + [_cell(r, c.code, share_codes) for c in criteria]
            + [(_("yes") if r.cells[c.code].passed else _("no")) if c.code in r.cells else None for c in criteria]
            + [str(STAGE_LABELS[r.stage])]
            for r in context["rows"]
        ]
        data = workbook(unit.name, headers, rows, (8, 26, 10))
        return downloads.download(data, downloads.XLSX, f"so-sanh-xa-{unit.code}.xlsx")
    context = _province_context(unit)
    headers = [
        _("Code"),
        _("District-level unit"),
        _("Communes"),
        _("Meeting every criterion"),
        _("Submitted"),
        _("Recognised"),
        _("Recognised but failing now"),
        _("Share meeting every criterion"),
    ]
    rows = [
        [d.code, d.name, t.communes, t.meeting_all, t.submitted, t.recognised, t.broken, round(t.share, 4)]
        for d, t in context["districts"]
    ]
    t = context["total"]
    rows.append(["", _("Province"), t.communes, t.meeting_all, t.submitted, t.recognised, t.broken, round(t.share, 4)])
    data = workbook(unit.name, headers, rows, (8, 26, 10, 14, 10, 10, 14, 14))
    return downloads.download(data, downloads.XLSX, f"tien-do-{unit.code}.xlsx")
