"""Moves between communes (Decree 105 Art. 43; Decree 116 Art. 80; Law 120/2025): the one place where a
person's data crosses a commune boundary on purpose, and only by an accepted transfer.

- The sending commune records the move: the running management or post-rehab period ends there
  ("moved to another commune") on the day of the move, and the receiving commune's inbox has the item
  the same moment (the law's 24-hour notice and its 5 working days for the file are met by the portal).
- Until it accepts, the receiver sees only what the transfer itself says: who is coming, and why.
- On acceptance the file is copied into the receiver's registers (the person, the decisions, the tests,
  checks, determinations and the team), and the carried period runs on there with its remaining term.
  The sender keeps its own past records, read-only by nature (nothing new is written there), and never
  sees what the receiver adds. Both ends have an audit row.
- A move out of the province is recorded with its destination as text and ends the case here."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import clock
from portal.audit.actions import record
from portal.cases.models import CaseTransfer, Determination, ResidenceCheck, TeamMember
from portal.drug_tests.models import DrugTest
from portal.extensions import db
from portal.persons.models import Person, StatusEpisode
from portal.registers.access import live_rows
from portal.registers.due import DueItem
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.periods import province_code_of
from portal.tenancy.settings import days_off
from portal.villages.models import Village
from portal.working_days import add_working_days

CARRIED = ("user_managed", "post_rehab")  # the periods a move carries to the new commune
FILE_WORKING_DAYS = 5  # the file reaches the new commune within 5 working days (Forms 08 and 53)
DUE_KINDS = {"incoming_transfer": _l("Files moving here")}


class TransferRefused(Exception):
    def __init__(self, errors: dict):
        super().__init__("transfer refused")
        self.errors = errors


def carried_episode(commune, person_id: int, day: date) -> StatusEpisode | None:
    return db.session.scalar(
        live_rows(StatusEpisode, commune).where(
            StatusEpisode.person_id == person_id, StatusEpisode.kind.in_(CARRIED), StatusEpisode.running_on(day)
        )
    )


def receiving_communes(commune) -> list[AdminUnit]:
    """The live communes of the same province, but this one."""
    province = commune.path.strip("/").split("/")[0]
    return db.session.scalars(
        select(AdminUnit)
        .where(
            AdminUnit.level == "commune",
            AdminUnit.tree.is_(None),
            AdminUnit.path.like(f"/{province}/%"),
            AdminUnit.id != commune.id,
        )
        .order_by(AdminUnit.name)
    ).all()


def _check_move(commune, person, to_unit_id, destination, moved_on) -> tuple[dict, StatusEpisode | None]:
    errors = {}
    if moved_on is None:
        errors["moved_on"] = _l("Enter the day of the move.")
    elif moved_on > clock.today():
        errors["moved_on"] = _l("The day cannot be in the future.")
    episode = carried_episode(commune, person.id, moved_on) if moved_on else None
    if moved_on and episode is None:
        errors["moved_on"] = _l(
            "On that day the person was neither under management nor under post-rehab management: "
            "only those periods move with their file. Otherwise change the person's address."
        )
    if to_unit_id is None and not destination.strip():
        errors["to_commune_id"] = _l("Choose the commune the person moves to, or write where outside the province.")
    if to_unit_id is not None and to_unit_id not in {u.id for u in receiving_communes(commune)}:
        errors["to_commune_id"] = _l("Choose a commune of the province.")
    pending = db.session.scalar(
        select(CaseTransfer).where(
            CaseTransfer.commune_id == commune.id, CaseTransfer.person_id == person.id, CaseTransfer.state == "pending"
        )
    )
    if pending is not None:
        errors["to_commune_id"] = _l("A move of this person is already waiting for the receiving commune.")
    return errors, episode


def record_move(
    commune, actor, person, to_unit_id: int | None, destination: str, moved_on, reason: str
) -> CaseTransfer:
    """The sender's side: the transfer, and the carried period ended here. Raises TransferRefused."""
    errors, episode = _check_move(commune, person, to_unit_id, destination, moved_on)
    if errors:
        raise TransferRefused(errors)
    transfer = CaseTransfer(
        commune_id=commune.id,
        to_commune_id=to_unit_id,
        destination="" if to_unit_id else destination.strip(),
        person_id=person.id,
        full_name=person.full_name,
        born_on=person.born_on,
        case_kind=episode.kind,
        legal_end_on=episode.legal_end_on,
        moved_on=moved_on,
        reason=reason.strip(),
        state="pending" if to_unit_id else "left_province",
        recorded_by=actor.id,
        recorded_at=clock.utcnow(),
    )
    db.session.add(transfer)
    episode.ended_on, episode.end_reason = moved_on, "moved_away"
    db.session.flush()
    record(
        "transfer_recorded",
        actor_id=actor.id,
        unit_id=commune.id,
        object_type="case_transfer",
        object_id=transfer.id,
        after={"person_id": person.id, "to_commune_id": to_unit_id, "destination": transfer.destination},
    )
    return transfer


def withdraw(commune, actor, transfer: CaseTransfer) -> None:
    """The sender takes back a move recorded by mistake, before the receiver accepts it: the carried period
    runs again as if the move had not been recorded. Raises TransferRefused."""
    if transfer.state != "pending":
        raise TransferRefused({"transfer": _l("This move has already been settled.")})
    episode = db.session.scalar(
        live_rows(StatusEpisode, commune).where(
            StatusEpisode.person_id == transfer.person_id,
            StatusEpisode.kind == transfer.case_kind,
            StatusEpisode.ended_on == transfer.moved_on,
            StatusEpisode.end_reason == "moved_away",
        )
    )
    if episode is not None:
        episode.ended_on, episode.end_reason = None, None
    transfer.state = "withdrawn"
    db.session.flush()
    record(
        "transfer_withdrawn",
        actor_id=actor.id,
        unit_id=commune.id,
        object_type="case_transfer",
        object_id=transfer.id,
        after={"person_id": transfer.person_id},
    )


def incoming(commune) -> list[CaseTransfer]:
    return db.session.scalars(
        select(CaseTransfer).where(CaseTransfer.to_commune_id == commune.id).order_by(CaseTransfer.moved_on.desc())
    ).all()


def outgoing(commune) -> list[CaseTransfer]:
    return db.session.scalars(
        select(CaseTransfer).where(CaseTransfer.commune_id == commune.id).order_by(CaseTransfer.moved_on.desc())
    ).all()


def transfer_of(commune, transfer_id: int, *, receiving: bool) -> CaseTransfer | None:
    """A transfer this commune sent (or, `receiving`, was sent): None for any other."""
    side = CaseTransfer.to_commune_id if receiving else CaseTransfer.commune_id
    return db.session.scalar(select(CaseTransfer).where(CaseTransfer.id == transfer_id, side == commune.id))


def commune_due(commune, today: date) -> list[DueItem]:
    items = []
    province_days_off = days_off(province_code_of(commune))
    pending = select(CaseTransfer).where(CaseTransfer.to_commune_id == commune.id, CaseTransfer.state == "pending")
    for transfer in db.session.scalars(pending):
        due = add_working_days(transfer.moved_on, FILE_WORKING_DAYS, province_days_off)
        items.append(
            DueItem(
                "incoming_transfer",
                str(_l("Moving here from %(from)s: accept the file", **{"from": transfer.sender.name})),
                transfer,
                due,
                due <= today,
                "cases.transfers",
                {},
                True,  # the list of moves is read with personal data only
                "Nghị định 105/2021/NĐ-CP, Điều 43; Nghị định 116/2021/NĐ-CP, Điều 80",
            )
        )
    return items


def _copy(row, **changes):
    """A new row of the same model with the same values (but its keys and bookkeeping), changed as asked."""
    skip = {"id", "commune_id", "version", "created_at", "updated_at", "deleted_at", "former_commune_id"}
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}
    return type(row)(**{**values, **changes})


def _copy_file(transfer, receiver, village_id: int) -> Person:
    """In system scope: the sender's file of the person, as rows of the receiver."""
    sender = db.session.get(AdminUnit, transfer.commune_id)
    person = db.session.scalar(live_rows(Person, sender).where(Person.id == transfer.person_id))
    moved = {"commune_id": receiver.id}
    if person.cccd:
        known = db.session.scalar(live_rows(Person, receiver).where(Person.cccd == person.cccd))
        if known is not None:
            raise TransferRefused(
                {
                    "transfer": _l(
                        "This commune already keeps a record with this CCCD number (%(name)s): "
                        "ask the provincial police to merge "
                        "the records before accepting.",
                        name=known.full_name,
                    )
                }
            )
    copy = _copy(
        person,
        **moved,
        village_id=village_id,
        household_id=None,
        transfer_id=transfer.id,
        notes=f"Chuyển đến từ {sender.name} ngày {transfer.moved_on:%d/%m/%Y}. {person.notes}".strip(),
    )
    db.session.add(copy)
    db.session.flush()
    episodes = {}
    for episode in db.session.scalars(live_rows(StatusEpisode, sender).where(StatusEpisode.person_id == person.id)):
        carried = (
            episode.end_reason == "moved_away"
            and episode.ended_on == transfer.moved_on
            and episode.kind == transfer.case_kind
        )
        new = _copy(episode, **moved, person_id=copy.id, **({"ended_on": None, "end_reason": None} if carried else {}))
        db.session.add(new)
        db.session.flush()
        episodes[episode.id] = new.id
    tests = {}
    for test in db.session.scalars(live_rows(DrugTest, sender).where(DrugTest.person_id == person.id)):
        new = _copy(test, **moved, person_id=copy.id, lead_id=None)
        db.session.add(new)
        db.session.flush()
        tests[test.id] = new.id
    for check in db.session.scalars(live_rows(ResidenceCheck, sender).where(ResidenceCheck.person_id == person.id)):
        db.session.add(_copy(check, **moved, person_id=copy.id))
    for found in db.session.scalars(live_rows(Determination, sender).where(Determination.person_id == person.id)):
        db.session.add(_copy(found, **moved, person_id=copy.id, test_id=tests.get(found.test_id)))
    if episodes:
        for member in db.session.scalars(
            live_rows(TeamMember, sender).where(TeamMember.episode_id.in_(list(episodes)))
        ):
            db.session.add(_copy(member, **moved, episode_id=episodes[member.episode_id]))
    db.session.flush()
    return copy


def accept(receiver, actor, transfer: CaseTransfer, village_id) -> Person:
    """The receiver's side: the file copied in, the transfer closed, both ends audited. Raises TransferRefused."""
    if transfer.state != "pending":
        raise TransferRefused({"transfer": _l("This move has already been settled.")})
    village = db.session.scalar(live_rows(Village, receiver).where(Village.id == village_id)) if village_id else None
    if village is None:
        raise TransferRefused({"village_id": _l("Choose the village where the person now lives.")})
    # In system scope: the sender's rows are read, and the sender's audit row is written (its RETURNING
    # is read back under the sender's unit, which the receiver's reach does not hold).
    with system_scope(db.session, actor.id):
        person = _copy_file(transfer, receiver, village.id)
        transfer.state, transfer.accepted_by, transfer.accepted_at = "accepted", actor.id, clock.utcnow()
        transfer.received_person_id = person.id
        for unit_id in (transfer.commune_id, receiver.id):
            record(
                "transfer_accepted",
                actor_id=actor.id,
                unit_id=unit_id,
                object_type="case_transfer",
                object_id=transfer.id,
                after={"received_person_id": person.id},
            )
        db.session.flush()
    return person
