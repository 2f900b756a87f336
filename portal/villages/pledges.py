"""When a household counts toward the commitment criterion, written once for the criterion, the
household list's filter and a dossier's summary.

A pledge counts from the day it is signed until the deadline of the first campaign the province opened
after it (plan.json `commitment_campaigns`): the pledges of the December 2024 launch count through 2025
and until the 2026 campaign's deadline, so nothing falls off on 1 January. A household counts while it
is resident: one that moved away, split or merged leaves from the day it did."""

from datetime import date

from sqlalchemy import and_, exists, or_, true

from portal.tenancy.periods import Campaign
from portal.villages.models import Household, HouseholdCommitment


def resident_on(day: date):
    return or_(Household.residence == "resident", Household.residence_since > day)


def pledge_counts_on(day: date, campaigns: tuple[Campaign, ...], signed_on=HouseholdCommitment.signed_on):
    """A pledge (a household's, or a village head's by its `signed_on`) signed by the day whose next
    campaign's deadline has not passed."""
    lapsed = [c.opens for c in campaigns if c.deadline < day]  # pledges signed before these lapsed
    return and_(signed_on <= day, signed_on >= max(lapsed) if lapsed else true())


def has_counting_pledge(day: date, campaigns: tuple[Campaign, ...]):
    """On Household: a live pledge, not a refusal, that counts on the day."""
    return exists().where(
        HouseholdCommitment.commune_id == Household.commune_id,
        HouseholdCommitment.household_id == Household.id,
        HouseholdCommitment.deleted_at.is_(None),
        HouseholdCommitment.refused.is_(False),
        pledge_counts_on(day, campaigns),
    )
