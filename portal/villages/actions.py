"""The only write path for villages. Each takes the commune and the acting user; the ORM guard writes
the audit row and refuses anything outside the request's write reach."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.shell.text import clean, fold
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village


class Conflict(Exception):
    """Someone else saved the record since the form was opened."""

    def __init__(self, current: Village):
        super().__init__("stale version")
        self.current = current


def _name_taken(commune: AdminUnit, name: str, except_id: int | None = None) -> bool:
    stmt = select(func.count(Village.id)).where(
        Village.commune_id == commune.id, Village.deleted_at.is_(None), Village.search_key == fold(name)
    )
    if except_id is not None:
        stmt = stmt.where(Village.id != except_id)
    return db.session.scalar(stmt) > 0


def _apply(village: Village, data: dict) -> None:
    village.name = clean(data["name"])
    village.kind = data["kind"]
    village.head_name = clean(data.get("head_name"))
    village.search_key = fold(village.name)


def create_village(commune: AdminUnit, actor, data: dict) -> tuple[Village | None, dict]:
    if _name_taken(commune, data["name"]):
        return None, {"name": _l("This commune already has a village of that name.")}
    village = Village(commune_id=commune.id)
    _apply(village, data)
    db.session.add(village)
    db.session.flush()
    return village, {}


def update_village(commune: AdminUnit, actor, village: Village, data: dict, seen_version: int) -> dict:
    if village.version != seen_version:
        raise Conflict(village)
    if _name_taken(commune, data["name"], except_id=village.id):
        return {"name": _l("This commune already has a village of that name.")}
    _apply(village, data)
    db.session.flush()
    return {}


def delete_village(commune: AdminUnit, actor, village: Village) -> None:
    village.deleted_at = datetime.now(UTC)
    db.session.flush()


def restore_village(commune: AdminUnit, actor, village: Village) -> dict:
    if _name_taken(commune, village.name):
        return {"name": _l("This commune already has a village of that name.")}
    village.deleted_at = None
    db.session.flush()
    return {}
