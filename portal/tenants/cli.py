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
