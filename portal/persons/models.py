"""A person of interest to the commune's drug-prevention work, their status episodes and support."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Index, String, and_, false, or_, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column
from portal.villages.models import Household, Village

SEXES = {"male": _l("Male"), "female": _l("Female")}


class Person(RegisterRow, db.Model):
    __tablename__ = "person"
    names_a_person = True  # every read is recorded (portal.tenancy.reads)
    __table_args__ = (
        tenant_key("person"),
        same_commune("person", "village_id", "village"),
        same_commune("person", "household_id", "household"),
        Index(
            "uq_person_commune_id_cccd_live",
            "commune_id",
            "cccd",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND cccd <> ''"),
            postgresql_where=text("deleted_at IS NULL AND cccd <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    born_on: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    cccd: Mapped[str] = mapped_column(String(12), default="")
    village_id: Mapped[int] = mapped_column()
    household_id: Mapped[int | None] = mapped_column()
    address: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = text_column(2000, default="")
    # The retention sweep (portal.privacy.retention): a keyed hash of the CCCD it removed, and its day.
    cccd_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    pseudonymised_on: Mapped[date | None] = mapped_column(Date)
    # The move that brought the person's file here from another commune (portal.cases.transfers).
    transfer_id: Mapped[int | None] = mapped_column()

    village: Mapped[Village] = same_commune_row("Person", "village_id", "Village")
    household: Mapped[Household | None] = same_commune_row("Person", "household_id", "Household")

    episodes: Mapped[list["StatusEpisode"]] = relationship(
        primaryjoin="and_(StatusEpisode.person_id == Person.id, StatusEpisode.commune_id == Person.commune_id, "
        "StatusEpisode.deleted_at.is_(None))",
        foreign_keys="[StatusEpisode.person_id, StatusEpisode.commune_id]",
        viewonly=True,
        lazy="selectin",
        order_by="StatusEpisode.started_on",
    )

    @property
    def household_code(self) -> str:
        return self.household.code if self.household else ""

    def open_episodes(self, day: date) -> list["StatusEpisode"]:
        """The person's situation on a day, derived from the episodes (never stored twice)."""
        return [e for e in self.episodes if e.running_on(day)]


class StatusEpisode(RegisterRow, db.Model):
    """One stretch of a person's situation: under management, addict, in rehab, post-rehab, prison…"""

    __tablename__ = "status_episode"
    __table_args__ = (tenant_key("status_episode"), same_commune("status_episode", "person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int | None] = mapped_column()
    post_rehab_after: Mapped[str | None] = mapped_column(String(20))
    legal_end_on: Mapped[date | None] = mapped_column(Date, index=True)  # derived from the rules on save
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    decision_number: Mapped[str] = mapped_column(String(40), default="")
    decision_on: Mapped[date | None] = mapped_column(Date)
    decision_signer: Mapped[str] = mapped_column(String(120), default="")
    decision_body: Mapped[str] = mapped_column(String(120), default="", server_default="")  # who decides: data
    repeat_treatment: Mapped[bool] = mapped_column(default=False, server_default=false())  # compulsory: not the first
    held_at: Mapped[str | None] = mapped_column(String(10))  # waiting for compulsory rehab: family or facility
    treatment_phase: Mapped[str | None] = mapped_column(String(12))  # methadone: its phase
    # The decision that ends it: Form 09 (stopped early) or 10 (term ended) for management, Form 54 for
    # post-rehab, Form 26a for voluntary rehab.
    end_decision_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    end_decision_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("StatusEpisode", "person_id", "Person")

    @hybrid_method
    def running_on(self, day: date) -> bool:
        """The one rule of a running episode: started on or before the day, not ended by it."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)

    @running_on.expression
    def running_on(cls, day):  # noqa: N805 - the same rule, as SQL
        return and_(cls.started_on <= day, or_(cls.ended_on.is_(None), cls.ended_on > day))


class ReintegrationSupport(RegisterRow, db.Model):
    __tablename__ = "reintegration_support"
    __table_args__ = (tenant_key("reintegration_support"), same_commune("reintegration_support", "person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    given_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("ReintegrationSupport", "person_id", "Person")
