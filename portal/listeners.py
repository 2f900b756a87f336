"""Every database event hook of the portal, in one place. The app factory installs them, in the order
below, which is the order SQLAlchemy runs hooks of the same event (a flush checks the write reach before
it refuses audit changes; its audit rows are written before the written communes are remembered)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def hooks() -> list[tuple[type, str, object]]:
    """(target, event, function), in installation order."""
    from portal import extensions
    from portal.audit import models as audit
    from portal.auth import identity
    from portal.cases.models import CaseTransfer
    from portal.criteria import results
    from portal.recognition import workflow
    from portal.registers.rows import RegisterRow
    from portal.tenancy import guard, reads, rls, stamps, tree

    return [
        # Each new connection: SQLite keeps foreign keys, reads beside a writer (WAL), waits its turn.
        (Engine, "connect", extensions.sqlite_pragmas),
        # Isolation, layer 3 (the ORM guard): tenant queries scoped to the reach, writes inside the write
        # reach, the audit trail append-only, and the audit row of every tenant write in its transaction.
        (Session, "do_orm_execute", guard.scope_tenant_queries),
        (Session, "before_flush", guard.check_write_reach),
        (Session, "before_flush", audit.refuse_audit_changes),
        (Session, "after_flush", guard.audit_tenant_writes),
        # Every row that names a person, loaded for a signed-in user, is recorded as read (tenancy/reads.py).
        (RegisterRow, "load", reads.note_loaded),
        (RegisterRow, "refresh", reads.note_refreshed),
        (CaseTransfer, "load", reads.note_loaded),  # the one record two communes read: who is coming
        (CaseTransfer, "refresh", reads.note_refreshed),
        # The unit tree each worker keeps: a flush that writes a unit or a lineage link gives it a new stamp.
        (Session, "after_flush", tree.bump_stamp_on_change),
        # Kept results: the communes a transaction wrote are recomputed before it commits.
        (Session, "after_flush", results.remember_written_communes),
        (Session, "before_commit", results.keep_results_current),
        (Session, "after_rollback", results.forget_written_communes),
        # Unit stamps: a transaction that changes what a unit's page shows renews its stamp as it commits,
        # after the kept results (tenancy/stamps.py); the workspace a worker keeps is drawn again then.
        (Session, "after_flush", stamps.note_changed_units),
        (Session, "before_commit", stamps.renew_stamps),
        (Session, "after_rollback", stamps.forget_changed_units),
        # Dossier files: kept when their transaction commits, deleted when it rolls back.
        (Session, "after_commit", workflow.keep_saved_files),
        (Session, "after_rollback", workflow.discard_unsaved_files),
        # Isolation, layer 4 (PostgreSQL): each transaction's reach sent to row-level security.
        (Session, "after_begin", rls.bind_connection),
        (Engine, "before_cursor_execute", rls.apply_reach),
        (Engine, "rollback_savepoint", rls.forget_applied),
        (Engine, "commit", rls.unbind),
        (Engine, "rollback", rls.unbind),
        # Each worker's own connection that reads who a request is goes when its engine's pool is disposed.
        (Engine, "engine_disposed", identity.close_own_connection),
    ]


# Instance events on a mixin reach the mapped classes that inherit it only when propagated.
PROPAGATED = frozenset({"load", "refresh"})


def install() -> None:
    """Install every hook once (the app factory may run many times in one process: tests do)."""
    for target, name, function in hooks():
        if not event.contains(target, name, function):
            event.listen(target, name, function, **({"propagate": True} if name in PROPAGATED else {}))


@contextmanager
def without(*functions) -> Iterator[None]:
    """These hooks removed for the block, and put back where they were (tests prove the other layers
    hold without the guard; a benchmark measures the cost of kept results)."""
    removed = [(t, n, f) for t, n, f in hooks() if f in functions]
    for target, name, function in removed:
        event.remove(target, name, function)
    try:
        yield
    finally:
        for target, name, function in hooks():  # reinstalled in the order above
            if event.contains(target, name, function):
                event.remove(target, name, function)
        install()
