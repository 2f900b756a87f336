"""`flask --app wsgi accounts create|list|disable|import`."""

import sys

import click
from flask import Blueprint
from sqlalchemy import select

from portal.accounts import actions
from portal.accounts.sheet import SheetError, read_accounts
from portal.auth.models import User
from portal.auth.passwords import password_problem
from portal.extensions import db
from portal.tenancy.access import get_unit
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.tenancy.roles import ROLES

commands = Blueprint("accounts_cli", __name__, cli_group="accounts")


def _province_root() -> AdminUnit:
    root = db.session.scalar(select(AdminUnit).where(AdminUnit.level == "province").order_by(AdminUnit.code))
    if root is None:
        raise click.ClickException("no unit tree loaded: run `flask --app wsgi tenants sync thanh-hoa` first")
    return root


@commands.cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(sorted(ROLES)))
@click.option("--unit", "unit_code", required=True, help="code of the unit the role is granted on")
@click.option("--full-name", default=None)
@click.option("--password", default=None, help="asked for when not given")
def create_command(username, role, unit_code, full_name, password):
    """Create an account with one role."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with system_scope(db.session):
        new = actions.NewAccount(username, full_name or username, role, unit_code)
        problem = password_problem(password, username.strip().lower())
        if problem:
            raise click.ClickException(str(problem))
        created = actions.create_accounts(None, _province_root(), [new], passwords=[password])
        if not created:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in new.errors.items()))
        db.session.commit()
    click.echo(f"created {new.username} ({role} on {unit_code})")


@commands.cli.command("list")
def list_command():
    """List accounts with their roles."""
    with system_scope(db.session):
        for user in db.session.scalars(select(User).order_by(User.username)):
            roles = ", ".join(f"{a.role}@{a.unit.code}" for a in user.assignments) or "-"
            state = "active" if user.active else "disabled"
            click.echo(f"{user.username:30} {state:9} {roles}")


@commands.cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable an account; its sessions end at once."""
    with system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise click.ClickException(f"no account {username}")
        actions.set_active(None, _province_root(), user, False)
        db.session.commit()
    click.echo(f"disabled {user.username}")


@commands.cli.command("import")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False))
@click.option("--scope", "scope_code", default=None, help="unit code the accounts must fall under")
def import_command(sheet, scope_code):
    """Create every account of a sheet (CSV or XLSX), or none; prints the one-time passwords."""
    with open(sheet, "rb") as f:
        data = f.read()
    with system_scope(db.session):
        scope = get_unit(scope_code) if scope_code else _province_root()
        try:
            rows = read_accounts(sheet, data, max_rows=100_000)
        except SheetError as exc:
            raise click.ClickException(str(exc.args[0])) from exc
        created = actions.create_accounts(None, scope, rows)
        if not created:
            for number, row in enumerate(rows, start=2):
                for column, message in row.errors.items():
                    click.echo(f"row {number}, {column}: {message}", err=True)
            sys.exit(1)
        db.session.commit()
    for user, password in created:
        click.echo(f"{user.username}\t{password}")
