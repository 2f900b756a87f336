"""Villages and residential groups, households, and the commitments they sign."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.registers.rows import RegisterRow, same_commune, same_commune_row, tenant_key, text_column, unique_live

# A household leaves the denominator of the commitment criterion from the day it stops living here.
RESIDENCE = {
    "resident": _l("Resident"),
    "moved_away": _l("Moved away"),
    "split": _l("Split into new households"),
    "merged": _l("Merged into another household"),
}

VILLAGE_KINDS = {
    "village": _l("Village (thôn)"),
    "residential_group": _l("Residential group (tổ dân phố)"),
}


class Village(RegisterRow, db.Model):
    __tablename__ = "village"
    names_a_person = True  # a name is shown with it: every read is recorded (portal.tenancy.reads)
    __table_args__ = (tenant_key("village"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="village")
    head_name: Mapped[str] = mapped_column(String(120), default="")


class Household(RegisterRow, db.Model):
    __tablename__ = "household"
    names_a_person = True  # a name is shown with it: every read is recorded (portal.tenancy.reads)
    __table_args__ = (
        tenant_key("household"),
        same_commune("household", "village_id", "village"),
        unique_live("household", "commune_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # the commune's own household code: the natural key
    representative_name: Mapped[str] = mapped_column(String(120))
    village_id: Mapped[int] = mapped_column()
    address: Mapped[str] = mapped_column(String(200), default="")
    members: Mapped[int | None] = mapped_column()
    residence: Mapped[str] = mapped_column(String(12), default="resident", server_default="resident")
    residence_since: Mapped[date | None] = mapped_column(Date)  # the day it stopped being resident

    village: Mapped[Village] = same_commune_row("Household", "village_id", "Village")


class HouseholdCommitment(RegisterRow, db.Model):
    """A household's pledge for one campaign (or its refusal, with the reason)."""

    __tablename__ = "household_commitment"
    names_a_person = True  # a name is shown with it: every read is recorded (portal.tenancy.reads)
    __table_args__ = (
        tenant_key("household_commitment"),
        same_commune("household_commitment", "household_id", "household"),
        unique_live("household_commitment", "commune_id", "household_id", "campaign"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(index=True)
    campaign: Mapped[str] = mapped_column(String(4))
    signed_on: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str] = mapped_column(String(120), default="")
    refused: Mapped[bool] = mapped_column(default=False)
    refusal_reason: Mapped[str] = text_column(1000, default="")

    household: Mapped[Household] = same_commune_row("HouseholdCommitment", "household_id", "Household")

    @property
    def household_code(self) -> str:
        return self.household.code if self.household else ""


class VillageHeadCommitment(RegisterRow, db.Model):
    """A village head's commitment, made before the district police and commune leaders."""

    __tablename__ = "village_head_commitment"
    names_a_person = True  # a name is shown with it: every read is recorded (portal.tenancy.reads)
    __table_args__ = (
        tenant_key("village_head_commitment"),
        same_commune("village_head_commitment", "village_id", "village"),
        unique_live("village_head_commitment", "commune_id", "village_id", "campaign"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(index=True)
    campaign: Mapped[str] = mapped_column(String(4))
    signed_on: Mapped[date] = mapped_column(Date)
    head_name: Mapped[str] = mapped_column(String(120))
    conference: Mapped[str] = mapped_column(String(200), default="")

    village: Mapped[Village] = same_commune_row("VillageHeadCommitment", "village_id", "Village")
