"""`flask --app wsgi tenants sync <province>`: a province as tenants/<province>/ describes it, its unit tree
and its first criteria version, loaded or re-synced (idempotent)."""

import click
from flask import Blueprint
from sqlalchemy import select

from portal.criteria.results import load_default_criteria
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
        db.session.commit()
    click.echo(
        f"{province}: {len(rows)} units in the file; created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, closed {report.closed}"
    )
    if criteria is not None:
        click.echo(f"{province}: criteria version 1 loaded ({len(criteria.criteria)} criteria)")
