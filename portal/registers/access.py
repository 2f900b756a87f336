"""Scoped reads of register rows: always through the commune; 404 for missing and foreign alike."""

from datetime import date

from flask import abort
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.registers.spec import Register
from portal.shell.text import fold
from portal.tenancy.models import AdminUnit

PAGE_SIZE = 50


def get_row(register: Register, commune: AdminUnit, row_id: int, *, deleted: bool | None = False):
    """deleted=False: a live row; True: a soft-deleted one (to restore it); None: either."""
    model = register.model
    stmt = select(model).where(model.commune_id == commune.id, model.id == row_id)
    if deleted is not None:
        stmt = stmt.where(model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None))
    row = db.session.scalar(stmt)
    if row is None:
        abort(404)
    return row


def live_rows(model, commune: AdminUnit):
    return select(model).where(model.commune_id == commune.id, model.deleted_at.is_(None))


def list_statement(
    register: Register,
    commune: AdminUnit,
    *,
    query: str = "",
    filters: dict | None = None,
    sort: str = "",
    deleted: bool = False,
    today: date | None = None,
):
    model = register.model
    stmt = select(model).where(
        model.commune_id == commune.id,
        model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None),
    )
    if query.strip():
        stmt = stmt.where(model.search_key.contains(fold(query), autoescape=True))
    for spec in register.filters:
        value = (filters or {}).get(spec.key)  # only the filters the caller allowed are in `filters`
        if value:
            stmt = spec.apply(stmt, value, commune, today or clock.today())
    sortable = {c.key for c in register.columns if c.sortable}
    key = (sort or register.default_sort).lstrip("-")
    if key not in sortable and key != "id":
        sort, key = register.default_sort, register.default_sort.lstrip("-")
    column = getattr(model, key)
    order = column.desc() if (sort or register.default_sort).startswith("-") else column.asc()
    return stmt.order_by(order, model.id.desc())


def page_of(stmt, page: int, size: int = PAGE_SIZE):
    """The page's rows and the count of all, in one statement (a window count); a page past the end
    asks the count alone."""
    found = db.session.execute(
        stmt.add_columns(func.count().over().label("total")).limit(size).offset((page - 1) * size)
    ).all()
    if found:
        return [row for row, _total in found], found[0].total
    if page == 1:
        return [], 0
    return [], db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
