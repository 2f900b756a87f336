"""What the law asks next of a commune for the persons it manages. Each rule is written here once; the
due list, the person's page and the episodes' states read it."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.persons.legal_terms import ENDING_SOON_DAYS, KIND_LABELS, TREATED_OR_IN_CUSTODY, TREATMENT_DUE_DAYS
from portal.persons.models import Person, StatusEpisode
from portal.registers.access import live_rows
from portal.registers.due import DueItem, person_only

DUE_KINDS = {
    "period_ending": _l("Period ending"),
    "no_treatment": _l("Addict without treatment"),
}


def ending_horizon(today: date) -> date:
    """A period whose legal end falls on or before this day is ending (or over)."""
    return today + timedelta(days=ENDING_SOON_DAYS)


def treatment_due_on(addict: StatusEpisode) -> date:
    """An addict must be registered for rehab or methadone by this day."""
    return addict.started_on + timedelta(days=TREATMENT_DUE_DAYS)


def untreated_addict(episodes: list[StatusEpisode]) -> StatusEpisode | None:
    """Of a person's running episodes, the addiction that no treatment or custody answers, if any."""
    kinds = {e.kind for e in episodes}
    if "addict" in kinds and not kinds & TREATED_OR_IN_CUSTODY:
        return next(e for e in episodes if e.kind == "addict")
    return None


def person_due(person: Person, today: date) -> list[tuple[str, date, bool]]:
    """What the law asks next for this person: (what, by when, overdue)."""
    running = person.open_episodes(today)
    items = [
        (
            str(_l("End of “%(kind)s”: issue the closing decision", kind=KIND_LABELS[episode.kind])),
            episode.legal_end_on,
            episode.legal_end_on <= today,
        )
        for episode in running
        if episode.legal_end_on
    ]
    addict = untreated_addict(running)
    if addict is not None:
        due = treatment_due_on(addict)
        items.append((str(_l("Register for rehab or methadone treatment")), due, due <= today))
    return sorted(items, key=lambda i: i[1])


def commune_due(commune, today: date) -> list[DueItem]:
    return _periods_ending(commune, today) + _untreated_addicts(commune, today)


def _periods_ending(commune, today: date) -> list[DueItem]:
    ending = (
        live_rows(StatusEpisode, commune)
        .where(
            StatusEpisode.running_on(today),
            StatusEpisode.legal_end_on.is_not(None),
            StatusEpisode.legal_end_on <= ending_horizon(today),
        )
        .options(person_only(StatusEpisode))
    )
    return [
        DueItem(
            "period_ending",
            str(_l("“%(kind)s” reaches its legal end", kind=KIND_LABELS[episode.kind])),
            episode.person,
            episode.legal_end_on,
            episode.legal_end_on <= today,
            "episodes.show",
            {"status_episode_id": episode.id},
        )
        for episode in db.session.scalars(ending)
    ]


def _untreated_addicts(commune, today: date) -> list[DueItem]:
    treated = set(
        db.session.scalars(
            select(StatusEpisode.person_id).where(
                StatusEpisode.commune_id == commune.id,
                StatusEpisode.deleted_at.is_(None),
                StatusEpisode.kind.in_(sorted(TREATED_OR_IN_CUSTODY)),
                StatusEpisode.running_on(today),
            )
        )
    )
    addicts = (
        live_rows(StatusEpisode, commune)
        .where(StatusEpisode.kind == "addict", StatusEpisode.running_on(today))
        .options(person_only(StatusEpisode))
    )
    items = []
    for episode in db.session.scalars(addicts):
        if episode.person_id not in treated:
            due = treatment_due_on(episode)
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
    return items
