"""The due list of a commune, and its count on the workspace."""

from flask import render_template, request
from flask_login import current_user

from portal import clock
from portal.persons.registers import person_name
from portal.tenancy.access import has_permission
from portal.tenancy.roles import REGISTERS_READ, REGISTERS_READ_PERSONAL
from portal.tenancy.routing import requires, unit_blueprint
from portal.workspace.due import DUE_KINDS, due_groups, due_items

workspace = unit_blueprint("workspace", __name__)


@workspace.get("/due/")
@requires(REGISTERS_READ, ("commune",))
def due(unit):
    today = clock.today()
    kind = request.args.get("kind", "")
    personal = has_permission(current_user, unit, REGISTERS_READ_PERSONAL)
    items = [i for i in due_items(unit, today, personal) if not kind or i.kind == kind]
    return render_template(
        "workspace/due.html",
        unit=unit,
        items=items,
        groups=due_groups(items),
        kinds=DUE_KINDS,
        kind=kind,
        today=today,
        name=lambda person: person_name(person, personal),
    )


@workspace.get("/due/count")
@requires(REGISTERS_READ, ("commune",))
def due_count(unit):
    """The workspace's "Needs action" button with its count, asked by the workspace after it is shown."""
    personal = has_permission(current_user, unit, REGISTERS_READ_PERSONAL)
    items = due_items(unit, clock.today(), personal)
    overdue = sum(1 for i in items if i.overdue)
    return render_template("workspace/_due_count.html", unit=unit, due_total=len(items), overdue_total=overdue)
