"""Reading dossiers: always through the unit in the URL (a dossier of another commune is a 404),
the stage of every commune below a unit, and what waits for a user."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort, g
from sqlalchemy import exists, func, literal, or_, select, union_all

from portal import clock
from portal.criteria.models import CommuneResult
from portal.criteria.results import version_in_force
from portal.extensions import db
from portal.recognition.appraisal import appraisal_permission
from portal.recognition.models import (
    APPROVED,
    DRAFT,
    OPEN_STATES,
    RECOGNISED,
    REJECTED,
    RETURNED,
    REVOKED,
    SUBMITTED,
    Attachment,
    Dossier,
)
from portal.tenancy.access import units_of
from portal.tenancy.guard import viewing_units
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import RECOGNITION_DECIDE, RECOGNITION_PREPARE, ROLES

# The stages shown per unit: the state of each commune's newest dossier ("none" without one);
# a recognition past its validity is "expired".
NONE, EXPIRED = "none", "expired"
STAGES = (NONE, DRAFT, SUBMITTED, RETURNED, APPROVED, RECOGNISED, EXPIRED, REJECTED, REVOKED)


def get_dossier(unit: AdminUnit, dossier_id: int) -> Dossier:
    dossier = db.session.scalar(select(Dossier).where(Dossier.id == dossier_id, Dossier.commune_id == unit.id))
    if dossier is None:
        abort(404)
    return dossier


def open_dossier(commune) -> Dossier | None:
    return db.session.scalar(
        select(Dossier).where(Dossier.commune_id == commune.id, Dossier.state.in_(OPEN_STATES)).limit(1)
    )


def get_attachment(dossier: Dossier, attachment_id: int) -> Attachment:
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.dossier_id == dossier.id)
    )
    if attachment is None:
        abort(404)
    return attachment


def communes_below(unit: AdminUnit):
    return select(AdminUnit.id).where(AdminUnit.level == "commune", AdminUnit.path.startswith(unit.path))


def _newest_ids(unit: AdminUnit):
    return (
        select(func.max(Dossier.id))
        .where(Dossier.commune_id.in_(communes_below(unit)))
        .group_by(Dossier.commune_id)
        .scalar_subquery()
    )


def newest_dossiers(unit: AdminUnit) -> dict[int, Dossier]:
    """commune id -> its newest dossier, for every commune below the unit that has one (one query)."""
    return {d.commune_id: d for d in db.session.scalars(select(Dossier).where(Dossier.id.in_(_newest_ids(unit))))}


def newest_with_predecessors(commune: AdminUnit) -> dict[int, Dossier]:
    """commune id -> newest dossier, for the commune and the archived communes it was formed from (their
    recognition shows on its page), in one query; kept for the request (`newest_of`)."""
    ids = [commune.id, *(link.from_unit_id for link in commune.predecessor_links)]
    newest = (
        select(func.max(Dossier.id)).where(Dossier.commune_id.in_(ids)).group_by(Dossier.commune_id).scalar_subquery()
    )
    found = {d.commune_id: d for d in db.session.scalars(select(Dossier).where(Dossier.id.in_(newest)))}
    g.portal_newest_dossiers = {i: found.get(i) for i in ids}
    return found


def newest_of(commune_id: int) -> tuple[bool, Dossier | None]:
    """(known, dossier): the commune's newest dossier if this request read it already."""
    kept = g.get("portal_newest_dossiers", {})
    return commune_id in kept, kept.get(commune_id)


def newest_dossier_rows(unit: AdminUnit):
    """The same as plain rows (id, commune, state, decision, validity), for roll-ups over many communes."""
    return select(
        Dossier.id, Dossier.commune_id, Dossier.state, Dossier.decision_number, Dossier.decision_on, Dossier.valid_until
    ).where(Dossier.id.in_(_newest_ids(unit)))


def stage_of(dossier: Dossier | None, today: date | None = None) -> str:
    if dossier is None:
        return NONE
    if dossier.state == RECOGNISED and dossier.valid_until and dossier.valid_until < (today or clock.today()):
        return EXPIRED
    return dossier.state


def broken_since(commune_ids) -> dict[int, date]:
    """commune id -> the day its oldest current breach began, for communes failing a criterion now."""
    version = version_in_force()
    if version is None or not commune_ids:
        return {}
    rows = db.session.execute(
        select(CommuneResult.commune_id, func.min(CommuneResult.failing_since))
        .where(
            CommuneResult.criterion_id.in_([c.id for c in version.criteria]),
            CommuneResult.commune_id.in_(list(commune_ids)),
            CommuneResult.passed.is_(False),
        )
        .group_by(CommuneResult.commune_id)
    ).all()
    return {commune_id: since or clock.today() for commune_id, since in rows}


def _broken(unit: AdminUnit, version):
    """The newest dossiers below the unit that are recognised, still valid, and whose commune fails a
    criterion of the version in force now: the one definition of a breach to flag."""
    failing_now = exists().where(
        CommuneResult.commune_id == Dossier.commune_id,
        CommuneResult.passed.is_(False),
        CommuneResult.criterion_id.in_([c.id for c in version.criteria]),
    )
    still_valid = or_(Dossier.valid_until.is_(None), Dossier.valid_until >= clock.today())
    return select(Dossier).where(
        Dossier.id.in_(_newest_ids(unit)), Dossier.state == RECOGNISED, still_valid, failing_now
    )


def flagged(unit: AdminUnit) -> list[tuple[Dossier, date]]:
    """Recognised communes below the unit whose live scorecard now fails a criterion, with the date."""
    version = version_in_force()
    if version is None:
        return []
    dossiers = db.session.scalars(_broken(unit, version)).all()
    since = broken_since([d.commune_id for d in dossiers])
    return sorted(((d, since[d.commune_id]) for d in dossiers), key=lambda item: item[1])


@dataclass(frozen=True)
class InboxItem:
    dossier: Dossier
    why: str  # "appraise", "decide", "mend", "finish", "decided", "broken"
    since: object = None
    waiting: bool = True  # counts in the navigation; a decision made is news, not work


def _work(user):
    """(why, statement of the dossiers) for every kind of work or news the user's roles bring."""
    recent = clock.today() - timedelta(days=60)
    version = None
    for assignment in user.assignments:
        permissions = ROLES[assignment.role].permissions
        unit = assignment.unit
        mine = Dossier.commune_id.in_(communes_below(unit))
        if RECOGNITION_PREPARE in permissions:
            yield "mend", select(Dossier).where(mine, Dossier.state == RETURNED)
            yield "finish", select(Dossier).where(mine, Dossier.state == DRAFT)
            decided = Dossier.state.in_((RECOGNISED, REJECTED, REVOKED, APPROVED))
            yield "decided", select(Dossier).where(mine, decided, Dossier.updated_at >= recent)
        if appraisal_permission(unit) in permissions:  # area officers, or province officers: plan.json says
            yield "appraise", select(Dossier).where(mine, Dossier.state == SUBMITTED)
        if RECOGNITION_DECIDE in permissions:
            yield "decide", select(Dossier).where(mine, Dossier.state == APPROVED)
            version = version or version_in_force()  # only deciders watch breaches
            if version is not None:
                yield "broken", _broken(unit, version)


NEWS = frozenset({"decided"})  # shown in the inbox, not counted as waiting


def inbox(user) -> list[InboxItem]:
    """What waits for the user, over every unit their roles reach."""
    items, seen = [], set()
    for why, statement in _work(user):
        dossiers = [d for d in db.session.scalars(statement) if (d.id, why) not in seen]
        seen.update((d.id, why) for d in dossiers)
        since = broken_since([d.commune_id for d in dossiers]) if why == "broken" else {}
        for dossier in dossiers:
            day = since.get(dossier.commune_id) if why == "broken" else dossier.updated_at
            items.append(InboxItem(dossier, why, day, waiting=why not in NEWS))
    return items


def waiting_count(user) -> int:
    """The number in the menu (on every page): the ids of every kind of work in one statement."""
    kinds = [
        statement.with_only_columns(Dossier.id, literal(why).label("why"))
        for why, statement in _work(user)
        if why not in NEWS
    ]
    if not kinds:
        return 0
    with viewing_units(db.session, units_of(user)):
        return len(set(db.session.execute(union_all(*kinds)).all()))
