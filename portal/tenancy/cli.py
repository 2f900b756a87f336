"""`flask --app wsgi tenants sync <province>`."""

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


database_commands = Blueprint("database", __name__, cli_group="database")


@database_commands.cli.command("grant")
def grant_command() -> None:
    """As DATABASE_OWNER_URL's role: create DATABASE_URL's role if missing and give it its grants."""
    from portal.tenancy.database import grant_app_role, owner_engine

    with owner_engine().begin() as connection:
        role = grant_app_role(connection, db.engine.url)
    if role is None:
        raise click.ClickException("no separate application role: DATABASE_URL and DATABASE_OWNER_URL name the same")
    click.echo(f"{role}: reads and writes the tables, only reads and adds audit rows; row-level security binds it")
