"""What needs action in a commune on a day, each item linked to its record.

- management, post-rehab and voluntary-rehab periods ending within 30 days, or past their legal end;
- addicts with no treatment episode (they must register within 5 working days of the finding);
- suspects listed but not tested;
- missed cases not yet on any register."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.persons.legal_terms import (
    ENDING_SOON_DAYS,
    KIND_LABELS,
    TEST_DUE_DAYS,
    TREATED_OR_IN_CUSTODY,
    TREATMENT_DUE_DAYS,
)
from portal.persons.models import Person, StatusEpisode
from portal.registers.access import live_rows

DUE_KINDS = {
    "period_ending": _l("Period ending"),
    "no_treatment": _l("Addict without treatment"),
    "not_tested": _l("Suspect not tested"),
    "missed_case": _l("Missed case"),
}


@dataclass(frozen=True)
class DueItem:
    kind: str
    what: str
    person: Person
    due_on: date
    overdue: bool
    endpoint: str
    ids: dict


def _running(today):
    return (StatusEpisode.started_on <= today, or_(StatusEpisode.ended_on.is_(None), StatusEpisode.ended_on > today))


def _person_only(model):
    """The row's person in the same query, and nothing of the person's own relations: the list shows names."""
    return joinedload(model.person).lazyload("*")


def due_items(commune, today: date | None = None) -> list[DueItem]:
    today = today or clock.today()
    items: list[DueItem] = []
    horizon = today + timedelta(days=ENDING_SOON_DAYS)
    for episode in db.session.scalars(
        live_rows(StatusEpisode, commune)
        .where(*_running(today), StatusEpisode.legal_end_on.is_not(None), StatusEpisode.legal_end_on <= horizon)
        .options(_person_only(StatusEpisode))
    ):
        items.append(
            DueItem(
                "period_ending",
                str(_l("“%(kind)s” reaches its legal end", kind=KIND_LABELS[episode.kind])),
                episode.person,
                episode.legal_end_on,
                episode.legal_end_on <= today,
                "episodes.show",
                {"status_episode_id": episode.id},
            )
        )
    treated = set(
        db.session.scalars(
            select(StatusEpisode.person_id).where(
                StatusEpisode.commune_id == commune.id,
                StatusEpisode.deleted_at.is_(None),
                StatusEpisode.kind.in_(sorted(TREATED_OR_IN_CUSTODY)),
                *_running(today),
            )
        )
    )
    addicts = (
        live_rows(StatusEpisode, commune)
        .where(StatusEpisode.kind == "addict", *_running(today))
        .options(_person_only(StatusEpisode))
    )
    for episode in db.session.scalars(addicts):
        if episode.person_id not in treated:
            due = episode.started_on + timedelta(days=TREATMENT_DUE_DAYS)
            items.append(
                DueItem(
                    "no_treatment",
                    str(_l("Addict with no rehab or methadone treatment")),
                    episode.person,
                    due,
                    due <= today,
                    "persons.show",
                    {"person_id": episode.person_id},
                )
            )
    tested = exists().where(
        DrugTest.commune_id == SuspicionLead.commune_id,
        DrugTest.lead_id == SuspicionLead.id,
        DrugTest.deleted_at.is_(None),
    )
    for lead in db.session.scalars(
        live_rows(SuspicionLead, commune).where(~tested).options(_person_only(SuspicionLead))
    ):
        due = lead.listed_on + timedelta(days=TEST_DUE_DAYS)
        items.append(
            DueItem(
                "not_tested",
                str(_l("Listed as a suspect, not tested yet")),
                lead.person,
                due,
                due <= today,
                "suspects.show",
                {"suspicion_lead_id": lead.id},
            )
        )
    open_cases = live_rows(MissedCase, commune).where(MissedCase.resolved_on.is_(None))
    for case in db.session.scalars(open_cases.options(_person_only(MissedCase))):
        items.append(
            DueItem(
                "missed_case",
                str(_l("Positive test of someone on no register")),
                case.person,
                case.detected_on,
                True,
                "missed-cases.show",
                {"missed_case_id": case.id},
            )
        )
    return sorted(items, key=lambda i: (not i.overdue, i.due_on))
