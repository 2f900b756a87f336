"""The pages of every register, made from its declaration: list (search, filters, sorting, pages),
the row's page with its history, create and edit in place (htmx) with conflicts shown, soft delete
and restore. Views stay thin: access → action → response."""

import json
from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal import clock
from portal.audit.actions import EXPORT, READ, record, record_list_read, record_read
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.registers import actions, display
from portal.registers.access import PAGE_SIZE, get_row, list_statement, page_of
from portal.registers.export import export_audited, export_file_name, write_export
from portal.registers.fields import RowSelectField
from portal.registers.registry import by_table, load_row_choices
from portal.registers.spec import Register
from portal.shell import downloads
from portal.shell.args import page_number
from portal.tenancy.access import has_permission
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import REGISTERS_READ, REGISTERS_READ_PERSONAL, REGISTERS_WRITE
from portal.tenancy.routing import requires, unit_blueprint

COMMUNE = ("commune",)


def _personal(unit) -> bool:
    return has_permission(current_user, unit, REGISTERS_READ_PERSONAL)


def _form_labels(register: Register) -> dict:
    form = register.form(formdata=None, meta={"csrf": False})
    labels = {f.name: f.label.text for f in form if f.name not in actions.NOT_COPIED}
    return {**labels, **register.field_labels}


def _references(register: Register) -> dict:
    """Fields that hold the id of another row of the commune, and that row's table."""
    form = register.form(formdata=None, meta={"csrf": False})
    found = {f.name: f.model_name for f in form if isinstance(f, RowSelectField)}
    return {**found, **register.references}


def _describer(register: Register, unit, personal: bool):
    """value(key, stored) -> text: a reference reads as the row it names (looked up in this commune only,
    once per row however often the history names it)."""
    references = _references(register)
    named: dict[tuple[str, int], str] = {}

    def name_of(table: str, row_id: int) -> str:
        if (table, row_id) not in named:
            target = by_table(table)
            row = db.session.scalar(
                select(target.model).where(target.model.commune_id == unit.id, target.model.id == row_id)
            )
            named[(table, row_id)] = target.describe(row, personal) if row is not None else "—"
        return named[(table, row_id)]

    def describe(key, value, history=False):
        if key in references and value not in (None, ""):
            if key in register.personal_fields and not personal:
                return display.MASK
            return name_of(references[key], int(value))
        if history:
            return display.history_value(register, key, value, personal)
        return display.field_value(register, key, value, personal)

    return describe


# The generic pages' templates; a register's own partials live with its domain (found through its blueprint).
templates = Blueprint("register_templates", __name__, template_folder="templates")


def make_blueprint(register: Register, sheet=None, queued_export=None) -> Blueprint:
    """The register's blueprint: its pages, under /u/<commune>/<slug>/. `sheet` is the register's import
    sheet (a portal.imports spec) when it has one: the list offers the import, and the export writes the
    sheet's columns so that an exported file goes back in. `queued_export(unit, register, chosen)` may take
    a large export to the job queue (portal/exports), answering with the page that follows it."""
    pages = RegisterPages(register, sheet, queued_export)
    blueprint = unit_blueprint(register.name, register.model.__module__, url_prefix=f"/{register.slug}")
    one = f"/<int:{register.param}>"
    read = partial(_reading, register.read_permission)
    blueprint.add_url_rule("/", "index", read(pages.index), methods=["GET"])
    blueprint.add_url_rule("/export.xlsx", "export", read(pages.export), methods=["GET"])
    if register.can_create:
        blueprint.add_url_rule("/new", "new", pages.new, methods=["GET"])
        blueprint.add_url_rule("/", "create", pages.create, methods=["POST"])
    blueprint.add_url_rule(one, "show", read(pages.show), methods=["GET"])
    blueprint.add_url_rule(one + "/edit", "edit", pages.edit, methods=["GET"])
    blueprint.add_url_rule(one, "update", pages.update, methods=["POST"])
    blueprint.add_url_rule(one + "/delete", "delete", pages.delete, methods=["POST"])
    blueprint.add_url_rule(one + "/restore", "restore", pages.restore, methods=["POST"])
    return blueprint


def _reading(permission: str, view):
    """A reading view of the register, with the permission its register asks of a reader."""
    if permission == view.required_permission:
        return view

    def reading(unit, **ids):
        return view(unit, **ids)

    reading.required_permission, reading.unit_levels = permission, view.unit_levels
    return reading


class RegisterPages:
    """The pages of one register. Each view is access → action → response."""

    def __init__(self, register: Register, sheet=None, queued_export=None):
        self.register = register
        self.sheet = sheet
        self.queued_export = queued_export
        self.param = register.param

    # What the list shows -----------------------------------------------------------------------------

    def selection(self, unit, args) -> dict:
        """The rows the list shows for these query-string arguments: only the search and filters the
        reader may use (a viewer cannot search or filter on personal data)."""
        register = self.register
        personal = _personal(unit)
        can_search = personal or not register.search_is_personal
        usable = [f for f in register.filters if personal or not f.personal]
        filters = {f.key: _offered(f, unit, args.get(f.key, "")) for f in usable}
        sort = args.get("sort", "")
        hidden = {c.key for c in register.columns if c.personal} | set(register.personal_fields)
        if not personal and sort.lstrip("-") in hidden:  # sorting on what one may not see would tell it
            sort = ""
        show_deleted = args.get("deleted") == "1"
        query = args.get("q", "") if can_search else ""
        stmt = list_statement(register, unit, query=query, filters=filters, sort=sort, deleted=show_deleted)
        return {
            "personal": personal,
            "can_search": can_search,
            "usable": usable,
            "filters": filters,
            "sort": sort,
            "show_deleted": show_deleted,
            "query": query,
            "stmt": stmt,
        }

    def list_context(self, unit, args, form=None, editing=None, conflict=None, errors=None) -> dict:
        """Everything the list page and its fragments show, for the given query-string arguments."""
        register = self.register
        chosen = self.selection(unit, args)
        personal = chosen["personal"]
        page = page_number(args)
        rows, total = page_of(chosen["stmt"], page)
        if personal and rows and any(c.personal for c in register.columns):  # names, numbers, results shown
            record_list_read(current_user, unit, register.model.__tablename__, [r.id for r in rows], page=page)
        return {
            "register": register,
            "unit": unit,
            "rows": rows,
            "total": total,
            "page": page,
            "page_size": PAGE_SIZE,
            "query": chosen["query"],
            "can_search": chosen["can_search"],
            "filters": chosen["filters"],
            "filter_specs": [(f, f.choices(unit)) for f in chosen["usable"]],
            "sort": chosen["sort"] or register.default_sort,
            "show_deleted": chosen["show_deleted"],
            "personal": personal,
            "can_write": has_permission(current_user, unit, REGISTERS_WRITE),
            "form": form,
            "editing": editing,
            "conflict": conflict,
            "errors": errors or {},
            "importable": self.sheet is not None,
            "cell": lambda row, column: display.cell(register, row, column, personal, unit),
            "register_value": lambda reg, name, row: display.field_value(reg, name, getattr(row, name, None), True),
        }

    def listing(self, unit, form=None, editing=None, conflict=None, errors=None):
        context = self.list_context(unit, request.args, form, editing, conflict, errors)
        if request.htmx and form is not None:
            return render_template("registers/_editor.html", **context)
        if request.htmx and request.htmx.target == "register-rows":
            return render_template("registers/_rows.html", **context)
        return render_template("registers/list.html", **context)

    def saved(self, unit, row, message):
        db.session.commit()
        flash(message, "success")
        if request.htmx:  # the list as it first opens, refreshed out of band beside an empty editor
            return render_template("registers/_saved.html", **self.list_context(unit, MultiDict()))
        return redirect(url_for(f"{self.register.name}.show", unit_code=unit.address, **{self.param: row.id}))

    def new_form(self, unit, formdata=None):
        form = self.register.form(formdata=formdata)
        load_row_choices(form, unit)
        return form

    # The views ---------------------------------------------------------------------------------------

    @requires(REGISTERS_READ, COMMUNE)
    def index(self, unit):
        return self.listing(unit)

    @requires(REGISTERS_READ, COMMUNE)
    def export(self, unit):
        """The list as it is filtered, as .xlsx; the export itself is recorded before a byte is sent."""
        register = self.register
        chosen = self.selection(unit, request.args)
        queued = self.queued_export and self.queued_export(unit, register, chosen)
        if queued is not None:
            return queued
        path, count = write_export(register, chosen["stmt"], chosen["personal"], self.sheet)
        try:
            record(
                EXPORT,
                actor_id=current_user.id,
                unit_id=unit.id,
                object_type=register.model.__tablename__,
                after=export_audited(
                    count, chosen["query"], chosen["filters"], chosen["show_deleted"], chosen["personal"]
                ),
            )
            db.session.commit()
        except Exception:
            path.unlink(missing_ok=True)  # no audit row, no file
            raise
        return downloads.stream_file(path, downloads.XLSX, export_file_name(register, unit, clock.today()))

    @requires(REGISTERS_WRITE, COMMUNE)
    def new(self, unit):
        form = self.new_form(unit)
        for name in self.register.prefill:
            if name in request.args and name in form:
                form[name].process_data(
                    form[name].coerce(request.args[name]) if hasattr(form[name], "coerce") else request.args[name]
                )
        return self.listing(unit, form=form)

    @requires(REGISTERS_WRITE, COMMUNE)
    def create(self, unit):
        register = self.register
        form = self.new_form(unit, request.form)
        errors = {}
        if form.validate():
            row, errors = actions.save_row(register, unit, current_user, None, form.data)
            if not errors:
                return self.saved(unit, row, _("%(what)s added.", what=register.describe(row, True)))
            _attach(form, errors)
        return self.listing(unit, form=form, errors=errors)

    @requires(REGISTERS_READ, COMMUNE)
    def show(self, unit, **ids):
        register = self.register
        row = get_row(register, unit, ids[self.param], deleted=None)
        personal = _personal(unit)
        labels = _form_labels(register)
        describe = _describer(register, unit, personal)
        facts = [(labels[k], describe(k, getattr(row, k))) for k in labels if hasattr(row, k)]
        if row.former_commune_id:  # moved here by the 2025 reform
            former = db.session.get(AdminUnit, row.former_commune_id)
            facts.append((_("Kept before the 2025 reform in"), f"{former.name} ({former.address})"))
        extra = {}
        for part in (register.detail_context, *register.detail_parts):
            if part is not None:
                extra.update(part(unit, row, personal))
        if register.search_is_personal:  # a look at a person's record is itself recorded
            record_read(current_user, unit, register.model.__tablename__, row.id)
        return render_template(
            "registers/show.html",
            register=register,
            unit=unit,
            row=row,
            facts=facts,
            history=_history(register, unit, row, labels, describe),
            personal=personal,
            can_write=has_permission(current_user, unit, REGISTERS_WRITE),
            today=clock.today(),
            title=register.describe(row, personal),
            **extra,
        )

    @requires(REGISTERS_WRITE, COMMUNE)
    def edit(self, unit, **ids):
        row = get_row(self.register, unit, ids[self.param])
        form = self.register.form(obj=row)
        load_row_choices(form, unit)
        form.version.data = row.version
        return self.listing(unit, form=form, editing=row)

    @requires(REGISTERS_WRITE, COMMUNE)
    def update(self, unit, **ids):
        register = self.register
        row = get_row(register, unit, ids[self.param])
        form = self.new_form(unit, request.form)
        errors = {}
        if form.validate():
            try:
                seen = int(form.version.data or 0)
                row, errors = actions.save_row(register, unit, current_user, row, form.data, seen)
            except actions.Conflict:
                db.session.rollback()
                current = get_row(register, unit, ids[self.param])
                form.version.data = current.version
                return self.listing(unit, form=form, editing=current, conflict=current)
            if not errors:
                return self.saved(unit, row, _("%(what)s saved.", what=register.describe(row, True)))
            _attach(form, errors)
            if row is None:
                row = get_row(register, unit, ids[self.param])
        return self.listing(unit, form=form, editing=row, errors=errors)

    @requires(REGISTERS_WRITE, COMMUNE)
    def delete(self, unit, **ids):
        row = get_row(self.register, unit, ids[self.param])
        errors = actions.delete_row(self.register, unit, current_user, row)
        if errors:
            flash(errors["__all__"], "error")
            return redirect(url_for(f"{self.register.name}.show", unit_code=unit.address, **{self.param: row.id}))
        message = _(
            "%(what)s deleted. You can restore it from the deleted list.", what=self.register.describe(row, True)
        )
        return self.saved(unit, row, message)

    @requires(REGISTERS_WRITE, COMMUNE)
    def restore(self, unit, **ids):
        row = get_row(self.register, unit, ids[self.param], deleted=True)
        errors = actions.restore_row(self.register, unit, current_user, row)
        if errors:
            flash(errors["__all__"], "error")
            return redirect(url_for(f"{self.register.name}.index", unit_code=unit.address, deleted=1))
        return self.saved(unit, row, _("%(what)s restored.", what=self.register.describe(row, True)))


def _offered(spec, unit, value: str) -> str:
    """The filter's value when the filter offers it, else no filter: a list filters only by its own choices."""
    if not value:
        return ""
    return value if value in {str(choice) for choice, _label in spec.choices(unit)} else ""


def _history(register: Register, unit, row, labels: dict, describe) -> list:
    """The row's changes, newest first: (event, [(field label, before, after)])."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.unit_id == unit.id,
            AuditEvent.object_type == register.model.__tablename__,
            AuditEvent.object_id == str(row.id),
            AuditEvent.action != READ,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    history = []
    for event in events:
        before = json.loads(event.before) if event.before else {}
        after = json.loads(event.after) if event.after else {}
        changes = [
            (
                labels[k],
                describe(k, before.get(k), history=True) if k in before else None,
                describe(k, after.get(k), history=True) if k in after else None,
            )
            for k in labels
            if k in before or k in after
        ]
        history.append((event, changes))
    return history


def _attach(form, errors: dict) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
