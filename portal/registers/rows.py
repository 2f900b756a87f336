"""The base of every register row, and the keys that keep rows inside their commune."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.clock import utcnow
from portal.tenancy.guard import TenantOwned


class RegisterRow(TenantOwned):
    """Soft delete, an optimistic version (a stale save raises instead of overwriting), a folded
    search key, timestamps. The audit row of every change comes from TenantOwned."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    search_key: Mapped[str] = mapped_column(String(400), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    # The commune of the 2024 tree the row was kept in before the 2025 reform moved it here (None: kept
    # here from the start).
    former_commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))

    audit_exclude = ("search_key", "version", "updated_at", "created_at")

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


def text_column(max_length: int, **kwargs):
    """Free text without a length in the database, with the most characters the portal takes."""
    return mapped_column(Text, info={"max_length": max_length}, **kwargs)


def tenant_key(table: str) -> UniqueConstraint:
    """(commune_id, id) is unique, so other rows can point at a row *and* its commune."""
    return UniqueConstraint("commune_id", "id", name=f"uq_{table}_commune_id_id")


def same_commune(table: str, column: str, target: str) -> ForeignKeyConstraint:
    """A reference that the database itself keeps inside the commune: (commune_id, column) must be
    an existing (commune_id, id) of the target table. Deferrable, so that the 2025 reform can move a
    whole commune's rows to their new commune table by table and have the keys checked at its commit."""
    return ForeignKeyConstraint(
        ["commune_id", column],
        [f"{target}.commune_id", f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        deferrable=True,
        initially="IMMEDIATE",
    )


def unique_live(table: str, *columns: str) -> Index:
    """Unique among rows that are not soft-deleted."""
    where = text("deleted_at IS NULL")
    return Index(
        f"uq_{table}_{'_'.join(columns)}_live", *columns, unique=True, sqlite_where=where, postgresql_where=where
    )


def same_commune_row(this: str, column: str, target: str, **kwargs):
    """A read-only relationship to the row a same-commune key names (writes go through the id column)."""
    return relationship(
        target,
        primaryjoin=f"and_({this}.{column} == {target}.id, {this}.commune_id == {target}.commune_id)",
        foreign_keys=f"[{this}.{column}, {this}.commune_id]",
        viewonly=True,
        lazy="joined",
        **kwargs,
    )
