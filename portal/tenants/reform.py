"""Replaying the 2025 reform on a running deployment (`flask --app wsgi tenants reform <province>`).

Every register row of an old commune moves to its default successor with its id and history and
records the commune it came from (`former_commune_id`): open episodes, management periods, due items
and missed cases go on in the new commune without a break. A household code or a village name that
collides with one of another commune merged into the same unit is renamed in a stated way (the code
suffixed with the former commune's code, the name with its name) and listed. Commune roles on an old
commune move to its successor, district roles to the matching area; both are listed. Old communes stay
as read-only archives with their recognitions, kept results and snapshots. It runs in one transaction:
all or nothing; run again, it finds nothing to move. The audit trail gets one event per old commune and
register, with the count, and one per role moved."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update

from portal.audit import actions as audit
from portal.auth.models import RoleAssignment
from portal.cases.models import Absence, Determination, ResidenceCheck, TeamMember
from portal.criteria.results import refresh_all, refresh_commune
from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.hotspots.models import Hotspot, HotspotStatus
from portal.incidents.models import Incident
from portal.persons.models import Person, ReintegrationSupport, StatusEpisode
from portal.prevention.models import ModelActivity, PreventionModel
from portal.shell.text import fold
from portal.tenancy.guard import tenant_models
from portal.tenancy.lineage import read_areas
from portal.tenancy.models import AdminUnit, UnitLineage
from portal.villages.models import Household, HouseholdCommitment, Village, VillageHeadCommitment

PREFIXES = ("Xã ", "Phường ", "Thị trấn ")


class ReformRefused(Exception):
    """The lineage held in the database cannot be replayed; nothing was changed."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CommuneMove:
    old: AdminUnit
    new: AdminUnit
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows that move
    renames: list[tuple[str, int, str, str]] = field(default_factory=list)  # (table, id, before, after)


@dataclass
class ReformPlan:
    moves: list[CommuneMove]
    roles: list[tuple[RoleAssignment, AdminUnit]]  # (assignment, the unit it moves to)

    @property
    def rows(self) -> int:
        return sum(sum(m.counts.values()) for m in self.moves)

    def by_new_commune(self) -> dict[AdminUnit, list[CommuneMove]]:
        grouped: dict[AdminUnit, list[CommuneMove]] = {}
        for move in self.moves:
            grouped.setdefault(move.new, []).append(move)
        return grouped


def _short(unit: AdminUnit) -> str:
    return next((unit.name.removeprefix(p) for p in PREFIXES if unit.name.startswith(p)), unit.name)


def _successors() -> list[tuple[AdminUnit, AdminUnit]]:
    """(old commune, its default successor) for every old commune; refused where the lineage is wrong."""
    old = db.session.scalars(
        select(AdminUnit).where(AdminUnit.tree == "2024", AdminUnit.level == "commune").order_by(AdminUnit.code)
    ).all()
    defaults: dict[int, list[UnitLineage]] = {}
    for link in db.session.scalars(select(UnitLineage).where(UnitLineage.is_default.is_(True))):
        defaults.setdefault(link.from_unit_id, []).append(link)
    problems = []
    for unit in old:
        links = defaults.get(unit.id, [])
        if len(links) != 1:
            problems.append(f"{unit.address} {unit.name}: {len(links)} default successors in the lineage, not one")
        elif links[0].to_unit.valid_to is not None or links[0].to_unit.level != "commune":
            successor = links[0].to_unit.address
            problems.append(f"{unit.address} {unit.name}: its successor {successor} is no current commune")
    if not old:
        problems.append("no commune of the 2024 tree is loaded: run tenants sync first")
    if problems:
        raise ReformRefused(problems)
    return [(unit, defaults[unit.id][0].to_unit) for unit in old]


def _counts(old_ids: list[int]) -> dict[int, dict[str, int]]:
    """commune id -> table -> rows, for the old communes that hold any (one statement per table)."""
    counts: dict[int, dict[str, int]] = {}
    for model in tenant_models:
        for commune_id, n in db.session.execute(
            select(model.commune_id, func.count())
            .select_from(model)
            .where(model.commune_id.in_(old_ids))
            .group_by(model.commune_id)
        ):
            counts.setdefault(commune_id, {})[model.__tablename__] = n
    return counts


def _renames(moves: list[CommuneMove]) -> None:
    """Household codes and village names that collide within a new commune: the rows of the predecessor
    whose code the new commune kept keep theirs; the others' are suffixed."""
    for new, group in ReformPlan(moves, []).by_new_commune().items():
        codes = set(db.session.scalars(select(Household.code).where(Household.commune_id == new.id)))
        names = {fold(n) for n in db.session.scalars(select(Village.name).where(Village.commune_id == new.id))}
        for move in sorted(group, key=lambda m: (m.old.code != new.code, m.old.code)):
            for row_id, code in db.session.execute(
                select(Household.id, Household.code).where(
                    Household.commune_id == move.old.id, Household.deleted_at.is_(None)
                )
            ):
                if code in codes:
                    renamed = f"{code[: 40 - len(move.old.code) - 1]}-{move.old.code}"
                    move.renames.append(("household", row_id, code, renamed))
                    code = renamed
                codes.add(code)
            for row_id, name in db.session.execute(
                select(Village.id, Village.name).where(Village.commune_id == move.old.id, Village.deleted_at.is_(None))
            ):
                if fold(name) in names:
                    renamed = f"{name} ({_short(move.old)})"[:120]
                    move.renames.append(("village", row_id, name, renamed))
                    name = renamed
                names.add(fold(name))


def _role_moves(province: str, successors: list[tuple[AdminUnit, AdminUnit]]) -> list:
    to_commune = {old.id: new for old, new in successors}
    area_of = {a["former_district_code"]: a["code"] for a in read_areas(province)}
    areas = {u.code: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.kind == "area"))}
    moves = []
    for assignment in db.session.scalars(
        select(RoleAssignment).join(AdminUnit, AdminUnit.id == RoleAssignment.unit_id).where(AdminUnit.tree == "2024")
    ):
        unit = assignment.unit
        target = to_commune.get(unit.id) if unit.level == "commune" else areas.get(area_of.get(unit.code, ""))
        if target is not None:
            moves.append((assignment, target))
    return moves


def plan(province: str) -> ReformPlan:
    successors = _successors()
    counts = _counts([old.id for old, _new in successors])
    moves = [CommuneMove(old, new, counts.get(old.id, {})) for old, new in successors]
    _renames(moves)
    return ReformPlan([m for m in moves if m.counts], _role_moves(province, successors))


def _defer_same_commune_keys() -> None:
    """The same-commune keys are checked at commit, once every table of a commune has moved."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
        return
    # SQLite switches the pragma off at every commit, the implicit one that ends a statement run outside a
    # transaction too: the transaction is opened first, and the pragma holds until its commit.
    connection = db.session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    if not connection.exec_driver_sql("PRAGMA defer_foreign_keys").scalar():
        raise RuntimeError("SQLite did not defer the foreign keys: the move would fail half-way")


def _move(move: CommuneMove) -> None:
    for table, row_id, before, after in move.renames:
        model, column = (Household, Household.code) if table == "household" else (Village, Village.name)
        db.session.execute(update(model).where(model.id == row_id).values({column.key: after}))
        audit.record(
            "reform_rename",
            unit_id=move.new.id,
            object_type=table,
            object_id=row_id,
            before={column.key: before, "commune": move.old.address},
            after={column.key: after},
        )
    for model in tenant_models:
        table = model.__tablename__
        if table not in move.counts:
            continue
        values = {"commune_id": move.new.id}
        if hasattr(model, "former_commune_id"):
            values["former_commune_id"] = move.old.id
        db.session.execute(update(model).where(model.commune_id == move.old.id).values(values))
        audit.record(
            "reform_move",
            unit_id=move.old.id,
            object_type=table,
            after={"to": move.new.address, "rows": move.counts[table]},
        )


def _move_role(assignment: RoleAssignment, target: AdminUnit) -> None:
    before = assignment.unit.address
    duplicate = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == assignment.user_id,
            RoleAssignment.unit_id == target.id,
            RoleAssignment.role == assignment.role,
        )
    )
    if duplicate is not None:
        db.session.delete(assignment)
    else:
        assignment.unit_id = target.id
    audit.record(
        "role_moved",
        unit_id=target.id,
        object_type="role_assignment",
        object_id=assignment.id,
        before={"unit": before},
        after={"unit": target.address, "role": assignment.role, "user": assignment.user_id},
    )


def apply(reform: ReformPlan) -> None:
    """Carry the plan out in the caller's transaction (the caller commits or rolls back)."""
    _defer_same_commune_keys()
    for move in reform.moves:
        _move(move)
    for assignment, target in reform.roles:
        _move_role(assignment, target)
    db.session.flush()
    if reform.moves:
        refresh_all()  # the criteria of the new communes, over the rows they now hold


# A village of a split commune, moved to the successor it belongs to ----------------------------------------


class MoveRefused(Exception):
    """The village cannot move as it is; nothing was changed."""


def split_communes() -> list[AdminUnit]:
    """Old communes the reform split among several new units, in code order."""
    split = select(UnitLineage.from_unit_id).group_by(UnitLineage.from_unit_id).having(func.count(UnitLineage.id) > 1)
    return db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(split)).order_by(AdminUnit.code)).all()


def _ids(model, *conditions) -> list[int]:
    return list(db.session.scalars(select(model.id).where(*conditions))) if conditions else []


def _attached(village: Village) -> dict:
    """model -> ids of the rows that go with a village: its households, the persons living there or in
    them and all their records, its commitments, hotspots, models and incidents."""
    here = village.commune_id
    households = _ids(Household, Household.commune_id == here, Household.village_id == village.id)
    persons = _ids(
        Person, Person.commune_id == here, (Person.village_id == village.id) | Person.household_id.in_(households)
    )
    hotspots = _ids(Hotspot, Hotspot.commune_id == here, Hotspot.village_id == village.id)
    models = _ids(PreventionModel, PreventionModel.commune_id == here, PreventionModel.village_id == village.id)
    of_persons = {
        m: _ids(m, m.commune_id == here, m.person_id.in_(persons))
        for m in (StatusEpisode, ReintegrationSupport, SuspicionLead, DrugTest, MissedCase)
        + (ResidenceCheck, Absence, Determination)
    }
    episodes = of_persons[StatusEpisode]
    of_persons[TeamMember] = _ids(TeamMember, TeamMember.commune_id == here, TeamMember.episode_id.in_(episodes))
    return {
        Village: [village.id],
        Household: households,
        Person: persons,
        HouseholdCommitment: _ids(HouseholdCommitment, HouseholdCommitment.household_id.in_(households)),
        VillageHeadCommitment: _ids(VillageHeadCommitment, VillageHeadCommitment.village_id == village.id),
        Hotspot: hotspots,
        HotspotStatus: _ids(HotspotStatus, HotspotStatus.hotspot_id.in_(hotspots)),
        PreventionModel: models,
        ModelActivity: _ids(ModelActivity, ModelActivity.model_id.in_(models)),
        Incident: _ids(
            Incident,
            Incident.commune_id == here,
            (Incident.village_id == village.id) | Incident.person_id.in_(persons),
        ),
        **of_persons,
    }


def _crossing(village: Village, rows: dict) -> list[str]:
    """References that would leave the commune if the village moved: refused, never cut."""
    problems = []
    persons = set(rows[Person])
    stray = db.session.scalar(
        select(func.count()).where(Person.id.in_(persons), Person.village_id != village.id)
    )  # persons of the village's households who live in another village
    if stray:
        problems.append(str(_l("%(n)s persons of its households live in another village", n=stray)))
    outside = db.session.scalar(
        select(func.count()).where(
            Person.id.in_(persons),
            Person.household_id.is_not(None),
            Person.household_id.not_in(rows[Household] or [0]),
        )
    )
    if outside:
        problems.append(str(_l("%(n)s persons living there belong to households of another village", n=outside)))
    mixed = db.session.scalar(
        select(func.count()).where(
            Incident.id.in_(rows[Incident]),
            ((Incident.person_id.is_not(None)) & Incident.person_id.not_in(persons or [0]))
            | ((Incident.village_id.is_not(None)) & (Incident.village_id != village.id)),
        )
    )
    if mixed:
        problems.append(str(_l("%(n)s incidents name a person or a village that stays", n=mixed)))
    return problems


def move_village(village: Village, target: AdminUnit, actor=None) -> dict[str, int]:
    """Move a village of a split commune, with everything attached to it, to another successor of the
    commune it came from. Raises MoveRefused (nothing changed) where that is not what the lineage says or
    a reference would cross communes."""
    successors = {
        link.to_unit_id
        for link in db.session.scalars(select(UnitLineage).where(UnitLineage.from_unit_id == village.former_commune_id))
    }
    if len(successors) < 2 or target.id not in successors or target.id == village.commune_id or target.archived:
        raise MoveRefused(str(_l("the commune the village came from was not split into this unit")))
    rows = _attached(village)
    problems = _crossing(village, rows)
    if problems:
        raise MoveRefused("; ".join(problems))
    _defer_same_commune_keys()
    taken = set(db.session.scalars(select(Household.code).where(Household.commune_id == target.id)))
    for row_id, code in db.session.execute(
        select(Household.id, Household.code).where(Household.id.in_(rows[Household]))
    ):
        if code in taken:
            db.session.execute(
                update(Household).where(Household.id == row_id).values(code=f"{code[:33]}-{village.commune.code}")
            )
    names = {fold(n) for n in db.session.scalars(select(Village.name).where(Village.commune_id == target.id))}
    if fold(village.name) in names:
        village.name = f"{village.name} ({_short(village.commune)})"[:120]
    source = village.commune_id
    counts = {}
    for model, ids in rows.items():
        if ids:
            db.session.execute(update(model).where(model.id.in_(ids)).values(commune_id=target.id))
            counts[model.__tablename__] = len(ids)
    audit.record(
        "reform_village_moved",
        actor_id=actor.id if actor else None,
        unit_id=target.id,
        object_type="village",
        object_id=village.id,
        before={"commune": source},
        after={"commune": target.address, "rows": counts},
    )
    db.session.flush()
    db.session.expire_all()
    refresh_commune(source)
    refresh_commune(target.id)
    return counts
