"""The privacy notice (`/privacy`, for every officer, printable) and the province's settings page
(`/u/<province>/settings`): both read from the data they describe, the registers' personal fields, the
roles and the province's plan.json, so that what they say is what the portal does."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.auth.two_factor import security_settings
from portal.privacy.retention import retention_months
from portal.registers.registry import REGISTERS
from portal.registers.spec import declared_fields
from portal.tenancy.periods import province_code_of
from portal.tenancy.roles import REGISTERS_READ, REGISTERS_READ_PERSONAL, REGISTERS_WRITE, ROLES, UNIT_VIEW
from portal.tenancy.routing import requires, unit_blueprint
from portal.tenancy.settings import plan_settings

notice = Blueprint("privacy", __name__, template_folder="templates")
settings = unit_blueprint("province_settings", __name__, url_prefix="/settings")


def personal_data() -> list[tuple[str, list[str]]]:
    """(register, its personal fields' labels) for every register that holds any."""
    held = []
    for register in REGISTERS.values():
        declared = declared_fields(register.form)
        labels = {key: d.label for key, d in declared.items() if d.label is not None}
        labels |= {c.key: c.label for c in register.columns} | register.field_labels
        fields = [str(labels.get(key) or labels.get(f"{key}_id") or key) for key in register.personal_fields]
        if fields:
            held.append((str(register.title), fields))
    return held


def who_sees_what() -> list[tuple[str, str, bool, bool, bool]]:
    """(role, level, reads registers, reads personal data, writes) for every role."""
    return [
        (
            str(role.label),
            role.level,
            REGISTERS_READ in role.permissions,
            REGISTERS_READ_PERSONAL in role.permissions,
            REGISTERS_WRITE in role.permissions,
        )
        for role in ROLES.values()
    ]


def _province_of_user() -> str | None:
    for assignment in current_user.assignments:
        return assignment.unit.path.strip("/").split("/")[0]
    return None


@notice.get("/privacy")
@login_required
def privacy_notice():
    province = _province_of_user()
    return render_template(
        "privacy/notice.html",
        held=personal_data(),
        roles=who_sees_what(),
        months=retention_months(province) if province else None,
        why=plan_settings(province).get("privacy", {}).get("why", "") if province else "",
    )


@settings.get("/")
@requires(UNIT_VIEW, ("province",))
def province_settings(unit):
    code = province_code_of(unit)
    plan = plan_settings(code)
    return render_template(
        "privacy/settings.html",
        unit=unit,
        plan=plan,
        security=security_settings(code),
        months=retention_months(code),
    )
