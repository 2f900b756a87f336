from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column

MODEL_STATUSES = {"active": _l("Running"), "inactive": _l("Stopped")}
ACTIVITY_KINDS = {
    "meeting": _l("Meeting or talk"),
    "outreach": _l("Outreach to families"),
    "campaign": _l("Communication campaign"),
    "sports": _l("Sports or culture"),
    "patrol": _l("Patrol"),
    "other": _l("Other activity"),
}


class PreventionModel(RegisterRow, db.Model):
    __tablename__ = "prevention_model"
    __table_args__ = (tenant_key("prevention_model"), same_commune("prevention_model", "village_id", "village"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    village_id: Mapped[int | None] = mapped_column()
    led_by: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    notes: Mapped[str] = text_column(2000, default="")


class ModelActivity(RegisterRow, db.Model):
    __tablename__ = "model_activity"
    __table_args__ = (tenant_key("model_activity"), same_commune("model_activity", "model_id", "prevention_model"))

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    participants: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = text_column(2000, default="")

    model: Mapped[PreventionModel] = same_commune_row("ModelActivity", "model_id", "PreventionModel")
