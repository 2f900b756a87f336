"""The seeded test world: one province, two districts, three communes, a named user per role, and a
tenant-owned row of every register in every commune, each carrying a canary string unique to its
commune. Every isolation test reads this one description of who should reach what."""

from dataclasses import dataclass, field

from portal.auth.models import RoleAssignment, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.shell.text import fold
from portal.tenancy.guard import system_scope, tenant_models
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village

PASSWORD = "correct horse battery 3822"
PASSWORD_HASH = hash_password(PASSWORD)

# key: (code, name, kind, level, parent key)
UNITS = {
    "P": ("38", "Tỉnh Thanh Hóa", "province", "province", None),
    "D1": ("389", "Huyện Ngọc Lặc", "rural_district", "district", "P"),
    "D2": ("390", "Huyện Cẩm Thủy", "rural_district", "district", "P"),
    "A": ("15085", "Xã Quang Trung", "commune", "commune", "D1"),
    "B": ("15076", "Xã Vân Am", "commune", "commune", "D1"),
    "C": ("15133", "Xã Cẩm Thành", "commune", "commune", "D2"),
}
COMMUNES = ("A", "B", "C")

# username: (role, unit key)
USERS = {
    "officer_a": ("commune_officer", "A"),
    "viewer_a": ("commune_viewer", "A"),
    "officer_b": ("commune_officer", "B"),
    "officer_c": ("commune_officer", "C"),
    "district_1": ("district_officer", "D1"),
    "district_2": ("district_officer", "D2"),
    "province": ("province_officer", "P"),
    "admin": ("admin", "P"),
}


def canary(unit_key: str, n: int = 1) -> str:
    return f"CANARY-{unit_key}-{n}X"


@dataclass
class World:
    """Plain ids and codes of what was seeded (safe to use outside any database session)."""

    unit_id: dict[str, int] = field(default_factory=dict)
    unit_code: dict[str, str] = field(default_factory=dict)
    user_id: dict[str, int] = field(default_factory=dict)
    assignment_id: dict[str, int] = field(default_factory=dict)
    row_id: dict[tuple[type, str], int] = field(default_factory=dict)  # (model, commune key) -> id

    def unit_key(self, unit_id: int) -> str:
        return next(k for k, v in self.unit_id.items() if v == unit_id)


def make_village(commune: AdminUnit, key: str) -> Village:
    name = f"Thôn {canary(key)}"
    return Village(
        commune_id=commune.id,
        name=name,
        kind="village",
        search_key=fold(name),
        head_name=f"Trưởng thôn {canary(key, 2)}",
    )


# Every tenant-owned model needs a factory here, so that the sweep and the canaries cover it.
FACTORIES = {Village: make_village}


def seed_world() -> World:
    world = World()
    units: dict[str, AdminUnit] = {}
    with system_scope(db.session):
        for key, (code, name, kind, level, parent) in UNITS.items():
            parent_unit = units.get(parent)
            unit = AdminUnit(
                code=code,
                name=name,
                kind=kind,
                level=level,
                parent=parent_unit,
                path=(parent_unit.path if parent_unit else "/") + code + "/",
            )
            db.session.add(unit)
            db.session.flush()
            units[key] = unit
            world.unit_id[key], world.unit_code[key] = unit.id, code
        for username, (role, unit_key) in USERS.items():
            user = User(
                username=username,
                full_name=f"Cán bộ {username} {canary('acct' + unit_key)}",
                search_key=fold(f"{username} cán bộ"),
                password_hash=PASSWORD_HASH,
            )
            assignment = RoleAssignment(role=role, unit=units[unit_key])
            user.assignments.append(assignment)
            db.session.add(user)
            db.session.flush()
            world.user_id[username], world.assignment_id[username] = user.id, assignment.id
        for model in tenant_models:
            for key in COMMUNES:
                row = FACTORIES[model](units[key], key)
                db.session.add(row)
                db.session.flush()
                world.row_id[(model, key)] = row.id
        db.session.commit()
    return world
