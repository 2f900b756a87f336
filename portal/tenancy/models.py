"""The administrative unit tree: province → district (or area) → commune (the tenants), in two versions.

The tree of late 2024 (26 districts, 547 communes) was valid until 30/06/2025; the 2025 tree (166
communes, followed in areas, khu vực, that stand where the districts stood) from 01/07/2025. The 2025
tree reuses old codes, so a code alone is not an identity: a unit is its tree and its code, and its
`address` (what URLs carry) is its code in the current tree and `<code>-2024` once archived."""

from datetime import date

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

LEVELS = ("province", "district", "commune")
TREE_2025_FROM = date(2025, 7, 1)  # the two-tier local government: the 2025 tree, and areas, from this day
ARCHIVE_SUFFIX = "-2024"  # the address of a unit of the 2024 tree once the 2025 tree is loaded


def _address_default(context) -> str:
    return context.get_current_parameters()["code"]


class AdminUnit(db.Model):
    __tablename__ = "admin_unit"
    stamped_by = "id"  # a unit written renews its own stamp (portal/tenancy/stamps.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), index=True)  # the official code (an area's: the province's own)
    address: Mapped[str] = mapped_column(String(16), unique=True, default=_address_default)
    tree: Mapped[str | None] = mapped_column(String(4))  # "2024" or "2025"; None for the province (both)
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

    @property
    def successor_links(self) -> list["UnitLineage"]:
        """What it became (an old commune): its default successor first. Read from the kept tree."""
        from portal.tenancy import tree

        return tree.links(self.id, successors=True)

    @property
    def predecessor_links(self) -> list["UnitLineage"]:
        """What it was formed from (a new commune). Read from the kept tree."""
        from portal.tenancy import tree

        return tree.links(self.id, successors=False)

    @property
    def archived(self) -> bool:
        return self.valid_to is not None

    def __repr__(self) -> str:
        return f"<AdminUnit {self.address} {self.name}>"


class UnitLineage(db.Model):
    """What an old commune became: the unit it joined whole, or each part of a split with its share
    and the default successor (where its rows go unless the province moves a village)."""

    __tablename__ = "unit_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    is_default: Mapped[bool] = mapped_column()
    share: Mapped[float | None] = mapped_column(Float)
    effective_on: Mapped[date] = mapped_column()

    from_unit: Mapped[AdminUnit] = relationship(foreign_keys=[from_unit_id], lazy="joined")
    to_unit: Mapped[AdminUnit] = relationship(foreign_keys=[to_unit_id], lazy="joined")


class TreeStamp(db.Model):
    """Changes whenever a unit or a lineage link is written (portal/listeners.py): each worker process
    keeps the tree under the stamp it was read at (portal/tenancy/tree.py) and reads it again when the
    stamp it sees with the login's own statement differs."""

    __tablename__ = "tree_stamp"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(32))


class UnitStamp(db.Model):
    """A random value renewed in every transaction that changes what a unit's page shows (a register row
    of the commune, its kept results, its dossier; for a province, its criteria): each worker keeps the
    commune workspace's content under the stamps it was drawn at (portal/tenancy/stamps.py). Holds no
    data: a unit with no row has never been changed through the portal and is never kept."""

    __tablename__ = "unit_stamp"

    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), primary_key=True)
    value: Mapped[str] = mapped_column(String(32))
