"""The province's access log: what one account read, exported or changed between two dates.

The audit rows name units and objects by id, never a person, so the province officer (who reads no
register) may see them; the log itself is read-only here, as everywhere."""


from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from portal import clock
from portal.audit.actions import EXPORT, READ
from portal.audit.models import AuditEvent
from portal.auth.models import RoleAssignment, User
from portal.extensions import db
from portal.registers.registry import REGISTERS
from portal.shell.i18n import parse_day
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import AUDIT_READ
from portal.tenancy.routing import requires, unit_blueprint

access_log = unit_blueprint("access_log", __name__, url_prefix="/audit")
LIMIT = 500
KINDS = {
    "reads": (_l("Reads and exports"), (READ, EXPORT)),
    "changes": (_l("Changes"), ("create", "update", "delete")),
    "all": (_l("Everything"), None),
}
ACTION_LABELS = {
    READ: _l("Read a record or list"),
    EXPORT: _l("Exported"),
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "import": _l("Imported a file"),
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "login_flagged": _l("First login from the address or session of whoever issued the account"),
    "account_activated": _l("Account activated (second person)"),
    "privacy_pseudonymised": _l("Identity removed by the retention rule"),
    "privacy_sweep_dry_run": _l("Retention sweep tried without changes"),
    "password_changed": _l("Changed own password"),
    "password_set": _l("Password set"),
    "password_reset": _l("Password reset"),
    "account_created": _l("Account created"),
    "account_enabled": _l("Account enabled"),
    "account_disabled": _l("Account disabled"),
    "role_granted": _l("Role granted"),
    "role_revoked": _l("Role revoked"),
    "two_factor_enabled": _l("Two-factor login turned on"),
    "two_factor_disabled": _l("Two-factor login turned off"),
    "two_factor_reset": _l("Two-factor login reset"),
    "recovery_code_used": _l("Logged in with a recovery code"),
    "recovery_codes_renewed": _l("New recovery codes made"),
    "criteria_published": _l("Criteria version published"),
    "backup": _l("Backup made"),
    "reform_move": _l("Registers moved by the 2025 reform"),
    "reform_rename": _l("Renamed by the 2025 reform"),
    "role_moved": _l("Role moved by the 2025 reform"),
    "reform_village_moved": _l("Village moved to another successor"),
}

OBJECT_LABELS = {
    "user_account": _l("Account"),
    "criteria_version": _l("Criteria version"),
    "import_job": _l("Import"),
    "backup": _l("Backup"),
}


@access_log.get("/")
@requires(AUDIT_READ, ("province",))
def index(unit):
    username = request.args.get("user", "").strip().lower()
    start, end = parse_day(request.args.get("from")), parse_day(request.args.get("to"))
    kind = request.args.get("kind", "reads") if request.args.get("kind") in KINDS else "reads"
    errors = {}
    if request.args.get("from") and start is None:
        errors["from"] = _l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
    if request.args.get("to") and end is None:
        errors["to"] = _l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
    if start and end and end < start:
        errors["to"] = _l("The end cannot come before the start.")
    below = select(AdminUnit.id).where(AdminUnit.path.startswith(unit.path))  # the URL's unit and its tree
    account = (
        db.session.scalar(
            select(User).where(
                User.username == username,
                exists().where(RoleAssignment.user_id == User.id, RoleAssignment.unit_id.in_(below)),
            )
        )
        if username
        else None
    )
    if username and account is None:
        errors["user"] = _l("No account has this username.")
    events, total = [], 0
    if account is not None and not errors:
        stmt = select(AuditEvent).where(
            AuditEvent.user_id == account.id, or_(AuditEvent.unit_id.is_(None), AuditEvent.unit_id.in_(below))
        )
        if start:
            stmt = stmt.where(AuditEvent.at >= clock.start_of(start))
        if end:
            stmt = stmt.where(AuditEvent.at < clock.end_of(end))
        actions = KINDS[kind][1]
        if actions:
            stmt = stmt.where(AuditEvent.action.in_(actions))
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        events = db.session.scalars(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(LIMIT)).all()
    units = {
        u.id: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_({e.unit_id for e in events})))
    }
    return render_template(
        "access_log/index.html",
        unit=unit,
        username=username,
        account=account,
        start=request.args.get("from", ""),
        end=request.args.get("to", ""),
        kind=kind,
        kinds=KINDS,
        errors=errors,
        events=events,
        total=total,
        limit=LIMIT,
        units=units,
        action_labels=ACTION_LABELS,
        object_labels={**OBJECT_LABELS, **{r.model.__tablename__: r.title for r in REGISTERS.values()}},
    ), (400 if errors else 200)
