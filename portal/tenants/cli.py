"""`flask --app wsgi tenants sync <province>`: a province as tenants/<province>/ describes it, loaded or
re-synced (idempotent): its late-2024 tree, its 2025 tree with the areas and the lineage between them,
and its criteria versions."""

import click
from flask import Blueprint
from sqlalchemy import select

from portal.criteria.results import load_default_criteria, rebuild
from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.lineage import sync_lineage, sync_tree_2025
from portal.tenancy.models import AdminUnit
from portal.tenancy.sync import TENANTS_DIR, read_tree, sync_tree
from portal.tenants.reform import ReformRefused
from portal.tenants.reform import apply as apply_reform
from portal.tenants.reform import plan as reform_plan

commands = Blueprint("tenants", __name__, cli_group="tenants")


@commands.cli.command("sync")
@click.argument("province")
def sync_command(province: str) -> None:
    """Load or re-sync a province's unit trees from tenants/<PROVINCE>/."""
    rows = read_tree(province)
    has_2025 = (TENANTS_DIR / province / "units-2025.csv").is_file()
    with system_scope(db.session):
        report = sync_tree(rows, archived=has_2025)
        root = db.session.scalar(select(AdminUnit).where(AdminUnit.code == rows[0]["code"], AdminUnit.tree.is_(None)))
        report_2025, links = (sync_tree_2025(province, root), sync_lineage(province)) if has_2025 else (None, 0)
        criteria = load_default_criteria(root, TENANTS_DIR / province / "criteria.json")
        if criteria:
            rebuild()  # a version may start in the past: today's kept results follow the one now in force
        db.session.commit()
    click.echo(
        f"{province}: {len(rows)} units in the file; created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, closed {report.closed}"
    )
    if report_2025 is not None:
        click.echo(
            f"{province}: 2025 tree (areas and communes): created {report_2025.created}, updated "
            f"{report_2025.updated}, unchanged {report_2025.unchanged}; lineage rows added or changed: {links}"
        )
    for version in criteria:
        click.echo(f"{province}: criteria version {version.number} loaded ({len(version.criteria)} criteria)")


@commands.cli.command("reform")
@click.argument("province")
@click.option("--dry-run", is_flag=True, help="print what would move, rename and change hands; change nothing")
def reform_command(province: str, dry_run: bool) -> None:
    """Replay the 2025 reform: move every old commune's registers and roles to its successor (one transaction)."""
    with system_scope(db.session):
        try:
            reform = reform_plan(province)
        except ReformRefused as refused:
            db.session.rollback()
            raise click.ClickException(
                "the lineage cannot be replayed; nothing was changed:\n  " + "\n  ".join(refused.problems)
            ) from refused
        _print_plan(reform)
        if dry_run:
            db.session.rollback()
            click.echo("dry run: nothing was changed")
            return
        apply_reform(reform)
        db.session.commit()
    click.echo(f"{province}: {reform.rows} rows and {len(reform.roles)} roles moved")


def _print_plan(reform) -> None:
    if not reform.moves and not reform.roles:
        click.echo("nothing to move: the reform has been replayed already")
        return
    for new, moves in reform.by_new_commune().items():
        click.echo(f"{new.address} {new.name}")
        for move in moves:
            counts = ", ".join(f"{n} {table}" for table, n in sorted(move.counts.items()))
            click.echo(f"  from {move.old.address} {move.old.name}: {counts}")
            for table, row_id, before, after in move.renames:
                click.echo(f"    renamed {table} {row_id}: {before!r} -> {after!r}")
    if reform.roles:
        click.echo("roles to review:")
        for assignment, target in reform.roles:
            click.echo(
                f"  {assignment.user.username} {assignment.role}: {assignment.unit.address} -> {target.address}"
            )
