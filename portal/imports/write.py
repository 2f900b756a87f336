"""The write path of an import: a whole plan in the caller's transaction, or nothing.

New rows go in as bulk inserts (thousands per statement), each with the audit row the ORM guard
would have written for it; updated rows go through the ORM, so the guard checks and audits them as
any edit. The commune's criteria are marked touched, so its results are recomputed before the
commit like after any register write. The caller commits (or rolls back: nothing stays)."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select

from portal.audit.models import AuditEvent
from portal.auth.models import utcnow
from portal.criteria.results import TOUCHED
from portal.extensions import db
from portal.imports.plan import Plan
from portal.shell.text import fold
from portal.tenancy.guard import SYSTEM, WRITE_REACH, OutsideReach, jsonable

CHUNK = 2000


@dataclass
class Outcome:
    added: int
    updated: int


def commit_plan(plan: Plan, commune, actor, progress: Callable[[int, int], None] | None = None) -> Outcome:
    session = db.session
    if not session.info.get(SYSTEM) and commune.id not in session.info.get(WRITE_REACH, frozenset()):
        raise OutsideReach(f"an import into commune {commune.id} is outside the write reach")
    spec, register, model = plan.spec, plan.spec.register, plan.spec.model
    actor_id = actor.id if actor is not None else None
    ctx = plan.ctx
    now = utcnow()
    connection, table = session.connection(), model.__table__
    total, done = len(plan.adds) + len(plan.updates), 0
    added: list[tuple[int, dict]] = []
    for start in range(0, len(plan.adds), CHUNK):
        chunk = [values for _, values in plan.adds[start : start + CHUNK]]
        rows = [
            {
                "commune_id": commune.id,
                **values,
                "search_key": fold(register.search_text(spec.row_for_search(values, ctx)))[:400],
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "is_demo": False,
            }
            for values in chunk
        ]
        # Core on the session's connection: no ORM bookkeeping per row (the reach was checked above)
        ids = (
            connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        )
        connection.execute(
            insert(AuditEvent.__table__),
            [_audit_row(model, commune, actor_id, now, row_id, row) for row_id, row in zip(ids, rows, strict=True)],
        )
        added.extend(zip(ids, chunk, strict=True))
        done += len(chunk)
        if progress:
            progress(done, total)
    changed: list[tuple[int, dict]] = []
    for start in range(0, len(plan.updates), CHUNK):
        chunk = plan.updates[start : start + CHUNK]
        rows = {r.id: r for r in session.scalars(select(model).where(model.id.in_([u.id for u in chunk])))}
        for update in chunk:
            row = rows[update.id]  # the guard scoped this read to the commune: a foreign id is not here
            for key, value in update.changes.items():
                setattr(row, key, value)
            row.search_key = fold(register.search_text(row))[:400]
            changed.append((update.id, {**update.before, **update.changes}))
        session.flush()  # the guard checks the write reach and writes each update's audit row
        done += len(chunk)
        if progress:
            progress(done, total)
    session.info.setdefault(TOUCHED, {}).setdefault(commune.id, set()).add(model.__tablename__)
    spec.after(commune, actor, added, changed)
    return Outcome(len(added), len(changed))


def _audit_row(model, commune, actor_id, now, row_id: int, row: dict) -> dict:
    """The row the guard writes for an ORM insert: every column but the excluded ones."""
    skip = set(model.audit_exclude)
    after = {"id": row_id, **{k: jsonable(v) for k, v in row.items() if k not in skip}}
    return {
        "at": now,
        "user_id": actor_id,
        "unit_id": commune.id,
        "object_type": model.__tablename__,
        "object_id": str(row_id),
        "action": "create",
        "before": None,
        "after": json.dumps(after, ensure_ascii=False),
        "system": bool(db.session.info.get(SYSTEM)),
    }
