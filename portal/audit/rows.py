"""The one builder of audit rows. The ORM guard (every write of a register row), `audit.record` (logins,
account changes, reads, exports) and the bulk import all make their rows here, so every row has the
same shape and its before/after the same JSON."""

import json
from datetime import date, datetime
from decimal import Decimal


def jsonable(value):
    """A stored value as the audit's JSON keeps it: days and instants in ISO form, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


ENCODER = json.JSONEncoder(ensure_ascii=False, default=jsonable)  # one encoder: json.dumps makes one per call


def audit_row(
    action: str,
    *,
    at: datetime,
    actor_id: int | None,
    unit_id: int | None,
    object_type: str = "",
    object_id=None,
    before: dict | None = None,
    after: dict | None = None,
    system: bool = False,
    ip: str | None = None,
) -> dict:
    """The values of one audit_event row."""
    return {
        "at": at,
        "user_id": actor_id,
        "unit_id": unit_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "action": action,
        "before": ENCODER.encode(before) if before else None,
        "after": ENCODER.encode(after) if after else None,
        "system": system,
        "ip": ip,
    }
