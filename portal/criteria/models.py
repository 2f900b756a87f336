"""Criteria as data (owned by the province, versioned) and the per-commune results kept from them."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

COMPARATORS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


class CriteriaVersion(db.Model):
    """A published, immutable set of criteria; the one in force is the newest whose start has come."""

    __tablename__ = "criteria_version"
    stamped_by = "province_id"  # a version published renews the province's stamp (portal/tenancy/stamps.py)
    __table_args__ = (UniqueConstraint("province_id", "number", name="uq_criteria_version_province_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    number: Mapped[int] = mapped_column()
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The version's settings beside its criteria: which finders make a missed case and the working days
    # allowed to put a finding under management, whether addicts in custody leave C1's denominator.
    rules: Mapped[dict] = mapped_column(JSON, default=dict)

    criteria: Mapped[list["Criterion"]] = relationship(
        order_by="Criterion.position", lazy="selectin", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("version_id", "code", name="uq_criterion_version_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("criteria_version.id"), index=True)
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    # Where a windowed metric starts counting: "period" (the assessment period that holds the day),
    # "months:N" (the last N months), or "calendar_year" (version 1's rule).
    window: Mapped[str] = mapped_column(String(20), default="period", server_default="calendar_year")
    label_vi: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    rule_vi: Mapped[str] = mapped_column(Text)
    rule_en: Mapped[str] = mapped_column(Text)

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_vi

    def rule(self, locale: str) -> str:
        return self.rule_en if locale == "en" else self.rule_vi

    def passes(self, value: float) -> bool:
        return {
            "ge": value >= self.threshold,
            "gt": value > self.threshold,
            "le": value <= self.threshold,
            "lt": value < self.threshold,
            "eq": abs(value - self.threshold) < 1e-9,
        }[self.comparator]


class CommuneResult(db.Model):
    """A commune's current result on one criterion of the version in force: counts only, no person.
    Kept current in the same transaction as the register write that changes it."""

    __tablename__ = "commune_result"
    stamped_by = "commune_id"  # a result stored renews the commune's stamp (portal/tenancy/stamps.py)

    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"), primary_key=True)
    numerator: Mapped[int] = mapped_column()
    denominator: Mapped[int] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column()
    aside: Mapped[int] = mapped_column(default=0, server_default="0")  # rows counted apart (custody)
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The day this criterion went from met to not met (None while met): the date a breach began.
    failing_since: Mapped[date | None] = mapped_column(Date)


class MonthlySnapshot(db.Model):
    """A commune's results at the start of a month, under the criteria version then in force."""

    __tablename__ = "monthly_snapshot"
    __table_args__ = (
        UniqueConstraint("commune_id", "month", "criterion_code", name="uq_monthly_snapshot_commune_month_criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("criteria_version.id"))
    criterion_code: Mapped[str] = mapped_column(String(10))
    numerator: Mapped[int] = mapped_column()
    denominator: Mapped[int] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column()
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MonthlyTally(db.Model):
    """Per province and month, how many communes had a snapshot and how many met every criterion in it:
    tallied when the month's snapshots are taken (they never change after), read by the trend chart."""

    __tablename__ = "monthly_tally"
    __table_args__ = (UniqueConstraint("province_id", "month", name="uq_monthly_tally_province_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    communes: Mapped[int] = mapped_column()
    meeting_all: Mapped[int] = mapped_column()
