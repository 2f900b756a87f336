"""The registers of villages, households and commitments, declared for the generic register pages."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from portal.extensions import db
from portal.registers.access import live_rows
from portal.registers.actions import copy_form_fields
from portal.registers.display import initials
from portal.registers.registry import declare
from portal.registers.spec import Column, Filter, Register, choice_filter
from portal.shell.text import fold
from portal.tenancy.periods import campaigns, province_code_of
from portal.villages.forms import HouseholdCommitmentForm, HouseholdForm, VillageForm, VillageHeadCommitmentForm
from portal.villages.models import (
    RESIDENCE,
    VILLAGE_KINDS,
    Household,
    HouseholdCommitment,
    Village,
    VillageHeadCommitment,
)
from portal.villages.pledges import has_counting_pledge

TAKEN = _l("This commune already has a village of that name.")


def village_choices(commune):
    """The commune's live villages by name: their names only (a village's row also names its head)."""
    names = select(Village.id, Village.name).where(Village.commune_id == commune.id, Village.deleted_at.is_(None))
    return [(str(id_), name) for id_, name in db.session.execute(names.order_by(Village.name))]


def by_village(model):
    return Filter(
        "village",
        _l("Village"),
        village_choices,
        lambda stmt, value, commune, today: stmt.where(model.village_id == _int(value)),
    )


def _int(value) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def _taken(model, commune, row, **values) -> bool:
    stmt = select(func.count(model.id)).where(
        model.commune_id == commune.id, model.deleted_at.is_(None), *(getattr(model, k) == v for k, v in values.items())
    )
    if row is not None:
        stmt = stmt.where(model.id != row.id)
    return db.session.scalar(stmt) > 0


# Villages -----------------------------------------------------------------------------------------


def _validate_village(commune, data, row):
    name = fold(data["name"])
    others = db.session.scalars(live_rows(Village, commune).where(Village.id != (row.id if row else -1)))
    if any(fold(v.name) == name for v in others):
        return {"name": TAKEN}
    return {}


villages = declare(
    Register(
        slug="villages",
        model=Village,
        form=VillageForm,
        title=_l("Villages and residential groups"),
        noun=_l("village"),
        columns=[
            Column("name", link=True),
            Column("kind"),
            Column("head_name"),
        ],
        describe=lambda row, personal: row.name,
        search_text=lambda row: f"{row.name} {row.head_name}",
        filters=[choice_filter("kind", _l("Kind"), Village.kind, VILLAGE_KINDS)],
        default_sort="name",
        validate=_validate_village,
        detail_template="villages/_village_detail.html",
        detail_context=lambda commune, row, personal: {
            "households": db.session.scalar(
                select(func.count(Household.id)).where(
                    Household.commune_id == commune.id, Household.village_id == row.id, Household.deleted_at.is_(None)
                )
            ),
        },
    )
)


# Households ---------------------------------------------------------------------------------------


def _validate_household(commune, data, row):
    errors = {}
    if _taken(Household, commune, row, code=data["code"].strip()):
        errors["code"] = _l("Another household already has this code.")
    if data.get("residence", "resident") == "resident":
        data["residence_since"] = None
    elif not data.get("residence_since"):
        errors["residence_since"] = _l("Enter the day the household stopped living here.")
    return errors


def _commitment_state(stmt, value, commune, today):
    """Signed: a pledge that counts today (villages/pledges.py); refused: a refusal in the running campaign;
    missing: neither."""
    counting = has_counting_pledge(today, campaigns(province_code_of(commune)))
    if value == "signed":
        return stmt.where(counting)
    refused = exists().where(
        HouseholdCommitment.commune_id == Household.commune_id,
        HouseholdCommitment.household_id == Household.id,
        HouseholdCommitment.refused.is_(True),
        HouseholdCommitment.deleted_at.is_(None),
    )
    if value == "refused":
        return stmt.where(~counting, refused)
    return stmt.where(~counting, ~refused)


def _household_cell(row, key, personal, unit):
    if key == "village":
        return row.village.name if row.village else "—"
    return None


households = declare(
    Register(
        slug="households",
        model=Household,
        form=HouseholdForm,
        title=_l("Households"),
        noun=_l("household"),
        columns=[
            Column("code", _l("Code"), link=True),
            Column("representative_name"),
            Column("village", sortable=False),
            Column("address"),
            Column("members"),
            Column("residence"),
        ],
        describe=lambda row, personal: (
            f"{row.code} · {row.representative_name if personal else initials(row.representative_name)}"
        ),
        search_text=lambda row: f"{row.code} {row.representative_name} {row.address}",
        search_is_personal=True,
        filters=[
            by_village(Household),
            choice_filter("residence", _l("Residence"), Household.residence, RESIDENCE),
            Filter(
                "commitment",
                _l("Commitment that counts today"),
                lambda commune: [
                    ("signed", str(_l("Signed"))),
                    ("refused", str(_l("Refused"))),
                    ("missing", str(_l("Not yet"))),
                ],
                _commitment_state,
            ),
        ],
        default_sort="code",
        validate=_validate_household,
        cell=_household_cell,
        personal_fields=("representative_name", "address"),
        detail_template="villages/_household_detail.html",
        detail_context=lambda commune, row, personal: {
            "commitments": db.session.scalars(
                live_rows(HouseholdCommitment, commune)
                .where(HouseholdCommitment.household_id == row.id)
                .order_by(HouseholdCommitment.campaign.desc())
            ).all(),
        },
    )
)


# Household commitments ----------------------------------------------------------------------------


def _validate_commitment(commune, data, row):
    errors = {}
    household = db.session.scalar(live_rows(Household, commune).where(Household.code == data["household_code"].strip()))
    if household is None:
        errors["household_code"] = _l("No household of this commune has this code.")
    elif _taken(HouseholdCommitment, commune, row, household_id=household.id, campaign=data["campaign"]):
        errors["campaign"] = _l("This household already has a commitment for this campaign.")
    if data["refused"] and not (data.get("refusal_reason") or "").strip():
        errors["refusal_reason"] = _l("Say why the household refused.")
    if not data["refused"] and not data.get("signed_on"):
        errors["signed_on"] = _l("Enter the date it was signed, or tick “Refused to sign”.")
    if not errors:
        data["household_id"] = household.id
    return errors


def _apply_commitment(commune, row, data):
    copy_form_fields(commune, row, {k: v for k, v in data.items() if k != "household_code"})
    if row.refused:
        row.signed_on = None
    else:
        row.refusal_reason = ""


def _commitment_cell(row, key, personal, unit):
    if key == "household":
        return row.household.code if row.household else "—"
    if key == "representative":
        name = row.household.representative_name if row.household else ""
        return name if personal else initials(name)
    if key == "refused":
        return str(_l("Refused")) if row.refused else str(_l("Signed"))
    return None


household_commitments = declare(
    Register(
        slug="household-commitments",
        model=HouseholdCommitment,
        form=HouseholdCommitmentForm,
        title=_l("Household commitments"),
        noun=_l("household commitment"),
        columns=[
            Column("household", _l("Household"), sortable=False, link=True),
            Column("representative", _l("Representative"), sortable=False),
            Column("campaign"),
            Column("refused", _l("State")),
            Column("signed_on"),
        ],
        describe=lambda row, personal: f"{row.household_code} · {row.campaign}",
        search_text=lambda row: f"{row.household_code} {row.campaign}",
        filters=[
            Filter(
                "campaign",
                _l("Campaign"),
                lambda commune: [
                    (c, c)
                    for c in db.session.scalars(
                        select(HouseholdCommitment.campaign)
                        .distinct()
                        .where(HouseholdCommitment.commune_id == commune.id)
                        .order_by(HouseholdCommitment.campaign.desc())
                    )
                ],
                lambda stmt, value, commune, today: stmt.where(HouseholdCommitment.campaign == value),
            ),
            Filter(
                "state",
                _l("State"),
                lambda commune: [("signed", str(_l("Signed"))), ("refused", str(_l("Refused")))],
                lambda stmt, value, commune, today: stmt.where(HouseholdCommitment.refused.is_(value == "refused")),
            ),
        ],
        default_sort="-signed_on",
        validate=_validate_commitment,
        apply=_apply_commitment,
        cell=_commitment_cell,
        prefill=("household_code",),
        field_labels={"household_id": _l("Household")},
        personal_fields=("signer_name", "refusal_reason"),
    )
)


# Village heads' commitments -----------------------------------------------------------------------


def _validate_head(commune, data, row):
    if _taken(VillageHeadCommitment, commune, row, village_id=data["village_id"], campaign=data["campaign"]):
        return {"campaign": _l("This village already has a commitment for this campaign.")}
    return {}


village_head_commitments = declare(
    Register(
        slug="village-head-commitments",
        model=VillageHeadCommitment,
        form=VillageHeadCommitmentForm,
        title=_l("Village heads' commitments"),
        noun=_l("village head's commitment"),
        columns=[
            Column("village", sortable=False, link=True),
            Column("campaign"),
            Column("head_name"),
            Column("signed_on"),
            Column("conference"),
        ],
        describe=lambda row, personal: f"{row.village.name if row.village else ''} · {row.campaign}",
        search_text=lambda row: f"{row.village.name if row.village else ''} {row.head_name} {row.campaign}",
        filters=[by_village(VillageHeadCommitment)],
        default_sort="-signed_on",
        validate=_validate_head,
        cell=lambda row, key, personal, unit: (row.village.name if row.village else "—") if key == "village" else None,
    )
)
