"""A large register export on the job queue: made by any machine's worker, not by an app server.

With `JOB_QUEUE=postgresql`, an export of more than `EXPORT_QUEUE_ROWS` rows is not written while the
officer's request holds one of the app server's workers (a commune's 30,000 households take seconds of
openpyxl). The request records what was asked (the register, its search, filters and order, whether
personal columns go in, all as the list page decided them for this officer), puts the job on the queue
and shows its state; a worker's process (`python -m portal.exports.worker JOB_ID DAY`) writes the
file as of the request's day, keeps it in the job's row and records the export in the audit trail; the
officer who asked downloads it. Smaller exports, and every export on SQLite, are written at once.

A job is its requester's own: nobody else sees it (`export_job_of`). Its file holds the commune's data, so
it is kept a day at most (`forget_stale_exports`, at every new export and in the privacy sweep).
Row-level security binds the table to the units the request views and to the requester, the signed
actor (migration f4a5b6c7d8e9).
"""

from datetime import date

from flask import abort, current_app
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import delete, func, select

from portal import clock, queue
from portal.audit.actions import EXPORT, record
from portal.auth.models import User
from portal.exports.models import FAILED, KEPT_FOR, NOT_ALLOWED, QUEUED, READY, WRITING, ExportJob
from portal.extensions import db
from portal.imports.specs import SPECS
from portal.registers.access import list_statement
from portal.registers.export import export_audited, export_file_name, write_export
from portal.registers.registry import REGISTERS
from portal.tenancy.access import permissions_at
from portal.tenancy.guard import set_reach, system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import REGISTERS_READ, REGISTERS_READ_PERSONAL

WORKER_MODULE = "portal.exports.worker"


def goes_to_the_queue(stmt) -> bool:
    """With the queue, an export of more than EXPORT_QUEUE_ROWS rows (counted first) is a worker's."""
    if not queue.enabled():
        return False
    count = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return count > current_app.config["EXPORT_QUEUE_ROWS"]


class QueueUnavailable(RuntimeError):
    """The job queue could not take the export (its database out of reach)."""


def queue_export(unit: AdminUnit, register, chosen: dict, locale: str) -> ExportJob:
    """The job for the list as this officer sees it, committed and on the queue."""
    forget_stale_exports(unit.id)
    job = ExportJob(
        commune_id=unit.id,
        requested_by_id=current_user.id,
        register=register.slug,
        selection={
            "query": chosen["query"],
            "filters": chosen["filters"],
            "sort": chosen["sort"],
            "deleted": chosen["show_deleted"],
        },
        personal=chosen["personal"],
        locale=locale,
    )
    db.session.add(job)
    db.session.commit()
    try:
        queue.defer(WORKER_MODULE, [str(job.id), clock.today().isoformat()])
    except Exception as failure:  # the queue is out of reach: the job says so rather than waiting for ever
        current_app.logger.exception("export %s not queued", job.id)
        job.state, job.message, job.finished_at = FAILED, "not queued", clock.utcnow()
        db.session.commit()
        raise QueueUnavailable() from failure
    return job


def export_job_of(unit: AdminUnit, job_id: int) -> ExportJob:
    """The officer's own job in this commune, or 404: another officer's job, or another commune's, is as
    absent as one that never was."""
    job = db.session.scalar(
        select(ExportJob).where(
            ExportJob.id == job_id, ExportJob.commune_id == unit.id, ExportJob.requested_by_id == current_user.id
        )
    )
    if job is None:
        abort(404)
    return job


def forget_stale_exports(commune_id: int | None = None) -> int:
    """Exports asked for more than a day ago go, with their files: nobody came back for them. A request
    clears its own commune's; the privacy sweep (system scope) every commune's."""
    stale = delete(ExportJob).where(ExportJob.requested_at < clock.utcnow() - KEPT_FOR)
    if commune_id is not None:
        stale = stale.where(ExportJob.commune_id == commune_id)
    return db.session.execute(stale).rowcount or 0


def run(job_id: int, day: date) -> None:
    """In the worker's process: write the file under the requester's reach in the commune, as of the day
    the export was asked on, and keep it with the audit row of the export in one transaction."""
    job = _with_its_reach(job_id)
    if job is None or job.state != QUEUED:
        return
    if not _still_allowed(job):  # roles taken away while it waited: nothing is written, nothing recorded
        job.state, job.message, job.finished_at = FAILED, NOT_ALLOWED, clock.utcnow()
        db.session.commit()
        return
    job.state = WRITING
    db.session.commit()
    try:
        with clock.working_on(day), force_locale(job.locale):
            data, count, name = _write(job, day)
    except Exception as failure:
        db.session.rollback()
        job.state, job.message, job.finished_at = FAILED, type(failure).__name__, clock.utcnow()
        db.session.commit()
        raise
    job.file, job.rows, job.file_name = data, count, name
    job.state, job.finished_at = READY, clock.utcnow()
    record(
        EXPORT,
        actor_id=job.requested_by_id,
        unit_id=job.commune_id,
        object_type=REGISTERS[job.register].model.__tablename__,
        after={**_audited(job, count), "queued": True},
    )
    db.session.commit()


def _still_allowed(job: ExportJob) -> bool:
    """The requester may still read what the export holds, as the list decides it now: an active
    account with the right to read the commune's registers, and their personal columns if they go in."""
    requester = db.session.get(User, job.requested_by_id)
    unit = db.session.get(AdminUnit, job.commune_id)
    if requester is None or unit is None or not requester.active:
        return False
    needed = {REGISTERS_READ, REGISTERS_READ_PERSONAL} if job.personal else {REGISTERS_READ}
    return needed <= permissions_at(requester, unit)


def _audited(job: ExportJob, rows: int) -> dict:
    chosen = job.selection
    return export_audited(
        rows, chosen.get("query", ""), chosen.get("filters") or {}, bool(chosen.get("deleted")), job.personal
    )


def _write(job: ExportJob, day: date) -> tuple[bytes, int, str]:
    register = REGISTERS[job.register]
    unit = db.session.get(AdminUnit, job.commune_id)
    chosen = job.selection
    stmt = list_statement(
        register,
        unit,
        query=chosen.get("query", ""),
        filters=chosen.get("filters") or {},
        sort=chosen.get("sort", ""),
        deleted=bool(chosen.get("deleted")),
    )
    path, count = write_export(register, stmt, job.personal, SPECS.get(register.slug))
    try:
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    return data, count, export_file_name(register, unit, day)


def _with_its_reach(job_id: int) -> ExportJob | None:
    """The job (read in system scope), and from here the reach its request had: the commune's registers
    to read, its units, the requester acting. Nothing to write in any register."""
    with system_scope(db.session):
        job = db.session.get(ExportJob, job_id)
    if job is not None:
        set_reach(
            db.session,
            read=frozenset({job.commune_id}),
            units=frozenset({job.commune_id}),
            actor_id=job.requested_by_id,
        )
    return job
