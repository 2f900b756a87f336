"""The province's review of the 2025 reform: each split commune with the villages its default successor
took (each can move, with everything attached to it, to the other successor), and what the replay
renamed and moved between hands. Names of villages and counts only: no person."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.access_log.views import ACTION_LABELS
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.tenancy.guard import acting_as, system_scope
from portal.tenancy.models import AdminUnit, UnitLineage
from portal.tenancy.roles import UNITS_MANAGE
from portal.tenancy.routing import requires, unit_blueprint
from portal.tenants.reform import MoveRefused, move_village, split_communes
from portal.villages.models import Household, Village

reform = unit_blueprint("reform", __name__, url_prefix="/reform")
REVIEWED = ("role_moved", "reform_rename", "reform_village_moved")


def _splits() -> list[dict]:
    out = []
    for old in split_communes():
        links = db.session.scalars(
            select(UnitLineage)
            .where(UnitLineage.from_unit_id == old.id)
            .order_by(UnitLineage.is_default.desc(), UnitLineage.to_unit_id)
        ).all()
        households = (
            select(func.count(Household.id))
            .where(Household.village_id == Village.id, Household.deleted_at.is_(None))
            .scalar_subquery()
        )
        villages = db.session.execute(
            select(Village, households)
            .where(Village.former_commune_id == old.id, Village.deleted_at.is_(None))
            .order_by(Village.name)
        ).all()
        out.append({"old": old, "links": links, "villages": villages})
    return out


@reform.get("/")
@requires(UNITS_MANAGE, ("province",))
def index(unit):
    with system_scope(db.session):  # village names and counts across the province: no person
        splits = _splits()
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(REVIEWED)).order_by(AuditEvent.id.desc()).limit(500)
        ).all()
        units = {u.id: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.level == "commune"))}
        return render_template(
            "reform/index.html", unit=unit, splits=splits, events=events, units=units, action_names=ACTION_LABELS
        )


@reform.post("/move")
@requires(UNITS_MANAGE, ("province",))
def move(unit):
    back = redirect(url_for("reform.index", unit_code=unit.address))
    with system_scope(db.session):
        acting_as(db.session, current_user.id)
        village = db.session.get(Village, request.form.get("village", type=int) or 0)
        target = db.session.scalar(select(AdminUnit).where(AdminUnit.address == request.form.get("to", "")))
        if village is None or village.deleted_at is not None or target is None or not unit.contains(target):
            flash(_("Choose a village of a split commune and one of its successors."), "error")
            return back
        names = {"village": village.name, "unit": target.name}  # read in system scope: the user reads no register
        try:
            counts = move_village(village, target, current_user)
        except MoveRefused as refused:
            db.session.rollback()
            flash(_("The village was not moved: %(why)s.", why=str(refused)), "error")
            return back
        db.session.commit()
    flash(_("%(village)s moved to %(unit)s with %(n)s records.", n=sum(counts.values()), **names), "success")
    return back
