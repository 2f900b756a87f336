"""A queued export: one export asked for by one officer, its state and, once written, its file (kept a
day). The rules around it are in portal/exports/jobs.py."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.auth.sessions import aware
from portal.clock import utcnow
from portal.extensions import db

QUEUED, WRITING, READY, FAILED = "queued", "writing", "ready", "failed"
PENDING = frozenset({QUEUED, WRITING})
NOT_ALLOWED = "not allowed"  # a failed job's message: its requester lost the right to its data while it waited
STATE_LABELS = {
    QUEUED: _l("Waiting for a worker"),
    WRITING: _l("Writing the file"),
    READY: _l("Ready to download"),
    FAILED: _l("Failed: no file was made"),
}
KEPT_FOR = timedelta(days=1)
UNCLAIMED_AFTER = timedelta(minutes=5)


class ExportJob(db.Model):
    """One export asked for by one officer; not tenant-owned (a viewer, who writes no register, asks for
    exports too): every read goes through `export_job_of`, and row-level security binds it to the units
    the request views and to its requester."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    register: Mapped[str] = mapped_column(String(40))
    selection: Mapped[dict] = mapped_column(JSON)  # query, filters, sort, deleted: as the list decided them
    personal: Mapped[bool] = mapped_column(Boolean)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    state: Mapped[str] = mapped_column(String(8), default=QUEUED)
    rows: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    @property
    def pending(self) -> bool:
        return self.state in PENDING

    @property
    def refused(self) -> bool:
        """Failed because its requester no longer may read what it would hold (portal/exports/jobs.py)."""
        return self.state == FAILED and self.message == NOT_ALLOWED

    @property
    def unclaimed(self) -> bool:
        """Still waiting long after it was asked for: no worker is taking jobs (or all are busy)."""
        return self.state == QUEUED and clock.utcnow() - aware(self.requested_at) > UNCLAIMED_AFTER
