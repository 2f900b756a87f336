"""The scorecard's drill-down, a scorecard for a past day, and the province's criteria versions."""

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.audit.actions import record_list_read
from portal.criteria import versions
from portal.criteria.metrics import METRICS, aside_rows, failing_rows
from portal.criteria.models import COMPARATORS, CriteriaVersion
from portal.criteria.results import frame_for, version_in_force
from portal.criteria.scorecard import scorecard
from portal.extensions import db
from portal.registers.registry import REGISTERS
from portal.tenancy.access import has_permission
from portal.tenancy.roles import CRITERIA_MANAGE, REGISTERS_READ, REGISTERS_READ_PERSONAL
from portal.tenancy.routing import requires, unit_blueprint

criteria = unit_blueprint("criteria", __name__, url_prefix="/criteria")


def _day_argument() -> tuple[date, str | None]:
    text, today = request.args.get("day", "").strip(), clock.today()
    if not text:
        return today, None
    try:
        day = datetime.strptime(text.replace("-", "/"), "%d/%m/%Y").date()
    except ValueError:
        return today, _("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
    if day > today:
        return today, _("This date is in the future.")
    return day, None


@criteria.get("/scorecard")
@requires(REGISTERS_READ, ("commune",))
def past(unit):
    day, error = _day_argument()
    lines, version = scorecard(unit, day)
    return render_template(
        "criteria/scorecard_page.html",
        unit=unit,
        lines=lines,
        version=version,
        day=day,
        error=error,
        day_text=request.args.get("day", ""),
    )


@criteria.get("/<code>/")
@requires(REGISTERS_READ, ("commune",))
def failing(unit, code):
    day, error = _day_argument()
    version = version_in_force(day)
    criterion = next((c for c in (version.criteria if version else []) if c.code == code), None)
    if criterion is None:
        abort(404)
    metric = METRICS[criterion.metric]
    register = REGISTERS[metric.register]
    personal = has_permission(current_user, unit, REGISTERS_READ_PERSONAL)
    frame = frame_for(criterion, version, day)
    shown = has_permission(current_user, unit, register.read_permission)  # missed cases: not for viewers
    rows = db.session.scalars(failing_rows(metric, unit.id, frame)).all() if shown else []
    apart = aside_rows(metric, unit.id, frame)
    apart = db.session.scalars(apart).all() if apart is not None and shown else []
    line = next(line for line in scorecard(unit, day)[0] if line.criterion.code == code)
    if personal and (rows or apart) and register.search_is_personal:  # the records at fault, named
        ids = [r.id for r in (*rows, *apart)]
        record_list_read(current_user, unit, register.model.__tablename__, ids, criterion=code)
    return render_template(
        "criteria/failing.html",
        unit=unit,
        line=line,
        rows=rows,
        apart=apart,
        register=register,
        describe=lambda row: register.describe(row, personal),
        why=(lambda row: metric.why(row, frame)) if metric.why and personal else None,
        day=day,
        error=error,
        is_today=day == clock.today(),
        shown=shown,
    )


@criteria.get("/")
@requires(CRITERIA_MANAGE, ("province",))
def index(unit):
    all_versions = db.session.scalars(
        select(CriteriaVersion).where(CriteriaVersion.province_id == unit.id).order_by(CriteriaVersion.number.desc())
    ).all()
    return render_template(
        "criteria/versions.html",
        unit=unit,
        versions=all_versions,
        in_force=version_in_force(),
        comparators=COMPARATORS,
        locale=str(get_locale()),
        metrics=METRICS,
        windows=versions.WINDOWS,
    )


@criteria.route("/new", methods=["GET", "POST"])
@requires(CRITERIA_MANAGE, ("province",))
def publish(unit):
    current = version_in_force() or db.session.scalar(
        select(CriteriaVersion).where(CriteriaVersion.province_id == unit.id).order_by(CriteriaVersion.number.desc())
    )
    draft, errors = versions.draft_from(current), {}
    if request.method == "POST":
        draft, errors = versions.read_draft(request.form, current)
        if not errors:
            version = versions.publish(unit, current_user, draft, current)
            db.session.commit()
            flash(_("Criteria version %(n)s published.", n=version.number), "success")
            return redirect(url_for("criteria.index", unit_code=unit.address))
    return render_template(
        "criteria/publish.html",
        unit=unit,
        draft=draft,
        errors=errors,
        comparators=COMPARATORS,
        metrics=METRICS,
        windows=versions.WINDOWS,
        current=current,
    )
