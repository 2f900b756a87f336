from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.auth.models import utcnow
from portal.extensions import db
from portal.tenancy.guard import TenantOwned

VILLAGE_KINDS = {
    "village": _l("Village (thôn)"),
    "residential_group": _l("Residential group (tổ dân phố)"),
}


class Village(TenantOwned, db.Model):
    __tablename__ = "village"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="village")
    head_name: Mapped[str] = mapped_column(String(120), default="")
    search_key: Mapped[str] = mapped_column(String(300), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    audit_exclude = ("search_key", "version")
