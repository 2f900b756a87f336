"""`flask --app wsgi metrics refresh | rebuild`.

Run `refresh` once a day for date-driven changes (terms ending, a new year); it also records the
month's snapshot on its first run of the month. A cron line for the portal's user:

    15 0 * * *  cd /srv/portal && .venv/bin/flask --app wsgi metrics refresh
"""

from datetime import date

import click
from flask import Blueprint

from portal.criteria.results import rebuild, refresh_all, snapshot_month
from portal.extensions import db
from portal.tenancy.guard import system_scope

commands = Blueprint("metrics", __name__, cli_group="metrics")


@commands.cli.command("refresh")
def refresh_command():
    """Recompute every commune's results for today and take this month's snapshot if not yet taken."""
    with system_scope(db.session):
        communes = refresh_all()
        db.session.flush()
        snapshots = snapshot_month(date.today().replace(day=1))
        db.session.commit()
    click.echo(f"refreshed {communes} communes; {snapshots} snapshot rows for {date.today():%m/%Y}")


@commands.cli.command("rebuild")
def rebuild_command():
    """Throw every kept result away and compute them again from the registers."""
    with system_scope(db.session):
        communes = rebuild()
        db.session.commit()
    click.echo(f"rebuilt the results of {communes} communes")
