"""`flask --app wsgi demo load [--communes CODE,CODE]`: demo villages and one login per role."""

import random
import time

import click
from flask import Blueprint
from sqlalchemy import select

from portal import clock
from portal.accounts import actions as account_actions
from portal.auth.models import RoleAssignment, User
from portal.demo import scale as province_scale
from portal.demo.registers import fill_commune
from portal.extensions import db
from portal.recognition.models import Dossier
from portal.shell.text import fold
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.villages.models import Village

commands = Blueprint("demo", __name__, cli_group="demo")

# Xã Thạch Lập (15085: Quang Trung, which launched the plan in Dec 2024, with Thạch Lập and Đồng Thịnh), its
# neighbour Xã Nguyệt Ấn (Vân Am, Phùng Giáo, Nguyệt Ấn) and Phường Hàm Rồng, a city ward.
DEFAULT_COMMUNES = ("15085", "15106", "14758")
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
def load_command(communes, scale, seed):
    """Fill demo communes with demo data and print one login per role (idempotent)."""
    codes = [c.strip() for c in communes.split(",") if c.strip()]
    with system_scope(db.session):
        units = {u.address: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.address.in_(codes)))}
        missing = [c for c in codes if c not in units or units[c].level != "commune"]
        if missing:
            raise click.ClickException(f"not communes of the loaded tree: {', '.join(missing)}")
        chosen = [units[c] for c in codes]
        for commune in chosen:
            added = _demo_villages(commune, seed)
            counts = fill_commune(commune, seed)
            filled = ", ".join(f"{n} {slug}" for slug, n in counts.items()) if counts else "registers already filled"
            click.echo(f"{commune.code} {commune.name}: {added} demo villages added; {filled}")
        logins = demo_accounts(chosen)
        db.session.commit()
        if scale == "province":
            _load_province(chosen[0].parent.parent, seed)
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for username, role, unit_name in logins:
        click.echo(f"  {username:22} {role:18} {unit_name}")
    click.echo("District, province and admin logins set up two-factor login at their first login:")
    click.echo("scan the QR code shown with any authenticator app (Google Authenticator, FreeOTP, ...).")


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
