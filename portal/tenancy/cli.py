"""`flask --app wsgi database grant`: the application role's grants (as DATABASE_OWNER_URL's role)."""

import click
from flask import Blueprint

from portal.extensions import db

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
