"""The one write path of every register: validate, apply, fold the search key, flush; the ORM guard
adds the audit row, naming the acting user given here, and refuses writes outside the commune. The
caller commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.extensions import db
from portal.registers.spec import Register
from portal.shell.text import clean, fold
from portal.tenancy.guard import acting_as
from portal.tenancy.models import AdminUnit

NOT_COPIED = {"csrf_token", "version", "submit", "former_commune_id"}
DUPLICATE = _l("Another record already holds these values; it may have been saved a moment ago.")


class Conflict(Exception):
    """Someone else saved the row since the form was opened: nothing is overwritten."""

    def __init__(self, current):
        super().__init__("stale version")
        self.current = current


def copy_form_fields(commune: AdminUnit, row, data: dict) -> None:
    columns = row.__table__.c
    for name, value in data.items():
        if name in NOT_COPIED or not hasattr(type(row), name):
            continue
        if value is None and name in columns and not columns[name].nullable and isinstance(columns[name].type, String):
            value = ""  # a text field left out of the form
        setattr(row, name, clean(value) if isinstance(value, str) else value)


def _acting(actor) -> None:
    """The audit rows of this write name `actor` (None: the system, e.g. the demo loader)."""
    acting_as(db.session, actor.id if actor is not None else None)


def _flush(row) -> dict:
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if not _is_unique_violation(exc):
            raise
        return {"__all__": DUPLICATE}
    return {}


def _is_unique_violation(exc: IntegrityError) -> bool:
    """Two saves racing past the validation: a unique index said no. Anything else is a bug."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def save_row(register: Register, commune: AdminUnit, actor, row, data: dict, seen_version: int | None = None):
    """Create (row=None) or update a row. Returns (row, errors by field); raises Conflict."""
    _acting(actor)
    if row is not None and row.version != seen_version:
        raise Conflict(row)
    if refused := refusal(register, commune, row, data):
        return row, {"__all__": refused}
    errors = register.validate(commune, data, row) if register.validate else {}
    if errors:
        return row, errors
    created = row is None
    if created:
        row = register.model(commune_id=commune.id)
        db.session.add(row)
    (register.apply or copy_form_fields)(commune, row, data)
    row.search_key = fold(register.search_text(row))[:400]
    errors = _flush(row)
    if errors:
        return (None if created else row), errors
    for rule in (register.after_save, *register.followers):
        if rule is not None:
            rule(commune, actor, row, created)
    return row, {}


def refusal(register: Register, commune: AdminUnit, row, data: dict | None):
    """Why a domain above forbids this write, or None."""
    return next((why for rule in register.guards if (why := rule(commune, row, data))), None)


def delete_row(register: Register, commune: AdminUnit, actor, row) -> dict:
    if refused := refusal(register, commune, row, None):
        return {"__all__": refused}
    _acting(actor)
    row.deleted_at = clock.utcnow()
    db.session.flush()
    _kept_from_live_rows(register, commune, actor, row)
    return {}


def restore_row(register: Register, commune: AdminUnit, actor, row) -> dict:
    if refused := refusal(register, commune, row, None):
        return {"__all__": refused}
    _acting(actor)
    row.deleted_at = None
    errors = _flush(row)
    if not errors:
        _kept_from_live_rows(register, commune, actor, row)
    return errors


def _kept_from_live_rows(register: Register, commune: AdminUnit, actor, row) -> None:
    for rule in register.delete_followers:
        rule(commune, actor, row)
