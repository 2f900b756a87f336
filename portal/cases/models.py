"""What a case keeps besides its status episodes: the management team of a decision (Form 07), the
monthly residence checks, absences, addiction determinations, and moves between communes."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.persons.models import Person, StatusEpisode
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column

# Decree 105 Art. 42(2)(c): the Tổ quản lý of a management decision.
TEAM_ROLES = {
    "leader": _l("Team leader (commune police)"),
    "deputy": _l("Deputy (village or residential-group representative)"),
    "member": _l("Member (family, mass organisation, social worker)"),
}
CHECK_OUTCOMES = {
    "present": _l("Living at the residence"),
    "away_reported": _l("Away, reported"),
    "away_unreported": _l("Away, not reported"),
}
# Circular 18/2021/TT-BYT: the conclusion of the Phiếu kết quả xác định tình trạng nghiện ma túy.
DETERMINATION_RESULTS = {
    "addicted": _l("Addicted"),
    "not_addicted": _l("Not addicted"),
}
TRANSFER_STATES = {
    "pending": _l("Waiting for the receiving commune"),
    "accepted": _l("Accepted"),
    "left_province": _l("Moved out of the province"),
    "withdrawn": _l("Withdrawn by the sending commune"),
}


class TeamMember(RegisterRow, db.Model):
    """One member of the Tổ quản lý a management decision (Form 07) names."""

    __tablename__ = "team_member"
    names_a_person = True  # every read is recorded (portal.tenancy.reads)
    __table_args__ = (tenant_key("team_member"), same_commune("team_member", "episode_id", "status_episode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(10))
    full_name: Mapped[str] = mapped_column(String(120))
    position: Mapped[str] = mapped_column(String(200), default="")
    mentor: Mapped[bool] = mapped_column(Boolean, default=False)

    episode: Mapped[StatusEpisode] = same_commune_row("TeamMember", "episode_id", "StatusEpisode")


class ResidenceCheck(RegisterRow, db.Model):
    """A police check of a managed person's residence, at least monthly (Decree 105 Art. 47; Decree 116 Art. 79)."""

    __tablename__ = "residence_check"
    __table_args__ = (tenant_key("residence_check"), same_commune("residence_check", "person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("ResidenceCheck", "person_id", "Person")


class Absence(RegisterRow, db.Model):
    """A stretch away from the residence during post-rehab management: unreported days do not count
    toward the term (Decree 116 Art. 79)."""

    __tablename__ = "absence"
    __table_args__ = (tenant_key("absence"), same_commune("absence", "person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    left_on: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("Absence", "person_id", "Person")


class Determination(RegisterRow, db.Model):
    """An addiction determination (Law 73/2021 Art. 27; Circular 18/2021): asked for by the commune
    police, answered by a licensed facility with its result slip."""

    __tablename__ = "determination"
    __table_args__ = (
        tenant_key("determination"),
        same_commune("determination", "person_id", "person"),
        same_commune("determination", "test_id", "drug_test"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    test_id: Mapped[int | None] = mapped_column(index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    facility: Mapped[str] = mapped_column(String(200), default="")
    doctor: Mapped[str] = mapped_column(String(120), default="")
    result_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20), default="")
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("Determination", "person_id", "Person")


class CaseTransfer(db.Model):
    """A person under management or post-rehab moving to another commune (Decree 105 Art. 43; Decree 116
    Art. 80; Law 120/2025: notice within 24 hours, the file within 5 working days, Forms 08 and 53).

    Not a register row: the one record two communes read. The sending commune writes it; the receiving
    commune sees, until it accepts, only what the law lets it know (who is coming, and why); on
    acceptance the file is copied into the receiving commune's registers (portal.cases.transfers)."""

    __tablename__ = "case_transfer"
    names_a_person = True

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)  # the sending commune
    to_commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    destination: Mapped[str] = mapped_column(String(200), default="")  # out of the province: where to
    person_id: Mapped[int] = mapped_column()  # the sender's record of the person
    full_name: Mapped[str] = mapped_column(String(120))
    born_on: Mapped[date] = mapped_column(Date)
    case_kind: Mapped[str] = mapped_column(String(20))  # the episode the move carries (management, post-rehab)
    legal_end_on: Mapped[date | None] = mapped_column(Date)
    moved_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(14), default="pending")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_person_id: Mapped[int | None] = mapped_column()  # the receiver's record of the person
    version: Mapped[int] = mapped_column(default=1)

    sender = relationship("AdminUnit", foreign_keys=[commune_id], lazy="joined")
    receiver = relationship("AdminUnit", foreign_keys=[to_commune_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}
