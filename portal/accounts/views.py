"""Account pages under /u/<unit>/accounts/: search, create, import a sheet, disable, roles, reset."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from portal.accounts import actions
from portal.accounts.access import (
    find_managed_user,
    get_managed_assignment,
    get_managed_user,
    grantable_roles,
    managed_users_query,
)
from portal.accounts.forms import AccountForm, GrantForm, ImportForm
from portal.accounts.sheet import SheetError, read_accounts, template_workbook
from portal.auth import activation
from portal.extensions import db
from portal.shell.args import page_number
from portal.tenancy.roles import ACCOUNTS_ACTIVATE, ACCOUNTS_MANAGE, ROLES
from portal.tenancy.routing import requires, unit_blueprint

accounts = unit_blueprint("accounts", __name__, url_prefix="/accounts")
MANAGING_LEVELS = ("province", "district")
PAGE_SIZE = 50


def _role_choices(unit):
    allowed = grantable_roles(current_user, unit)
    return [SelectChoice(name, str(role.label)) for name, role in ROLES.items() if name in allowed]


@accounts.get("/")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def index(unit):
    query = request.args.get("q", "")
    page = page_number(request.args)
    stmt = managed_users_query(current_user, unit, query)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    users = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    context = {
        "unit": unit,
        "users": users,
        "query": query,
        "page": page,
        "total": total,
        "page_size": PAGE_SIZE,
        "roles": ROLES,
    }
    if request.htmx and request.htmx.target == "account-rows":
        return render_template("accounts/_rows.html", **context)
    return render_template("accounts/index.html", **context)


@accounts.route("/new", methods=["GET", "POST"])
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def create(unit):
    form = AccountForm()
    form.role.choices = _role_choices(unit)
    if form.validate_on_submit():
        new = actions.NewAccount(form.username.data, form.full_name.data, form.role.data, form.unit_code.data)
        created = actions.create_accounts(current_user, unit, [new])
        if created:
            db.session.commit()
            return render_template("accounts/created.html", unit=unit, created=created, roles=ROLES)
        for name, message in new.errors.items():
            form[name].errors.append(message)
    return render_template("accounts/new.html", unit=unit, form=form)


@accounts.route("/import", methods=["GET", "POST"])
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def import_sheet(unit):
    form = ImportForm()
    rows, error = [], None
    if form.validate_on_submit():
        upload = form.sheet.data
        try:
            rows = read_accounts(upload.filename, upload.read(), current_app.config["ACCOUNT_SHEET_MAX_ROWS"])
        except SheetError as exc:
            error = exc.args[0]
        else:
            created = actions.create_accounts(current_user, unit, rows)
            if created:
                db.session.commit()
                return render_template("accounts/created.html", unit=unit, created=created, roles=ROLES)
            db.session.rollback()
    refused = [(i + 2, row) for i, row in enumerate(rows) if row.errors]
    return render_template("accounts/import.html", unit=unit, form=form, error=error, refused=refused, total=len(rows))


@accounts.get("/import/template.xlsx")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def import_template(unit):
    return Response(
        template_workbook(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=mau-tai-khoan.xlsx"},
    )


@accounts.get("/<int:user_id>")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def show(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    form = GrantForm(formdata=None)
    form.role.choices = _role_choices(unit)
    return render_template("accounts/show.html", unit=unit, user=user, form=form, roles=ROLES)


@accounts.post("/<int:user_id>/roles")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def grant(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    form = GrantForm()
    form.role.choices = _role_choices(unit)
    if form.validate():
        errors = actions.grant_role(current_user, unit, user, form.role.data, form.unit_code.data)
        if not errors:
            db.session.commit()
            flash(_("Role granted."), "success")
            return redirect(url_for("accounts.show", unit_code=unit.address, user_id=user.id))
        for name, message in errors.items():
            form[name].errors.append(message)
    return render_template("accounts/show.html", unit=unit, user=user, form=form, roles=ROLES)


@accounts.post("/<int:user_id>/roles/<int:assignment_id>/revoke")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def revoke(unit, user_id, assignment_id):
    user = get_managed_user(current_user, unit, user_id)
    actions.revoke_role(current_user, unit, user, get_managed_assignment(user, assignment_id))
    db.session.commit()
    flash(_("Role revoked."), "success")
    if find_managed_user(current_user, unit, user_id) is None:
        return redirect(url_for("accounts.index", unit_code=unit.address))
    return redirect(url_for("accounts.show", unit_code=unit.address, user_id=user.id))


@accounts.post("/<int:user_id>/disable")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def disable(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    actions.set_active(current_user, unit, user, False)
    db.session.commit()
    flash(_("Account %(name)s disabled; its sessions have ended.", name=user.username), "success")
    return redirect(url_for("accounts.show", unit_code=unit.address, user_id=user.id))


@accounts.post("/<int:user_id>/enable")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def enable(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    actions.set_active(current_user, unit, user, True)
    db.session.commit()
    flash(_("Account %(name)s enabled.", name=user.username), "success")
    return redirect(url_for("accounts.show", unit_code=unit.address, user_id=user.id))


@accounts.post("/<int:user_id>/reset-two-factor")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def reset_two_factor(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    actions.reset_two_factor(current_user, unit, user)
    db.session.commit()
    flash(
        _("Two-factor login of %(name)s reset: the account sets it up again at its next login.", name=user.username),
        "success",
    )
    return redirect(url_for("accounts.show", unit_code=unit.address, user_id=user.id))


@accounts.post("/<int:user_id>/reset-password")
@requires(ACCOUNTS_MANAGE, MANAGING_LEVELS)
def reset_password(unit, user_id):
    user = get_managed_user(current_user, unit, user_id)
    password = actions.reset_password(current_user, unit, user)
    db.session.commit()
    return render_template("accounts/created.html", unit=unit, created=[(user, password)], roles=ROLES, reset=True)


@accounts.get("/awaiting")
@requires(ACCOUNTS_ACTIVATE, MANAGING_LEVELS)
def awaiting(unit):
    """Accounts that read personal data, issued by one manager, waiting for a second person."""
    users = activation.awaiting_below(unit)
    mine = {u.id: activation.may_activate(current_user, u) for u in users}
    return render_template("accounts/awaiting.html", unit=unit, users=users, may_activate=mine, roles=ROLES)


@accounts.post("/<int:user_id>/activate")
@requires(ACCOUNTS_ACTIVATE, MANAGING_LEVELS)
def activate(unit, user_id):
    user = next((u for u in activation.awaiting_below(unit) if u.id == user_id), None)
    if user is None:
        abort(404)
    if activation.activate(current_user, unit, user):
        db.session.commit()
        flash(_("Account %(name)s activated: it can log in now.", name=user.username), "success")
    else:
        refused = _("You issued this account (or hold no right over all its units): another officer must activate it.")
        flash(refused, "error")
    return redirect(url_for("accounts.awaiting", unit_code=unit.address))
