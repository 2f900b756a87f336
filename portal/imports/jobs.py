"""Import jobs: the uploaded file waits in the job's row, a separate process checks it and, once the
officer confirms, commits it; the page follows the job's progress and survives the officer leaving.

The work runs in its own process (`python -m portal.imports.worker JOB PHASE DAY`), one per job phase,
and a job cut off half-way (killed, machine down) has committed nothing, since all its rows go in one
transaction. Where the process starts depends on `JOB_QUEUE`:
- `process` (the default, and the embedded SQLite's only way): the app server that took the request
  starts it; its progress is a small JSON file beside it, replaced atomically, so reading it never
  waits on the import's write lock;
- `postgresql`: the job goes on the queue (portal/queue.py) and a worker on any machine starts the same
  process, which records its pid and machine; its progress goes in `import_progress` on a connection of
  its own, so every app server follows it.
Either way a job whose process is gone (judged by its pid on its own machine) or silent for too long
(judged anywhere) reads as interrupted, and at most IMPORT_MAX_RUNNING jobs run at once."""

import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from portal import clock, queue
from portal.audit.actions import record
from portal.auth.models import User
from portal.extensions import db
from portal.files import open_private, private_dir
from portal.imports.files import FileRefused, check_archive
from portal.imports.models import (
    CHECKED,
    CHECKING,
    COMMITTED,
    COMMITTING,
    DISCARDED,
    FAILED,
    INTERRUPTED,
    QUEUED,
    REFUSED,
    RUNNING,
    ImportJob,
    ImportProgress,
)
from portal.imports.plan import Plan, build_plan
from portal.imports.specs import SPECS
from portal.imports.write import Inserter, commit_plan
from portal.tenancy.access import has_permission
from portal.tenancy.guard import set_reach, system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import REGISTERS_WRITE

CHECK, COMMIT = "check", "commit"  # a job's two phases
SAVE = "save"  # the progress of the commit phase, which reads and writes in one pass
WORKER_MODULE = "portal.imports.worker"
SILENT_AFTER = timedelta(seconds=90)  # no progress for this long: the job is taken as interrupted
STALE_FILES_AFTER = timedelta(days=1)


LAUNCHED: list[subprocess.Popen] = []  # this process's workers, for tests that wait for them


def wait_for_workers(timeout: float = 120) -> None:
    """Wait until every worker this process started has ended (the tests' barrier between tests)."""
    while LAUNCHED:
        LAUNCHED.pop().wait(timeout)


class Busy(Exception):
    """The commune already has an import running."""


class Full(Exception):
    """The portal runs as many imports as it may at once (IMPORT_MAX_RUNNING): each holds a worker
    process and its reader, about 250 MB for a 50,000-row file."""


def running_count() -> int:
    """Imports running now, in every commune, counted by their live processes: jobs whose process died
    or fell silent are settled on the way (and their process killed), and a job already judged
    interrupted whose worker on this machine still lives counts until it is gone."""
    with system_scope(db.session):
        running = db.session.scalars(select(ImportJob).where(ImportJob.state.in_(RUNNING))).all()
        count = sum(1 for job in running if settle(job).state in RUNNING)
        ended_here = db.session.scalars(
            select(ImportJob).where(
                ImportJob.state == INTERRUPTED,
                ImportJob.host == socket.gethostname(),
                ImportJob.finished_at >= clock.utcnow() - SILENT_AFTER,
            )
        ).all()
        return count + sum(1 for job in ended_here if _worker_of(job))


def check_capacity() -> None:
    if running_count() >= current_app.config["IMPORT_MAX_RUNNING"]:
        raise Full()


def imports_dir() -> Path:
    return private_dir(Path(current_app.config["IMPORTS_DIR"]))


def file_of(job: ImportJob) -> Path:
    return imports_dir() / job.stored_name


def _progress_path(job: ImportJob) -> Path:
    return imports_dir() / (job.stored_name + ".progress.json")


# Upload ------------------------------------------------------------------------------------------


def store_upload(stream, max_bytes: int) -> tuple[str, int, str, bytes]:
    """Read the upload (checked on a private file of this server, then removed); (name, size, sha256, the
    bytes) for its job's row. Refused when it is not a safe .xlsx."""
    name = secrets.token_hex(16) + ".xlsx"
    path = imports_dir() / name
    digest, size = hashlib.sha256(), 0
    try:
        with open_private(path) as out:
            while chunk := stream.read(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise FileRefused(_l("The file is larger than %(mb)d MB.", mb=max_bytes // 2**20))
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise FileRefused(_l("Choose a file to import."))
        check_archive(path, current_app.config["IMPORT_MAX_UNPACKED"])
        return name, size, digest.hexdigest(), path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _stamp(path: Path) -> None:
    """A kept file's age is read on the portal's clock, as every other age is (_remove_stale_files)."""
    moment = clock.utcnow().timestamp()
    os.utime(path, (moment, moment))


def create(actor, commune, register: str, filename: str, stored: tuple[str, int, str], locale: str) -> ImportJob:
    """A new job for the commune (its first check starts at once). Busy while another one runs in the
    commune, Full while the portal runs as many as it may."""
    running = db.session.scalar(
        select(ImportJob).where(ImportJob.commune_id == commune.id, ImportJob.state.in_(RUNNING)).limit(1)
    )
    if running is not None and settle(running).state in RUNNING:
        raise Busy()
    check_capacity()
    name, size, sha, data = stored
    job = ImportJob(
        commune_id=commune.id,
        user_id=actor.id,
        register=register,
        filename=(filename or "file.xlsx")[-200:],
        stored_name=name,
        size=size,
        sha256=sha,
        upload=data,
        locale=locale,
        state=QUEUED,
    )
    db.session.add(job)
    db.session.flush()
    _forget_stale_uploads(commune)
    _remove_stale_files()
    return job


def launch(job: ImportJob, phase: str) -> None:
    """Start the job's process (or, with JOB_QUEUE=postgresql, put it on the queue for any machine's
    worker); the caller has committed the job's state. The pid is kept to tell a job that died from one
    that is working. The process works as of the day of the request that started the job ("not in the
    future" is checked against it)."""
    arguments = [str(job.id), phase, clock.today().isoformat()]
    write_progress(job, phase, 0, 0)
    if queue.enabled():  # the worker's process records its own pid and machine when it starts
        queue.defer(WORKER_MODULE, arguments)
        return
    env = {
        **os.environ,
        "DATABASE_URL": current_app.config["SQLALCHEMY_DATABASE_URI"],
        "IMPORTS_DIR": str(imports_dir()),
        "IMPORT_MAX_ROWS": str(current_app.config["IMPORT_MAX_ROWS"]),
    }
    process = subprocess.Popen(  # noqa: S603 - our own module, arguments are ints and a fixed word
        [sys.executable, "-m", WORKER_MODULE, *arguments], env=env, stdin=subprocess.DEVNULL, start_new_session=True
    )
    threading.Thread(target=process.wait, daemon=True).start()  # reaped when it ends: no zombie
    LAUNCHED.append(process)
    job.pid, job.host = process.pid, socket.gethostname()
    db.session.commit()


def confirm(job: ImportJob) -> None:
    job.state = COMMITTING
    job.message = ""
    db.session.flush()


def discard(job: ImportJob) -> None:
    job.state = DISCARDED
    job.finished_at = clock.utcnow()
    _forget_upload(job)


# Progress and liveness ---------------------------------------------------------------------------


def write_progress(job: ImportJob, phase: str, done: int, total: int) -> None:
    """How far the job's process has gone: in a file beside it (its app server reads it), or, for a job on
    the queue, in `import_progress` on a connection of its own (any app server reads it)."""
    if queue.enabled():
        at = time.time()
        row = {"job_id": job.id, "phase": phase, "done": done, "total": total, "at": at}
        upsert = pg_insert(ImportProgress).values(**row)
        upsert = upsert.on_conflict_do_update(
            index_elements=["job_id"], set_={k: v for k, v in row.items() if k != "job_id"}
        )
        with db.engine.begin() as connection:
            connection.execute(upsert)
        return
    path = _progress_path(job)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"phase": phase, "done": done, "total": total, "at": time.time()}))
    _stamp(temporary)
    os.replace(temporary, path)


def progress_of(job: ImportJob) -> dict | None:
    if queue.enabled():
        row = db.session.execute(
            select(ImportProgress.phase, ImportProgress.done, ImportProgress.total, ImportProgress.at).where(
                ImportProgress.job_id == job.id
            )
        ).one_or_none()
        return None if row is None else dict(row._mapping)
    try:
        return json.loads(_progress_path(job).read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle(job: ImportJob) -> ImportJob:
    """A running job whose process has gone (or fell silent) is marked interrupted: its transaction
    never committed, so nothing of it was saved."""
    if job.state not in RUNNING:
        return job
    progress = progress_of(job)
    silent = progress is None or time.time() - progress["at"] > SILENT_AFTER.total_seconds()
    here = job.host == socket.gethostname()  # another app server's process can only be judged by its silence
    if not silent and (not here or _alive(job.pid)):
        return job
    db.session.refresh(job)
    if job.state not in RUNNING:  # it finished while we looked
        return job
    _kill(job)
    job.state = INTERRUPTED
    job.message = str(_l("The import stopped before it finished; nothing of it was saved. Start it again."))
    job.finished_at = clock.utcnow()
    _forget_upload(job)
    db.session.commit()
    return job


def _worker_of(job: ImportJob) -> bool:
    """The job's pid is its worker's on this machine, alive (not a pid the system has since reused)."""
    if not job.pid or job.host != socket.gethostname() or not _alive(job.pid):
        return False
    try:
        with open(f"/proc/{job.pid}/cmdline", "rb") as cmdline:
            arguments = cmdline.read().split(b"\0")
    except OSError:
        return False
    return WORKER_MODULE.encode() in arguments and str(job.id).encode() in arguments


def _kill(job: ImportJob) -> None:
    """A job judged interrupted while its worker still runs (stuck, or spinning on a hostile file): the
    worker and its sheet reader are killed (one process group), so that they hold no core and no memory
    and the cap on running imports counts true. Its transaction never committed: nothing was saved."""
    if _worker_of(job):
        try:
            os.killpg(job.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        for _ in range(100):  # the kill is delivered apart: on a busy machine the worker lives a moment more
            if not _alive(job.pid):
                return
            time.sleep(0.01)


def _forget_upload(job: ImportJob) -> None:
    """The job has ended: its file goes from its row (in the caller's transaction) and from the disk, and
    its progress with it."""
    job.upload = None
    if queue.enabled():
        db.session.execute(delete(ImportProgress).where(ImportProgress.job_id == job.id))
    for path in (file_of(job), _progress_path(job)):
        path.unlink(missing_ok=True)


def _forget_stale_uploads(commune) -> None:
    """Files waiting in the commune's jobs for more than a day are forgotten: nobody came back to them."""
    cutoff = clock.utcnow() - STALE_FILES_AFTER
    stale = select(ImportJob).where(
        ImportJob.commune_id == commune.id, ImportJob.created_at < cutoff, ImportJob.upload.is_not(None)
    )
    for job in db.session.scalars(stale):
        job.upload = None


def _remove_stale_files() -> None:
    """Files a job's process left on this server's disk (killed before it could remove them) do not stay."""
    cutoff = (clock.utcnow() - STALE_FILES_AFTER).timestamp()
    for path in imports_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


# The job's process -------------------------------------------------------------------------------


def run(job_id: int, phase: str, day: date) -> None:
    """In the worker process, inside an app context: check the file, or commit it, as of the province's
    day on which the job was started."""
    with system_scope(db.session):
        job = db.session.get(ImportJob, job_id)
        actor = db.session.get(User, job.user_id) if job and job.user_id else None
        commune = db.session.get(AdminUnit, job.commune_id) if job else None
    if job is None or job.state != (QUEUED if phase == CHECK else COMMITTING):
        return
    set_reach(db.session, read=frozenset({commune.id}), write=frozenset({commune.id}), actor_id=job.user_id)
    if (job.pid, job.host) != (os.getpid(), socket.gethostname()):  # a queue's worker started this process
        job.pid, job.host = os.getpid(), socket.gethostname()
        db.session.commit()
    with force_locale(job.locale), clock.working_on(day):
        if actor is None or not actor.is_active or not has_permission(actor, commune, REGISTERS_WRITE):
            _end(job, FAILED, _l("The account that started this import may no longer write this commune's registers."))
            return
        try:
            if phase == CHECK:
                _check(job, commune)
            else:
                _commit(job, commune, actor)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("import job %s failed", job_id)
            job = db.session.get(ImportJob, job_id)
            _end(job, FAILED, _l("The import failed; nothing of it was saved. Try again, or tell the administrator."))
            raise


def _plan(job: ImportJob, commune, phase: str, sink: Inserter | None = None) -> Plan | None:
    if job.upload is None:  # kept a day (STALE_FILES_AFTER), then forgotten with its personal data
        if sink is not None:
            sink.abandon()
        _end(job, REFUSED, _l("The uploaded file is no longer kept (a file waits one day): upload it again."))
        return None
    path = file_of(job)  # the reader takes a file: a private one on this worker's disk, for the phase only
    with open_private(path) as out:
        out.write(job.upload)
    try:
        return build_plan(
            SPECS[job.register],
            commune,
            path,
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
            progress=lambda done, total: write_progress(job, phase, done, total),
            sink=sink,
        )
    except FileRefused as refused:
        if sink is not None:
            sink.abandon()
        db.session.rollback()
        _end(job, REFUSED, refused.message)
        return None
    finally:
        path.unlink(missing_ok=True)


def _check(job: ImportJob, commune) -> None:
    job.state = CHECKING
    db.session.commit()
    plan = _plan(job, commune, CHECK)
    if plan is not None:
        _keep_plan(job, plan)
        job.state = CHECKED
        db.session.commit()


def _keep_plan(job: ImportJob, plan: Plan) -> None:
    job.rows_total, job.to_add, job.to_update = plan.total, len(plan.adds), len(plan.updates)
    job.unchanged, job.refused_rows = plan.unchanged, plan.refused_rows
    job.report = plan.report()
    job.checked_at = clock.utcnow()


def _commit(job: ImportJob, commune, actor) -> None:
    """Check the file again against the registers as they are now, then write it, all in one transaction
    with the job's own end: killed anywhere before the commit, nothing of it stays."""
    inserter = Inserter(SPECS[job.register], commune, actor)
    try:  # the new rows are written while the file is read; anything refused rolls them back
        plan = _plan(job, commune, SAVE, sink=inserter)
        if plan is None:
            return
        inserted = inserter.finish()
    except BaseException:
        inserter.abandon()
        raise
    if not plan.committable:
        db.session.rollback()
        _keep_plan(job, plan)
        job.state = CHECKED
        job.message = str(_l("The registers changed since the check: read the new preview."))
        db.session.commit()
        return
    outcome = commit_plan(
        plan, commune, actor, lambda done, total: write_progress(job, SAVE, done, total), inserted=inserted
    )
    _keep_plan(job, plan)
    job.added, job.updated = outcome.added, outcome.updated
    job.state = COMMITTED
    job.finished_at = clock.utcnow()
    record(
        "import",
        actor_id=actor.id,
        unit_id=commune.id,
        object_type=SPECS[job.register].model.__tablename__,
        object_id=job.id,
        after={"file": job.filename, "sha256": job.sha256, "added": outcome.added, "updated": outcome.updated},
    )
    _forget_upload(job)
    db.session.commit()


def _end(job: ImportJob, state: str, message) -> None:
    job.state = state
    job.message = str(message)
    job.finished_at = clock.utcnow()
    _forget_upload(job)
    db.session.commit()
