from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column
from portal.tenancy.guard import TenantOwned
from portal.villages.models import Village

HOTSPOT_KINDS = {
    "use_point": _l("Place where drugs are used (điểm)"),
    "use_cluster": _l("Place where use is organised (tụ điểm)"),
    "sale_point": _l("Place where drugs are sold"),
}
HOTSPOT_STATUSES = {"active": _l("Active"), "watch": _l("Under watch"), "eradicated": _l("Eradicated")}
CLOSED_STATUSES = ("watch", "eradicated")  # no longer a place where drugs are used or sold


class Hotspot(RegisterRow, db.Model):
    __tablename__ = "hotspot"
    __table_args__ = (tenant_key("hotspot"), same_commune("hotspot", "village_id", "village"))

    id: Mapped[int] = mapped_column(primary_key=True)
    place: Mapped[str] = mapped_column(String(200))
    village_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    found_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active")
    status_since: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = text_column(2000, default="")

    village: Mapped[Village] = same_commune_row("Hotspot", "village_id", "Village")


class HotspotStatus(TenantOwned, db.Model):
    """One status a hotspot took and the day it took it: a scorecard for a past day reads the status then."""

    __tablename__ = "hotspot_status"
    __table_args__ = (same_commune("hotspot_status", "hotspot_id", "hotspot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hotspot_id: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12))
    since: Mapped[date] = mapped_column(Date)
