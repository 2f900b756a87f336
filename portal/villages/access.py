"""Scoped reads of villages: always through the commune, 404 for missing and foreign alike."""

from flask import abort
from sqlalchemy import select

from portal.extensions import db
from portal.shell.text import fold
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village


def get_village(commune: AdminUnit, village_id: int, *, deleted: bool | None = False) -> Village:
    """The commune's village, or 404. deleted=True: only a soft-deleted one (to restore it); None: either."""
    stmt = select(Village).where(Village.commune_id == commune.id, Village.id == village_id)
    if deleted is not None:
        stmt = stmt.where(Village.deleted_at.is_not(None) if deleted else Village.deleted_at.is_(None))
    village = db.session.scalar(stmt)
    if village is None:
        abort(404)
    return village


def list_villages(commune: AdminUnit, query: str = "", *, deleted: bool = False) -> list[Village]:
    stmt = select(Village).where(
        Village.commune_id == commune.id,
        Village.deleted_at.is_not(None) if deleted else Village.deleted_at.is_(None),
    )
    if query.strip():
        stmt = stmt.where(Village.search_key.contains(fold(query), autoescape=True))
    return list(db.session.scalars(stmt.order_by(Village.name)))
