"""Unit stamps: how long a worker may keep what a unit's page shows.

A model that names, in `stamped_by`, the column of the unit whose page its rows change (every register
row of a commune; a commune's kept results and dossiers; a province's criteria versions; a unit itself)
renews that unit's stamp, a random value in `unit_stamp` (one per transaction), in every transaction
that writes such a row: the flush notes the units (`note_changed_units`), the commit renews them
(`renew_stamps`) after the kept results are stored, in the order of the units' ids, the order in which
the results take their commune locks (portal/criteria/results.py), so two writers never wait for each
other in a circle, and a writer holds a stamp only for the last moment of its transaction.

A page kept by a worker (portal/home/kept.py) is kept under the stamps it read before it was drawn;
a request that reads other stamps draws it again. A unit with no stamp yet is never kept.
"""

import secrets

from sqlalchemy import String, bindparam, inspect, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.tenancy.models import AdminUnit, UnitStamp

_TO_RENEW = "portal.units_to_stamp"  # session.info: the units whose stamp this transaction renews


def note_changed_units(session, flush_context) -> None:
    """After a flush: the units whose pages the flushed rows change (a row moved from one commune to
    another changes both)."""
    noted = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        column = getattr(type(obj), "stamped_by", None)
        if column is None:
            continue
        noted.add(getattr(obj, column))
        noted.update(inspect(obj).attrs[column].history.deleted or ())
    noted.discard(None)
    if noted:
        session.info.setdefault(_TO_RENEW, set()).update(noted)


def renew_stamps(session) -> None:
    """Before the commit, after the kept results (whose rows the flush here writes): every noted unit's
    stamp gets this transaction's new value, in one statement, in the order of the units' ids."""
    session.flush()
    units = session.info.pop(_TO_RENEW, None)
    if not units:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    value = literal(secrets.token_hex(16), String(32))
    stamped = select(AdminUnit.id, value).where(AdminUnit.id.in_(sorted(units))).order_by(AdminUnit.id)
    upsert = insert(UnitStamp.__table__).from_select(["unit_id", "value"], stamped)
    session.connection().execute(
        upsert.on_conflict_do_update(index_elements=["unit_id"], set_={"value": upsert.excluded.value})
    )


def forget_changed_units(session) -> None:
    session.info.pop(_TO_RENEW, None)


def stamps_of(unit_ids: tuple[int, ...]) -> tuple | None:
    """The units' stamps in the order given (one statement), or None when one has none yet."""
    found = dict(db.session.execute(_STAMPS, {"units": unit_ids}).all())
    if len(found) < len(set(unit_ids)):
        return None
    return tuple(found[i] for i in unit_ids)


_STAMPS = select(UnitStamp.unit_id, UnitStamp.value).where(UnitStamp.unit_id.in_(bindparam("units", expanding=True)))
