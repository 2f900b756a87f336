"""Recording events that are not row changes of a register (logins, account changes, exports)."""

from flask import g, has_request_context, request
from sqlalchemy import insert

from portal import clock
from portal.audit.models import AuditEvent
from portal.audit.rows import audit_row
from portal.extensions import db


def record(action: str, *, actor_id=None, unit_id=None, object_type="", object_id=None, before=None, after=None):
    """Add one audit row to the current transaction; it commits or rolls back with the change."""
    event = AuditEvent(**_row(action, actor_id, unit_id, object_type, object_id, before, after))
    db.session.add(event)
    return event


def _row(action, actor_id, unit_id, object_type, object_id, before=None, after=None) -> dict:
    return audit_row(
        action,
        at=clock.utcnow(),
        actor_id=actor_id,
        unit_id=unit_id,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        ip=request.remote_addr if has_request_context() else None,
    )


READ = "read"
EXPORT = "export"
RECORDED = "portal_rows_recorded"  # g: {(table, id)} a page recorded itself (portal.tenancy.reads adds the rest)


def mark_recorded(object_type: str, ids) -> None:
    """Rows a page recorded itself, with its own context: not recorded twice."""
    if has_request_context():
        g.setdefault(RECORDED, set()).update((object_type, i) for i in ids)


PENDING = "portal_reads_pending"  # g: the read rows a page recorded, committed before its response leaves


def record_read(user, unit, object_type: str, object_id) -> None:
    """Who opened which personal record. In a request it is committed with the other reads of the page,
    in one statement, before the page is sent (portal/tenancy/reads.py); elsewhere at once."""
    mark_recorded(object_type, [object_id])
    _commit_before_sending(_row(READ, user.id, unit.id, object_type, object_id))


def record_list_read(user, unit, object_type: str, ids: list[int], **context) -> None:
    """A list or drill-down that showed personal data: which rows, committed before the page is sent
    (if the row cannot be written, the page fails and shows nothing)."""
    mark_recorded(object_type, ids)
    _commit_before_sending(_row(READ, user.id, unit.id, object_type, None, after={"ids": ids, **context}))


def _commit_before_sending(row: dict) -> None:
    """In a request, kept aside (not in the session: no flush sends it early) until the response is ready."""
    if has_request_context():
        g.setdefault(PENDING, []).append(row)
    else:
        add_read_rows([row])
        commit_keeping_what_was_read()


def read_row(actor_id: int, unit_id: int | None, object_type: str, after: dict) -> dict:
    """A read of rows the page loaded without recording them itself (portal/tenancy/reads.py)."""
    return _row(READ, actor_id, unit_id, object_type, None, after=after)


def add_read_rows(rows: list[dict]) -> None:
    """Read rows in one INSERT: nothing reads their ids back."""
    db.session.execute(insert(AuditEvent), rows)


def commit_keeping_what_was_read() -> None:
    """Commit the audit row without expiring the rows the page is about to show: a plain commit would
    make the template load every one of them again, one query per row and per relation."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
