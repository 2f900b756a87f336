"""An import job: one uploaded file for one register of one commune, from upload to its result.

It is tenant-owned: the guard scopes every read to the request's reach (and, on PostgreSQL, row-level
security), and each change of state is audited. The uploaded file waits in the job's own row (`upload`,
read only by the job's process), so that the worker of any machine can take the job; it is cleared when
the job ends, and after a day."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db
from portal.tenancy.guard import TenantOwned

QUEUED, CHECKING, CHECKED, COMMITTING, COMMITTED = "queued", "checking", "checked", "committing", "committed"
REFUSED, FAILED, DISCARDED, INTERRUPTED = "refused", "failed", "discarded", "interrupted"
RUNNING = frozenset({QUEUED, CHECKING, COMMITTING})
ENDED = frozenset({COMMITTED, REFUSED, FAILED, DISCARDED, INTERRUPTED})
STATE_LABELS = {
    QUEUED: _l("Waiting to start"),
    CHECKING: _l("Checking the file"),
    CHECKED: _l("Checked: waiting for your confirmation"),
    COMMITTING: _l("Saving"),
    COMMITTED: _l("Imported"),
    REFUSED: _l("File refused"),
    FAILED: _l("Failed: nothing was saved"),
    DISCARDED: _l("Discarded"),
    INTERRUPTED: _l("Interrupted: nothing was saved"),
}


class ImportJob(TenantOwned, db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    register: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))  # a random name: the job's files on its worker's disk
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # the file, until the job ends
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    state: Mapped[str] = mapped_column(String(12), default=QUEUED, index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(64), default="")  # the machine the job's process runs on
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    to_add: Mapped[int] = mapped_column(Integer, default=0)
    to_update: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused_rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}
    audit_exclude = ("report", "lock_version", "pid", "host", "upload")

    @property
    def running(self) -> bool:
        return self.state in RUNNING

    @property
    def can_confirm(self) -> bool:
        return self.state == CHECKED and not self.refused_rows and (self.to_add + self.to_update) > 0


class ImportProgress(db.Model):
    """How far a job's process has gone, when jobs run on the queue (portal/queue.py): written by the
    worker on a connection of its own (the import's transaction stays open until its commit), read by
    whichever app server shows the job. Numbers only; the job itself is read through the commune first.
    Jobs an app server runs as its own processes keep their progress in a file beside them instead."""

    __tablename__ = "import_progress"

    job_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    phase: Mapped[str] = mapped_column(String(8))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, on the writer's clock
