"""The registers of persons, status episodes and reintegration support."""

from datetime import date, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists

from portal import clock
from portal.extensions import db
from portal.persons.cccd import cccd_hash, cccd_problems, normalise
from portal.persons.forms import SUPPORT_KINDS, PersonForm, ReintegrationSupportForm, StatusEpisodeForm
from portal.persons.legal_terms import (
    END_REASONS,
    KIND_LABELS,
    age_on,
    allowed_terms,
    conflicts,
    deciding_body,
    ending_horizon,
    legal_end,
)
from portal.persons.models import Person, ReintegrationSupport, StatusEpisode
from portal.registers.access import live_rows
from portal.registers.actions import copy_form_fields
from portal.registers.display import initials, link
from portal.registers.registry import declare
from portal.registers.spec import Column, Filter, Register, choice_filter
from portal.shell.i18n import format_day
from portal.villages.models import Household
from portal.villages.registers import by_village


def person_name(person: Person | None, personal: bool) -> str:
    if person is None:
        return "—"
    return person.full_name if personal else initials(person.full_name)


def status_text(person: Person, day: date) -> str:
    labels = [str(KIND_LABELS[e.kind]) for e in person.open_episodes(day)]
    return "; ".join(labels) if labels else str(_l("No current episode"))


# Persons --------------------------------------------------------------------------------------------


def _validate_person(commune, data, row):
    errors = {}
    number = normalise(data.get("cccd"))
    data["cccd"] = number
    if number:
        problems = cccd_problems(number, data.get("born_on"), data.get("sex"))
        if problems:
            errors["cccd"] = " ".join(str(p) for p in problems)
        else:
            other = db.session.scalar(
                live_rows(Person, commune).where(Person.cccd == number, Person.id != (row.id if row else -1))
            )
            if other is not None:
                errors["cccd"] = _l("This CCCD number is already registered for %(name)s.", name=other.full_name)
            elif row is None and (earlier := _pseudonymised_match(commune, number)) is not None:
                errors["cccd"] = _l(
                    "This CCCD number matches an earlier record whose identity the retention rule removed on %(day)s "
                    "(%(name)s, record %(id)s): open that record and enter the person's details again there, so that "
                    "their history stays one.",
                    day=format_day(earlier.pseudonymised_on),
                    name=earlier.full_name,
                    id=earlier.id,
                )
    code = (data.get("household_code") or "").strip()
    data["household_id"] = None
    if code:
        household = db.session.scalar(live_rows(Household, commune).where(Household.code == code))
        if household is None:
            errors["household_code"] = _l("No household of this commune has this code.")
        else:
            data["household_id"] = household.id
    return errors


def _pseudonymised_match(commune, number: str) -> Person | None:
    """A person of the commune whose identity the retention sweep removed, with this CCCD (by its hash)."""
    return db.session.scalar(live_rows(Person, commune).where(Person.cccd_hash == cccd_hash(number)).limit(1))


def _apply_person(commune, row, data):
    copy_form_fields(commune, row, {k: v for k, v in data.items() if k != "household_code"})
    if row.pseudonymised_on is not None and row.cccd:  # the person came back, and was identified again
        row.pseudonymised_on, row.cccd_hash = None, None


def _open_kind(stmt, value, commune, today):
    return stmt.where(
        exists().where(
            StatusEpisode.commune_id == Person.commune_id,
            StatusEpisode.person_id == Person.id,
            StatusEpisode.deleted_at.is_(None),
            StatusEpisode.kind == value,
            StatusEpisode.running_on(today),
        )
    )


def _person_cell(row, key, personal, unit):
    if key == "village":
        return row.village.name if row.village else "—"
    if key == "status":
        return status_text(row, clock.today())
    return None


def _person_detail(commune, row, personal):
    today = clock.today()
    return {
        "timeline": sorted(row.episodes, key=lambda e: (e.started_on, e.id)),
        "open_now": row.open_episodes(today),
        "supports": db.session.scalars(
            live_rows(ReintegrationSupport, commune)
            .where(ReintegrationSupport.person_id == row.id)
            .order_by(ReintegrationSupport.given_on.desc())
        ).all(),
        "kind_labels": KIND_LABELS,
        "end_reasons": END_REASONS,
        "support_kinds": SUPPORT_KINDS,
    }


persons = declare(
    Register(
        slug="persons",
        model=Person,
        form=PersonForm,
        title=_l("Persons"),
        noun=_l("person"),
        columns=[
            Column("full_name", link=True),
            Column("born_on"),
            Column("sex"),
            Column("cccd"),
            Column("village", _l("Village"), sortable=False),
            Column("status", _l("Current situation"), sortable=False),
        ],
        describe=lambda row, personal: person_name(row, personal),
        search_text=lambda row: f"{row.full_name} {row.cccd} {row.address}",
        search_is_personal=True,
        filters=[
            by_village(Person),
            Filter(
                "situation",
                _l("Current situation"),
                lambda commune: [(k, str(v)) for k, v in KIND_LABELS.items()],
                _open_kind,
            ),
        ],
        default_sort="full_name",
        validate=_validate_person,
        apply=_apply_person,
        cell=_person_cell,
        personal_fields=("full_name", "born_on", "cccd", "address", "notes", "household_id"),
        field_labels={"household_id": _l("Household"), "village_id": _l("Village of residence")},
        detail_template="persons/_person_detail.html",
        detail_context=_person_detail,
    )
)


# Status episodes ------------------------------------------------------------------------------------


def _terms_text(terms: tuple[int, ...]) -> str:
    if len(terms) > 2 and terms == tuple(range(terms[0], terms[-1] + 1)):
        return f"{terms[0]}–{terms[-1]}"
    return str(_l(" or ")).join(str(t) for t in terms)


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < (b_end or date.max) and b_start < (a_end or date.max)


def _check_term(data, age: int | None) -> dict:
    kind, start = data["kind"], data["started_on"]
    if kind == "rehab_compulsory" and age is not None and age < 12:
        return {"kind": _l("Compulsory rehab applies from the age of 12; this person was %(age)s.", age=age)}
    terms = allowed_terms(kind, start, age, bool(data.get("repeat_treatment")))
    if not terms:
        data["term_months"] = None
        return {}
    if data["term_months"] is None:
        return {"term_months": _l("Enter the term the decision sets.")}
    if data["term_months"] not in terms:
        return {"term_months": _l("For this situation the term is %(terms)s months.", terms=_terms_text(terms))}
    return {}


def _check_kind_fields(data) -> dict:
    errors = {}
    kind = data["kind"]
    if kind == "post_rehab":
        if not data["post_rehab_after"]:
            errors["post_rehab_after"] = _l("Say which treatment the post-rehab management follows.")
    else:
        data["post_rehab_after"] = None
    if kind == "awaiting_compulsory":
        if not data.get("held_at"):
            errors["held_at"] = _l("Say whether the family or a facility holds the person while the decision is made.")
    else:
        data["held_at"] = None
    data["treatment_phase"] = (data.get("treatment_phase") or None) if kind == "methadone" else None
    data["repeat_treatment"] = bool(data.get("repeat_treatment")) and kind == "rehab_compulsory"
    return errors


def _check_end(data) -> dict:
    errors = {}
    end = data["ended_on"]
    if end and not data["end_reason"]:
        errors["end_reason"] = _l("Say why it ended.")
    if data["end_reason"] and not end:
        errors["ended_on"] = _l("Enter the date it ended.")
    data["end_reason"] = data["end_reason"] or None
    return errors


def _validate_episode(commune, data, row):
    kind, start, end = data["kind"], data["started_on"], data["ended_on"]
    person = db.session.scalar(live_rows(Person, commune).where(Person.id == data["person_id"]))
    age = age_on(person.born_on, start) if person is not None and start else None
    errors = {**_check_term(data, age), **_check_kind_fields(data), **_check_end(data)}
    others = db.session.scalars(
        live_rows(StatusEpisode, commune).where(
            StatusEpisode.person_id == data["person_id"], StatusEpisode.id != (row.id if row else -1)
        )
    ).all()
    for other in others:
        if conflicts(kind, other.kind) and _overlaps(start, end, other.started_on, other.ended_on):
            errors["started_on"] = _l(
                "This overlaps with “%(other)s” (from %(start)s%(end)s): a person cannot be in both at once.",
                other=KIND_LABELS[other.kind],
                start=format_day(other.started_on),
                end=(" " + str(_l("to %(day)s", day=format_day(other.ended_on)))) if other.ended_on else "",
            )
            break
    return errors


def facility_days_before(commune, person_id: int, start: date) -> int:
    """Days the person waited for this compulsory rehab at a facility: they count toward its term
    (Decree 116 Art. 47). The wait is the one that ended within the 30 days before the start."""
    waits = db.session.scalars(
        live_rows(StatusEpisode, commune).where(
            StatusEpisode.person_id == person_id,
            StatusEpisode.kind == "awaiting_compulsory",
            StatusEpisode.held_at == "facility",
            StatusEpisode.ended_on.is_not(None),
            StatusEpisode.ended_on <= start,
            StatusEpisode.ended_on >= start - timedelta(days=30),
        )
    )
    return sum((w.ended_on - w.started_on).days for w in waits)


def _apply_episode(commune, row, data):
    copy_form_fields(commune, row, data)
    if not row.decision_body:
        row.decision_body = deciding_body(row.kind, row.decision_on or row.started_on)
    credit = facility_days_before(commune, row.person_id, row.started_on) if row.kind == "rehab_compulsory" else 0
    row.legal_end_on = legal_end(row.kind, row.started_on, row.term_months, row.post_rehab_after, credit_days=credit)


def episode_state(episode: StatusEpisode, today: date) -> str:
    if episode.ended_on and episode.ended_on <= today:
        return "ended"
    if episode.started_on > today:
        return "upcoming"
    if episode.legal_end_on and episode.legal_end_on <= today:
        return "overdue"
    if episode.legal_end_on and episode.legal_end_on <= ending_horizon(today):
        return "ending_soon"
    return "open"


EPISODE_STATES = {
    "open": _l("Running"),
    "ending_soon": _l("Ending within 30 days"),
    "overdue": _l("Past its legal end"),
    "ended": _l("Ended"),
    "upcoming": _l("Not started yet"),
}


def _episode_state_filter(stmt, value, commune, today):
    running = StatusEpisode.running_on(today)
    if value == "ended":
        return stmt.where(StatusEpisode.ended_on <= today)
    if value == "overdue":
        return stmt.where(running, StatusEpisode.legal_end_on <= today)
    if value == "ending_soon":
        return stmt.where(
            running,
            StatusEpisode.legal_end_on > today,
            StatusEpisode.legal_end_on <= ending_horizon(today),
        )
    if value == "open":
        return stmt.where(running)
    return stmt


def person_link(row, personal, unit):
    return link(
        url_for("persons.show", unit_code=unit.address, person_id=row.person_id), person_name(row.person, personal)
    )


def _episode_cell(row, key, personal, unit):
    if key == "person":
        return person_link(row, personal, unit)
    if key == "state":
        return str(EPISODE_STATES[episode_state(row, clock.today())])
    return None


status_episodes = declare(
    Register(
        slug="episodes",
        model=StatusEpisode,
        form=StatusEpisodeForm,
        title=_l("Status episodes"),
        noun=_l("status episode"),
        columns=[
            Column("person", sortable=False),
            Column("kind", link=True),
            Column("started_on"),
            Column("legal_end_on"),
            Column("ended_on"),
            Column("state", _l("State"), sortable=False),
        ],
        describe=lambda row, personal: f"{KIND_LABELS.get(row.kind, row.kind)} · {person_name(row.person, personal)}",
        search_text=lambda row: f"{row.person.full_name if row.person else ''} {row.decision_number}",
        search_is_personal=True,
        filters=[
            choice_filter("kind", _l("Situation"), StatusEpisode.kind, KIND_LABELS),
            Filter(
                "state",
                _l("State"),
                lambda commune: [(k, str(v)) for k, v in EPISODE_STATES.items() if k != "upcoming"],
                _episode_state_filter,
            ),
        ],
        default_sort="-started_on",
        validate=_validate_episode,
        apply=_apply_episode,
        cell=_episode_cell,
        prefill=("person_id", "kind", "post_rehab_after"),
        field_labels={"legal_end_on": _l("Legal end")},
        personal_fields=("notes", "decision_number", "decision_signer", "end_decision_number"),
    )
)


# Reintegration support -------------------------------------------------------------------------------

reintegration_supports = declare(
    Register(
        slug="supports",
        model=ReintegrationSupport,
        form=ReintegrationSupportForm,
        title=_l("Reintegration support"),
        noun=_l("support"),
        columns=[
            Column("person", sortable=False),
            Column("kind", link=True),
            Column("given_on"),
            Column("provider"),
        ],
        describe=lambda row, personal: f"{SUPPORT_KINDS.get(row.kind, row.kind)} · {person_name(row.person, personal)}",
        search_text=lambda row: f"{row.person.full_name if row.person else ''} {row.provider}",
        search_is_personal=True,
        filters=[choice_filter("kind", _l("Kind of support"), ReintegrationSupport.kind, SUPPORT_KINDS)],
        default_sort="-given_on",
        cell=lambda row, key, personal, unit: person_link(row, personal, unit) if key == "person" else None,
        prefill=("person_id",),
        personal_fields=("notes",),
    )
)
