from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.persons.models import Person
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column

# Penal Code Art. 9: the class the investigating body assigns (never computed here).
SEVERITIES = {
    "administrative": _l("Administrative violation (not a crime)"),
    "less_serious": _l("Less serious crime"),
    "serious": _l("Serious crime"),
    "very_serious": _l("Very serious crime"),
    "especially_serious": _l("Especially serious crime"),
}


class Incident(RegisterRow, db.Model):
    __tablename__ = "incident"
    __table_args__ = (
        tenant_key("incident"),
        same_commune("incident", "person_id", "person"),
        same_commune("incident", "village_id", "village"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int | None] = mapped_column(index=True)
    village_id: Mapped[int | None] = mapped_column()
    severity: Mapped[str] = mapped_column(String(20))
    psychosis: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = text_column(4000)
    source_document: Mapped[str] = mapped_column(String(200), default="")

    person: Mapped[Person | None] = same_commune_row("Incident", "person_id", "Person")
