"""Villages of a commune: thin views, access → action → response; htmx gets the fragment, a plain
browser the whole page."""

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import REGISTERS_READ, REGISTERS_WRITE
from portal.extensions import db
from portal.tenancy.access import has_permission
from portal.tenancy.routing import requires, unit_blueprint
from portal.villages import actions
from portal.villages.access import get_village, list_villages
from portal.villages.forms import VillageForm
from portal.villages.models import VILLAGE_KINDS

villages = unit_blueprint("villages", __name__, url_prefix="/villages")
COMMUNE = ("commune",)


def _page(unit, form=None, conflict=None, editing=None):
    show_deleted = request.args.get("deleted") == "1"
    query = request.args.get("q", "")
    context = {
        "unit": unit,
        "villages": list_villages(unit, query, deleted=show_deleted),
        "query": query,
        "show_deleted": show_deleted,
        "kinds": VILLAGE_KINDS,
        "can_write": has_permission(current_user, unit, REGISTERS_WRITE),
        "form": form,
        "conflict": conflict,
        "editing": editing,
    }
    if request.htmx and form is not None:
        return render_template("villages/_editor.html", **context)
    if request.htmx and request.htmx.target == "village-rows":
        return render_template("villages/_rows.html", **context)
    return render_template("villages/list.html", **context)


def _saved(unit, message):
    db.session.commit()
    if request.htmx:
        flash(message, "success")
        return render_template(
            "villages/_saved.html",
            unit=unit,
            villages=list_villages(unit),
            kinds=VILLAGE_KINDS,
            can_write=True,
            show_deleted=False,
            form=None,
            query="",
        )
    flash(message, "success")
    return redirect(url_for("villages.index", unit_code=unit.code))


@villages.get("/")
@requires(REGISTERS_READ, COMMUNE)
def index(unit):
    return _page(unit)


@villages.get("/new")
@requires(REGISTERS_WRITE, COMMUNE)
def new(unit):
    return _page(unit, form=VillageForm(formdata=None))


@villages.post("/")
@requires(REGISTERS_WRITE, COMMUNE)
def create(unit):
    form = VillageForm()
    if form.validate():
        village, errors = actions.create_village(unit, current_user, form.data)
        if not errors:
            return _saved(unit, _("Village %(name)s added.", name=village.name))
        for field, message in errors.items():
            form[field].errors.append(message)
    return _page(unit, form=form)


@villages.get("/<int:village_id>/edit")
@requires(REGISTERS_WRITE, COMMUNE)
def edit(unit, village_id):
    village = get_village(unit, village_id)
    form = VillageForm(obj=village)
    form.version.data = village.version
    return _page(unit, form=form, editing=village)


@villages.post("/<int:village_id>")
@requires(REGISTERS_WRITE, COMMUNE)
def update(unit, village_id):
    village = get_village(unit, village_id)
    form = VillageForm()
    if form.validate():
        try:
            seen = int(form.version.data or 0)
            errors = actions.update_village(unit, current_user, village, form.data, seen)
        except actions.Conflict:
            db.session.rollback()
            current = get_village(unit, village_id)
            form.version.data = current.version
            return _page(unit, form=form, conflict=current, editing=current)
        if not errors:
            return _saved(unit, _("Village %(name)s saved.", name=village.name))
        for field, message in errors.items():
            form[field].errors.append(message)
    return _page(unit, form=form, editing=village)


@villages.post("/<int:village_id>/delete")
@requires(REGISTERS_WRITE, COMMUNE)
def delete(unit, village_id):
    village = get_village(unit, village_id)
    actions.delete_village(unit, current_user, village)
    return _saved(unit, _("Village %(name)s deleted. You can restore it from the deleted list.", name=village.name))


@villages.post("/<int:village_id>/restore")
@requires(REGISTERS_WRITE, COMMUNE)
def restore(unit, village_id):
    village = get_village(unit, village_id, deleted=True)
    errors = actions.restore_village(unit, current_user, village)
    if errors:
        flash(errors["name"], "error")
        return redirect(url_for("villages.index", unit_code=unit.code, deleted=1))
    return _saved(unit, _("Village %(name)s restored.", name=village.name))


@villages.get("/<int:village_id>/history")
@requires(REGISTERS_READ, COMMUNE)
def history(unit, village_id):
    village = get_village(unit, village_id, deleted=None)
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.unit_id == unit.id,
            AuditEvent.object_type == "village",
            AuditEvent.object_id == str(village.id),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    changes = [(e, json.loads(e.before) if e.before else {}, json.loads(e.after) if e.after else {}) for e in events]
    labels = {"name": _("Name"), "kind": _("Kind"), "head_name": _("Village head"), "deleted_at": _("Deleted on")}
    return render_template(
        "villages/history.html", unit=unit, village=village, changes=changes, labels=labels, kinds=VILLAGE_KINDS
    )
