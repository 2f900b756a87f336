"""How a register's values read on a page, masked for roles that may not see personal data."""

from datetime import date, datetime

from flask_babel import gettext as _
from markupsafe import Markup

from portal.registers.spec import Column, Register
from portal.shell.i18n import format_audit_value, format_day, format_moment, format_number

MASK = "•••"


def initials(name: str | None) -> str:
    """ "Nguyễn Văn An" -> "N.V.A.": how a viewer without personal access sees a name."""
    return "".join(part[0].upper() + "." for part in (name or "").split()) or MASK


def format_value(value, choices: dict | None = None) -> str:
    if value is None or value == "":
        return "—"
    if choices is not None:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def masked(key: str, value) -> str:
    if value in (None, ""):
        return "—"
    if key.endswith("name"):
        return initials(str(value))
    if isinstance(value, date):
        return str(value.year)
    return MASK


def cell(register: Register, row, column: Column, personal: bool, unit) -> str:
    if register.cell is not None:
        computed = register.cell(row, column.key, personal, unit)
        if computed is not None:
            return computed
    value = getattr(row, column.key)
    if column.personal and not personal:
        return masked(column.key, value)
    return format_value(value, column.choices or register.choices.get(column.key))


def field_value(register: Register, key: str, value, personal: bool) -> str:
    """A stored value as the detail page and the history show it."""
    if key in register.personal_fields and not personal:
        return masked(key, value)
    return format_value(value, register.choices.get(key))


def link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def history_value(register: Register, key: str, value, personal: bool) -> str:
    """A value as the audit stored it (JSON: dates as ISO text)."""
    if key in register.personal_fields and not personal:
        return masked(key, value)
    choices = register.choices.get(key)
    if choices is not None and value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return format_audit_value(value)
