"""Retention of identity (Law 91/2025/QH15 and Decree 356/2025, in force since 01/01/2026).

The province sets, in `tenants/<province>/plan.json` under `"privacy"`, how many months the portal keeps
the identity of a person who has left every list (`"identity_retention_months"`). The law sets no figure
(domain.md §8, open question 5): the province decides, and the README says so.

A person has left every list when no episode of theirs runs (management, rehab, post-rehab, waiting:
each ended) and nothing about them has happened since: their last day is the latest of their episodes'
ends, tests, supports, suspicion listings, missed cases, and the day the person's row was made or
deleted. Past the period, the nightly `privacy sweep` pseudonymises them:
- the name becomes initials (Nguyễn Văn An: N.V.A.);
- the CCCD is removed and kept only as a keyed hash (HMAC-SHA256, `portal.persons.cccd.cccd_hash`), so
  that a person who returns is matched to their history;
- free text is removed: address, notes of the person and of their episodes, tests, supports, leads
  and missed cases, and the signer of their decisions; and the same fields in the audit trail's
  before/after of those rows;
- counts and history stay: every row, date, kind, result and decision number.
"""

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, text

from portal import clock
from portal.audit import actions as audit
from portal.audit.rows import ENCODER
from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.persons.cccd import cccd_hash
from portal.persons.legal_terms import add_months
from portal.persons.models import Person, ReintegrationSupport, StatusEpisode
from portal.registers.display import initials
from portal.tenancy.models import AdminUnit
from portal.tenancy.settings import plan_settings

# The free text of a person's rows, removed by the sweep (and from the audit trail's copies of them).
FREE_TEXT = {
    Person: ("address", "notes"),
    StatusEpisode: ("notes", "decision_signer"),
    ReintegrationSupport: ("notes", "provider"),
    DrugTest: ("notes",),
    SuspicionLead: ("notes", "source"),
    MissedCase: ("notes",),
}


def retention_months(province_code: str) -> int | None:
    months = plan_settings(province_code).get("privacy", {}).get("identity_retention_months")
    return int(months) if months else None


def _last_days():
    """person id -> the latest day anything happened about them (one statement per register)."""
    days: dict[int, date] = {}

    def later(person_id, day):
        if day is not None:
            day = day.date() if hasattr(day, "date") else day
            days[person_id] = max(days.get(person_id, day), day)

    for person_id, made, deleted in db.session.execute(select(Person.id, Person.created_at, Person.deleted_at)):
        later(person_id, made)
        later(person_id, deleted)
    for model, column in (
        (StatusEpisode, func.max(func.coalesce(StatusEpisode.ended_on, StatusEpisode.started_on))),
        (DrugTest, func.max(DrugTest.tested_on)),
        (ReintegrationSupport, func.max(ReintegrationSupport.given_on)),
        (SuspicionLead, func.max(SuspicionLead.listed_on)),
        (MissedCase, func.max(func.coalesce(MissedCase.resolved_on, MissedCase.detected_on))),
    ):
        for person_id, day in db.session.execute(select(model.person_id, column).group_by(model.person_id)):
            later(person_id, day)
    return days


@dataclass
class Sweep:
    due: list[tuple[int, int, date]] = field(default_factory=list)  # (person id, commune id, last day)
    done: int = 0


def due_persons(today: date) -> Sweep:
    """Who the sweep takes today: off every list past their province's period (in system scope)."""
    running = select(StatusEpisode.person_id).where(StatusEpisode.running_on(today))
    candidates = db.session.execute(
        select(Person.id, Person.commune_id, AdminUnit.path)
        .join(AdminUnit, AdminUnit.id == Person.commune_id)
        .where(Person.pseudonymised_on.is_(None), Person.id.not_in(running))
    ).all()
    last = _last_days()
    sweep = Sweep()
    for person_id, commune_id, path in candidates:
        months = retention_months(path.strip("/").split("/")[0])
        if months and person_id in last and add_months(last[person_id], months) <= today:
            sweep.due.append((person_id, commune_id, last[person_id]))
    return sweep


def pseudonymise(person: Person, today: date) -> None:
    """Take the person's identity, keep their history (the caller is in system scope, and commits)."""
    if person.cccd:
        person.cccd_hash = cccd_hash(person.cccd)
    person.full_name = initials(person.full_name)  # as a viewer sees a name
    person.cccd = ""
    person.search_key = person.full_name.lower()
    person.pseudonymised_on = today
    for model, fields in FREE_TEXT.items():
        rows = [person] if model is Person else db.session.scalars(select(model).where(model.person_id == person.id))
        for row in rows:
            for name in fields:
                setattr(row, name, "")


def _scrub_audit(person_ids: list[int]) -> None:
    """The audit trail's before/after copies of these people's identity and free text, the sweep's own
    rows included (run after they committed). As the owner: the portal's role may add audit rows, never
    change them (portal.tenancy.database); the owner may, in signed system scope."""
    from portal.tenancy.database import owner_engine
    from portal.tenancy.rls import sign_system_scope

    ids = {"person": list(person_ids)}
    for model in FREE_TEXT:
        if model is not Person:
            rows = select(model.id).where(model.person_id.in_(person_ids))
            ids[model.__tablename__] = list(db.session.scalars(rows))
    fields = {m.__tablename__: set(f) for m, f in FREE_TEXT.items()}
    fields["person"] |= {"full_name", "cccd"}
    with owner_engine().begin() as connection:
        sign_system_scope(connection)
        for table, row_ids in ids.items():
            if not row_ids:
                continue
            events = connection.execute(
                text("SELECT id, before, after FROM audit_event WHERE object_type = :t AND object_id IN :ids")
                .bindparams(db.bindparam("ids", expanding=True)),
                {"t": table, "ids": [str(i) for i in row_ids]},
            ).all()
            for event_id, before, after in events:
                connection.execute(
                    text("UPDATE audit_event SET before = :b, after = :a WHERE id = :i"),
                    {"b": _without(before, fields[table]), "a": _without(after, fields[table]), "i": event_id},
                )


def _without(stored: str | None, fields: set[str]) -> str | None:
    """An audit row's JSON with the named fields emptied."""
    if not stored:
        return stored
    values = json.loads(stored)
    return ENCODER.encode({k: ("" if k in fields and v else v) for k, v in values.items()})


def run_sweep(today: date | None = None, dry_run: bool = False) -> Sweep:
    """Pseudonymise everyone due (system scope: the caller opens it), recorded in the audit trail."""
    today = today or clock.today()
    sweep = due_persons(today)
    if dry_run:
        return sweep
    for person_id, commune_id, last_day in sweep.due:
        person = db.session.get(Person, person_id)
        pseudonymise(person, today)
        audit.record(
            "privacy_pseudonymised",
            unit_id=commune_id,
            object_type="person",
            object_id=person_id,
            after={"last_day": last_day.isoformat()},
        )
        sweep.done += 1
    db.session.commit()
    # today's, again: a run that stopped between its commit and this scrub is finished by the next one
    taken = list(db.session.scalars(select(Person.id).where(Person.pseudonymised_on == today)))
    if taken:
        _scrub_audit(taken)
    return sweep
