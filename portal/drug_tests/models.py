from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.persons.models import Person
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column, unique_live

# Decree 105/2021 Art. 38(1): the grounds for suspecting illegal drug use.
GROUNDS = {
    "a": _l("a) Verified tip-off"),
    "b": _l("b) Material from a case of a legal violation"),
    "c": _l("c) Loss of awareness or self-control suspected to be caused by drugs"),
    "d": _l("d) Drug traces or equipment on the person, in their vehicle or at home"),
    "dd": _l("đ) Driver showing signs of drug use"),
    "e": _l("e) Present without good reason at a place where drugs are used"),
    "g": _l("g) Self-declaration"),
    "h": _l("h) Caught in the act"),
    "i": _l("i) Other grounds set by law"),
}
# Law 73/2021 Art. 22(1): who must be tested.
TEST_REASONS = {
    "found_using": _l("a) Found using drugs"),
    "suspected": _l("b) Grounds to suspect use"),
    "under_management": _l("c) User within the management term"),
    "in_treatment": _l("d) In education, rehab, substitution treatment or post-rehab"),
}
# Who found the person (Đề án 3822: a missed case is a user the commune had not found itself).
FOUND_BY = {
    "commune": _l("The commune police's own screening"),
    "provincial_police": _l("The provincial police"),
    "other_commune": _l("Another commune's police"),
    "rehab_facility": _l("A rehab or treatment facility"),
    "hospital": _l("A hospital or health facility"),
    "traffic_police": _l("Traffic police"),
    "custody": _l("A place of custody or detention"),
    "other": _l("Another body"),
}
# Why a missed case is one.
MISSED_REASONS = {
    "found_elsewhere": _l("Found positive by another body while on none of the commune's lists"),
    "not_managed_in_time": _l("Found by the commune but not put under management within the time the law allows"),
    "off_register": _l("Positive test of a person on no register (criteria version 1 rule)"),
}
SAMPLES = {"urine": _l("Urine"), "blood": _l("Blood"), "other": _l("Other body sample")}
RESULTS = {"positive": _l("Positive"), "negative": _l("Negative")}


class SuspicionLead(RegisterRow, db.Model):
    __tablename__ = "suspicion_lead"
    __table_args__ = (tenant_key("suspicion_lead"), same_commune("suspicion_lead", "person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    ground: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(200), default="")
    listed_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("SuspicionLead", "person_id", "Person")
    # the live tests that answer this suspicion, newest first (loaded for a whole page in one query)
    tests: Mapped[list["DrugTest"]] = relationship(
        primaryjoin="and_(DrugTest.lead_id == SuspicionLead.id, DrugTest.commune_id == SuspicionLead.commune_id, "
        "DrugTest.deleted_at.is_(None))",
        foreign_keys="[DrugTest.lead_id, DrugTest.commune_id]",
        viewonly=True,
        lazy="selectin",
        order_by="DrugTest.tested_on.desc()",
    )


class DrugTest(RegisterRow, db.Model):
    __tablename__ = "drug_test"
    __table_args__ = (
        tenant_key("drug_test"),
        same_commune("drug_test", "person_id", "person"),
        same_commune("drug_test", "lead_id", "suspicion_lead"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    lead_id: Mapped[int | None] = mapped_column(index=True)
    tested_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20))
    sample: Mapped[str] = mapped_column(String(10))
    result: Mapped[str] = mapped_column(String(10))
    substances: Mapped[str] = mapped_column(String(200), default="")
    testing_body: Mapped[str] = mapped_column(String(200), default="")
    found_by: Mapped[str] = mapped_column(String(20), default="commune", server_default="commune")
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("DrugTest", "person_id", "Person")


class MissedCase(RegisterRow, db.Model):
    """A user or addict the commune had not found (sót lọt): found by another body while on none of the
    commune's lists, or found by the commune and not put under management in time. `detected_on` is the
    day it became a miss; `reason` says which."""

    __tablename__ = "missed_case"
    __table_args__ = (
        tenant_key("missed_case"),
        same_commune("missed_case", "person_id", "person"),
        same_commune("missed_case", "test_id", "drug_test"),
        unique_live("missed_case", "commune_id", "test_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    test_id: Mapped[int] = mapped_column(index=True)
    detected_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20), default="found_elsewhere", server_default="off_register")
    resolved_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = text_column(2000, default="")

    person: Mapped[Person] = same_commune_row("MissedCase", "person_id", "Person")
