"""The recognition dossier: a commune's self-assessment for a period, its rounds of appraisal, the
province's decision and, later, its revocation. Every transition is kept; every submission freezes
what the commune showed, and a decision points at the submission it rests on.

Dossiers hold counts and officers' words, never a person: district and province officers read them
without register access, so they are not `TenantOwned`; every read goes through `recognition.access`,
which always filters by the unit in the URL."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

# The states of a dossier, in the order a commune goes through them.
DRAFT, SUBMITTED, RETURNED, APPROVED, RECOGNISED, REJECTED, REVOKED = (
    "draft",
    "submitted",
    "returned",
    "approved",
    "recognised",
    "rejected",
    "revoked",
)
STATES = (DRAFT, SUBMITTED, RETURNED, APPROVED, RECOGNISED, REJECTED, REVOKED)
OPEN_STATES = frozenset({DRAFT, SUBMITTED, RETURNED, APPROVED})  # a commune has at most one open dossier
EDITABLE_STATES = frozenset({DRAFT, RETURNED})  # the commune may change comments, explanations, attachments


class Dossier(db.Model):
    __tablename__ = "dossier"
    stamped_by = "commune_id"  # its stage shows on the workspace (portal/tenancy/stamps.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # the year assessed, e.g. "2026"
    state: Mapped[str] = mapped_column(String(12), index=True, default=DRAFT)
    round: Mapped[int] = mapped_column(Integer, default=0)  # submissions so far
    comments: Mapped[str] = mapped_column(Text, default="")  # the commune's own account
    explanations: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion code -> why it is not met
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The decision (recognition or rejection) and the submission it rests on.
    decided_submission_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_submission.id", use_alter=True))
    decision_number: Mapped[str] = mapped_column(String(60), default="")
    # the body that appraised it, named when it was approved ("Công an tỉnh Thanh Hóa"; empty before 2025:
    # the district police of its frozen record)
    appraised_by: Mapped[str] = mapped_column(String(160), default="", server_default="")
    decision_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    # Optimistic lock: a form posts the version it was drawn from; a newer one is a conflict, not an overwrite.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    commune = relationship("AdminUnit", lazy="joined")
    submissions: Mapped[list["DossierSubmission"]] = relationship(
        back_populates="dossier", order_by="DossierSubmission.round", foreign_keys="DossierSubmission.dossier_id"
    )
    events: Mapped[list["DossierEvent"]] = relationship(order_by="DossierEvent.id")
    attachments: Mapped[list["Attachment"]] = relationship(order_by="Attachment.id")
    decided_submission = relationship("DossierSubmission", foreign_keys=[decided_submission_id])

    @property
    def latest_submission(self) -> "DossierSubmission | None":
        return self.submissions[-1] if self.submissions else None


class DossierSubmission(db.Model):
    """One round: what the commune showed when it submitted, frozen (counts only)."""

    __tablename__ = "dossier_submission"
    __table_args__ = (UniqueConstraint("dossier_id", "round", name="uq_dossier_submission_dossier_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # {"version": {...}, "as_of": iso, "criteria": [...], "models": [...], "commitments": {...},
    #  "comments": str, "explanations": {...}, "attachments": [...]}
    snapshot: Mapped[dict] = mapped_column(JSON)

    dossier = relationship("Dossier", back_populates="submissions", foreign_keys=[dossier_id])


class DossierEvent(db.Model):
    """A transition: who, when, from which state to which, with the comment (and per-criterion remarks)."""

    __tablename__ = "dossier_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    round: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    remarks: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion code -> the appraiser's remark

    actor = relationship("User", lazy="joined")


class Attachment(db.Model):
    """A scanned document of the dossier, stored outside the web root under a server-made name."""

    __tablename__ = "dossier_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
