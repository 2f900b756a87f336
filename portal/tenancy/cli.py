"""`flask --app wsgi tenants sync <province>`."""

import click
from flask import Blueprint

from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.tenancy.sync import read_tree, sync_tree

commands = Blueprint("tenants", __name__, cli_group="tenants")


@commands.cli.command("sync")
@click.argument("province")
def sync_command(province: str) -> None:
    """Load or re-sync a province's unit tree from tenants/<PROVINCE>/units.csv."""
    rows = read_tree(province)
    with system_scope(db.session):
        report = sync_tree(rows)
        db.session.commit()
    click.echo(
        f"{province}: {len(rows)} units in the file; created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, closed {report.closed}"
    )
