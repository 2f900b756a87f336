"""`flask --app wsgi criteria refresh | rebuild`.

Run `refresh` once a day, just after the province's midnight, for date-driven changes: terms ending, a
new period, a finding whose time to be put under management ran out (a missed case). It also records
the month's snapshot on its first run of the month. The day is the province's day (`portal.clock`),
whatever the server's zone: on a server that runs on UTC, 00:15 in Vietnam is 17:15 UTC of the day
before (the README has the cron line):

    15 17 * * *  cd /srv/portal && .venv/bin/flask --app wsgi criteria refresh
"""

import click
from flask import Blueprint

from portal import clock
from portal.criteria.missed import record_late_missed_cases
from portal.criteria.results import rebuild, refresh_all, snapshot_month
from portal.extensions import db
from portal.tenancy.guard import system_scope

commands = Blueprint("criteria_cli", __name__, cli_group="criteria")


@commands.cli.command("refresh")
def refresh_command():
    """Recompute every commune's results for today and take this month's snapshot if not yet taken."""
    today = clock.today()  # one day for the whole run, even one that crosses midnight
    with system_scope(db.session):
        missed = record_late_missed_cases(today)
        db.session.commit()
        communes = refresh_all(today, commit_each=True)  # writers wait for one commune at a time
        db.session.flush()
        snapshots = snapshot_month(today.replace(day=1), today)
        db.session.commit()
    click.echo(
        f"refreshed {communes} communes as of {today:%d/%m/%Y}; {snapshots} snapshot rows for {today:%m/%Y}; "
        f"{missed} findings not put under management in time recorded as missed cases"
    )


@commands.cli.command("rebuild")
def rebuild_command():
    """Throw every kept result away and compute them again from the registers."""
    with system_scope(db.session):
        communes = rebuild()
        db.session.commit()
    click.echo(f"rebuilt the results of {communes} communes")
