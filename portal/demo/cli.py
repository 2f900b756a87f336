"""`flask --app wsgi demo load [--communes CODE,CODE]`: demo villages and one login per role."""

import random
import time
from datetime import date

import click
from flask import Blueprint, current_app
from sqlalchemy import select

from portal import clock
from portal.accounts import actions as account_actions
from portal.auth.models import RoleAssignment, User
from portal.demo import scale as province_scale
from portal.demo.registers import after_the_reform, fill_commune
from portal.extensions import db
from portal.persons.models import Person
from portal.recognition.models import Dossier
from portal.shell.text import fold
from portal.tenancy.guard import system_scope
from portal.tenancy.models import TREE_2025_FROM, AdminUnit
from portal.tenancy.periods import province_code_of
from portal.tenancy.settings import province_folder
from portal.tenants.reform import apply as apply_reform
from portal.tenants.reform import plan as reform_plan
from portal.villages.models import Village

commands = Blueprint("demo", __name__, cli_group="demo")

# Xã Thạch Lập (15085: Quang Trung, which launched the plan in Dec 2024, with Thạch Lập and Đồng Thịnh), its
# neighbour Xã Nguyệt Ấn (Vân Am, Phùng Giáo, Nguyệt Ấn) and Phường Hàm Rồng, a city ward.
DEFAULT_COMMUNES = ("15085", "15106", "14758")
REFORM_EVE = date(2025, 6, 30)  # the predecessors' registers are filled as of the day before the reform
DEMO_PASSWORD = "ThanhHoa-3822-demo"  # noqa: S105 - printed on purpose: demo data only
VILLAGE_NAMES = (
    "Làng Trung",
    "Làng Mới",
    "Làng Đồng",
    "Thôn Chiềng",
    "Làng Bái",
    "Thôn Quang Hợp",
    "Làng Mốc",
    "Thôn Tân Lập",
    "Làng Cốc",
    "Thôn Minh Thành",
    "Làng Hón",
    "Thôn Đồng Tâm",
)


def _demo_villages(commune: AdminUnit, seed: int) -> int:
    rng = random.Random(f"{seed}-{commune.code}")  # the same villages for a commune, run after run
    existing = set(db.session.scalars(select(Village.search_key).where(Village.commune_id == commune.id)))
    if commune.kind in ("ward", "township"):
        names = [f"Tổ dân phố {n}" for n in range(1, rng.randint(8, 14))]
        kind = "residential_group"
    else:
        names = rng.sample(VILLAGE_NAMES, rng.randint(7, 11))
        kind = "village"
    added = 0
    for name in names:
        if fold(name) in existing:
            continue
        db.session.add(
            Village(
                commune_id=commune.id,
                name=name,
                kind=kind,
                search_key=fold(name),
                is_demo=True,
                head_name=f"Trưởng thôn {rng.choice('ABCDEGHKLMNPQSTV')}",
            )
        )
        added += 1
    return added


def demo_accounts(communes: list[AdminUnit]) -> list[tuple[str, str, str]]:
    province = communes[0].parent.parent
    district = communes[0].parent  # an area of the 2025 tree, followed by officers of the provincial police
    if district.kind == "area":
        follower = (f"kv.{district.code.removeprefix('KV')}", f"Cán bộ Công an tỉnh theo dõi {district.name}")
    else:
        follower = (f"huyen.{district.code}", f"Cán bộ Công an {district.name}")
    wanted = [
        ("admin", "admin", province, "Quản trị hệ thống"),
        ("tinh.ca", "province_officer", province, "Cán bộ Công an tỉnh"),
        (follower[0], "district_officer", district, follower[1]),
    ]
    for commune in communes:
        wanted.append((f"xa.{commune.code}", "commune_officer", commune, f"Cán bộ Công an {commune.name}"))
        wanted.append((f"xem.{commune.code}", "commune_viewer", commune, f"Thành viên BCĐ {commune.name}"))
    existing = set(db.session.scalars(select(User.username)))
    new = [
        account_actions.NewAccount(u, name, role, unit.address) for u, role, unit, name in wanted if u not in existing
    ]
    if new:
        created = account_actions.create_accounts(None, province, new, passwords=[DEMO_PASSWORD] * len(new))
        if not created:
            raise click.ClickException("; ".join(f"{a.username}: {a.errors}" for a in new if a.errors))
        for user, _password in created:  # a published password: each account chooses its own at first login
            user.must_change_password = True
    return [(u, role, unit.name) for u, role, unit, _name in wanted]


@commands.cli.command("load")
@click.option("--communes", default=",".join(DEFAULT_COMMUNES), help="commune codes, comma-separated")
@click.option(
    "--scale",
    type=click.Choice(["communes", "province"]),
    default="communes",
    help="communes: the listed communes through the registers' write path; province: every commune at real size",
)
@click.option("--seed", default=3822, type=int)
@click.option(
    "--i-know-this-is-not-production",
    "not_production",
    is_flag=True,
    help="needed outside development: demo accounts share a published password",
)
def load_command(communes, scale, seed, not_production):
    """Fill demo communes with demo data and print one login per role (idempotent). Demo accounts change
    their published password at their first login."""
    if current_app.config["PORTAL_ENV"] not in ("development", "testing") and not not_production:
        raise click.ClickException(
            "refused: PORTAL_ENV is not development, and demo data would add accounts (admin, tinh.ca, ...) with "
            "a published password. On a training or test copy, add --i-know-this-is-not-production."
        )
    codes = [c.strip() for c in communes.split(",") if c.strip()]
    with system_scope(db.session):
        units = {u.address: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.address.in_(codes)))}
        missing = [c for c in codes if c not in units or units[c].level != "commune"]
        if missing:
            raise click.ClickException(f"not communes of the loaded tree: {', '.join(missing)}")
        chosen = [units[c] for c in codes]
        _lived_through_the_reform(chosen, seed)
        logins = demo_accounts(chosen)
        db.session.commit()
        if scale == "province":
            _load_province(chosen[0].parent.parent, seed)
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}; each account sets its own at first login)")
    for username, role, unit_name in logins:
        click.echo(f"  {username:22} {role:18} {unit_name}")
    click.echo("Area, province and admin logins set up two-factor login at their first login:")
    click.echo("scan the QR code shown with any authenticator app (Google Authenticator, FreeOTP, ...).")


def _lived_through_the_reform(chosen: list[AdminUnit], seed: int) -> None:
    """A deployment that lived through the reform: each commune's predecessors kept their registers from
    December 2024 to 30/06/2025 in the 2024 tree; the reform is replayed; the merged communes go on. A
    commune with no predecessor (a tree without the 2025 reform) is filled as of today."""
    waiting = [c for c in chosen if not _has_demo_persons(c)]
    for commune in waiting:
        predecessors = [link.from_unit for link in commune.predecessor_links if link.is_default]
        for unit in predecessors or [commune]:
            added = _demo_villages(unit, seed)
            db.session.flush()
            counts = fill_commune(unit, seed, REFORM_EVE if predecessors else None)
            filled = ", ".join(f"{n} {slug}" for slug, n in counts.items()) or "registers already filled"
            click.echo(f"{unit.address} {unit.name}: {added} demo villages added; {filled}")
    if any(c.predecessor_links for c in waiting):
        reform = reform_plan(province_folder(province_code_of(waiting[0])))
        apply_reform(reform)
        click.echo(f"the reform replayed as of {TREE_2025_FROM:%d/%m/%Y}: {reform.rows} rows moved to the new communes")
        for commune in (c for c in waiting if c.predecessor_links):
            counts = after_the_reform(commune, seed)
            done = ", ".join(f"{n} {slug}" for slug, n in counts.items())
            click.echo(f"{commune.address} {commune.name} since the reform: {done}")
    for commune in chosen:
        if commune not in waiting:
            click.echo(f"{commune.address} {commune.name}: registers already filled")


def _has_demo_persons(commune: AdminUnit) -> bool:
    demo_person = select(Person.id).where(Person.commune_id == commune.id, Person.is_demo).limit(1)
    return db.session.scalar(demo_person) is not None


def _load_province(province: AdminUnit, seed: int) -> None:
    started = time.monotonic()
    click.echo(f"\nProvince scale: every commune of {province.name}")
    counts = province_scale.load_province(province, seed)
    communes = db.session.scalars(
        select(AdminUnit).where(
            AdminUnit.level == "commune", AdminUnit.path.startswith(province.path), AdminUnit.valid_to.is_(None)
        )
    ).all()
    if not db.session.scalar(select(Dossier.id).limit(1)):
        officers = dict(
            db.session.execute(
                select(RoleAssignment.unit_id, RoleAssignment.user_id).where(RoleAssignment.role == "district_officer")
            ).all()
        )
        province_officer = db.session.scalar(
            select(RoleAssignment.user_id).where(RoleAssignment.role == "province_officer").limit(1)
        )
        stages = province_scale.recognition_history(
            communes, province_officer, officers, random.Random(f"{seed}-recognition"), clock.today()
        )
        db.session.commit()
        click.echo("Recognition dossiers: " + ", ".join(f"{n} {state}" for state, n in sorted(stages.items())))
    click.echo("Rows written: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
    click.echo(f"Done in {time.monotonic() - started:.0f} s")
