"""The administrative unit tree: province → district → commune (the tenants)."""

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

LEVELS = ("province", "district", "commune")


class AdminUnit(db.Model):
    __tablename__ = "admin_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    # Materialised path of codes ("/38/389/15076/"): "every unit below X" is one prefix match.
    path: Mapped[str] = mapped_column(String(64), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    parent: Mapped["AdminUnit | None"] = relationship(remote_side=[id], lazy="joined", innerjoin=False)

    def contains(self, other: "AdminUnit") -> bool:
        return other.path.startswith(self.path)

    def ancestors(self) -> list["AdminUnit"]:
        """From the root down to the parent, for breadcrumbs."""
        chain, unit = [], self.parent
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return list(reversed(chain))

    def __repr__(self) -> str:
        return f"<AdminUnit {self.code} {self.name}>"
