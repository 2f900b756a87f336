"""Recording events that are not row changes of a register (logins, account changes, exports)."""

from flask import g, has_request_context, request

from portal import clock
from portal.audit.models import AuditEvent
from portal.audit.rows import audit_row
from portal.extensions import db


def record(action: str, *, actor_id=None, unit_id=None, object_type="", object_id=None, before=None, after=None):
    """Add one audit row to the current transaction; it commits or rolls back with the change."""
    row = audit_row(
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
    event = AuditEvent(**row)
    db.session.add(event)
    return event


READ = "read"
EXPORT = "export"
RECORDED = "portal_rows_recorded"  # g: {(table, id)} a page recorded itself (portal.tenancy.reads adds the rest)


def mark_recorded(object_type: str, ids) -> None:
    """Rows a page recorded itself, with its own context: not recorded twice."""
    if has_request_context():
        g.setdefault(RECORDED, set()).update((object_type, i) for i in ids)


def record_read(user, unit, object_type: str, object_id) -> None:
    """Who opened which personal record, committed on its own: a read changes nothing else."""
    record(READ, actor_id=user.id, unit_id=unit.id, object_type=object_type, object_id=object_id)
    mark_recorded(object_type, [object_id])
    commit_keeping_what_was_read()


def record_list_read(user, unit, object_type: str, ids: list[int], **context) -> None:
    """A list or drill-down that showed personal data: which rows, committed before the page is sent
    (if the row cannot be written, the page fails and shows nothing)."""
    record(READ, actor_id=user.id, unit_id=unit.id, object_type=object_type, after={"ids": ids, **context})
    mark_recorded(object_type, ids)
    commit_keeping_what_was_read()


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
