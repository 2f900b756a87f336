"""`flask --app wsgi tenants sync <province>`: a province as tenants/<province>/ describes it, its unit tree
and its first criteria version, loaded or re-synced (idempotent)."""

import click
from flask import Blueprint
from sqlalchemy import select

from portal.criteria.results import load_default_criteria, rebuild
from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.sync import TENANTS_DIR, read_tree, sync_tree

commands = Blueprint("tenants", __name__, cli_group="tenants")


@commands.cli.command("sync")
@click.argument("province")
def sync_command(province: str) -> None:
    """Load or re-sync a province's unit tree from tenants/<PROVINCE>/units.csv."""
    rows = read_tree(province)
    with system_scope(db.session):
        report = sync_tree(rows)
        root = db.session.scalar(select(AdminUnit).where(AdminUnit.code == rows[0]["code"]))
        criteria = load_default_criteria(root, TENANTS_DIR / province / "criteria.json")
        if criteria:
            rebuild()  # a version may start in the past: today's kept results follow the one now in force
        db.session.commit()
    click.echo(
        f"{province}: {len(rows)} units in the file; created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, closed {report.closed}"
    )
    for version in criteria:
        click.echo(f"{province}: criteria version {version.number} loaded ({len(version.criteria)} criteria)")
