"""Roles and what they permit (CKAN's authz table, with the cascade to units below made explicit).

A role is granted on one unit and reaches every unit below it. A permission is checked against the
unit in the URL: the user holds it there if one of their assignments on that unit or an ancestor
grants it.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

UNIT_VIEW = "unit.view"
REGISTERS_READ = "registers.read"
REGISTERS_READ_PERSONAL = "registers.read_personal"
REGISTERS_WRITE = "registers.write"
ACCOUNTS_MANAGE = "accounts.manage"
# The second person of maker-checker: activates an account that reads personal data, issued by another
ACCOUNTS_ACTIVATE = "accounts.activate"
CRITERIA_MANAGE = "criteria.manage"
RECOGNITION_PREPARE = "recognition.prepare"  # the commune's self-assessment
RECOGNITION_APPRAISE = "recognition.appraise"  # the district's appraisal
RECOGNITION_DECIDE = "recognition.decide"  # the province's decision and revocation
AUDIT_READ = "audit.read"  # who read, exported or changed what, across the province
UNITS_MANAGE = "units.manage"  # the unit tree after the 2025 reform: a split commune's villages


@dataclass(frozen=True)
class Role:
    name: str
    label: object
    level: str  # the unit level a role is granted at
    permissions: frozenset[str]
    grants: frozenset[str] = frozenset()  # roles an account manager with this role may grant


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role(
            "commune_officer",
            _l("Commune officer"),
            "commune",
            frozenset({UNIT_VIEW, REGISTERS_READ, REGISTERS_READ_PERSONAL, REGISTERS_WRITE, RECOGNITION_PREPARE}),
        ),
        Role("commune_viewer", _l("Commune viewer"), "commune", frozenset({UNIT_VIEW, REGISTERS_READ})),
        Role(
            "district_officer",
            _l("Area officer (district police before 1 July 2025)"),
            "district",
            frozenset(
                {UNIT_VIEW, REGISTERS_READ, REGISTERS_READ_PERSONAL, ACCOUNTS_MANAGE, ACCOUNTS_ACTIVATE}
                | {RECOGNITION_APPRAISE}
            ),
            grants=frozenset({"commune_officer", "commune_viewer"}),
        ),
        # Province users follow de-identified aggregates only (domain.md §8): no register access.
        Role(
            "province_officer",
            _l("Province officer"),
            "province",
            frozenset({UNIT_VIEW, CRITERIA_MANAGE, RECOGNITION_DECIDE, AUDIT_READ, UNITS_MANAGE, ACCOUNTS_ACTIVATE}),
        ),
        # The administrator manages accounts and units and reads no register.
        Role(
            "admin",
            _l("Administrator"),
            "province",
            frozenset({UNIT_VIEW, ACCOUNTS_MANAGE, ACCOUNTS_ACTIVATE, AUDIT_READ, UNITS_MANAGE}),
            grants=frozenset({"commune_officer", "commune_viewer", "district_officer", "province_officer", "admin"}),
        ),
    )
}
